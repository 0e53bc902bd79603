// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Forms: ask first where the action cannot be undone (data-confirm); disable the submit
  // button once sent, so a double click cannot submit twice, and say that something is
  // happening while the server answers.
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      // After the browser has collected the form's fields (a disabled button is not sent).
      setTimeout(() => {
        for (const button of form.querySelectorAll("button[type=submit]")) {
          button.disabled = true;
          if (button.dataset.busy) button.textContent = button.dataset.busy;
          button.classList.add("loading");
        }
      }, 0);
    });
  }
  // "Try again" on error pages reloads the page the error came from.
  for (const link of document.querySelectorAll("[data-retry]")) {
    link.addEventListener("click", (event) => { event.preventDefault(); location.reload(); });
  }
  // "Print" buttons.
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
  // A waiting room's line: the place and the wait, kept current without a reload; when it is
  // the buyer's turn (the answer also sets the pass cookie), on to the event's booking form.
  for (const line of document.querySelectorAll("[data-queue-status]")) {
    const position = document.getElementById("queue-position");
    const estimate = document.getElementById("queue-estimate");
    if (!position) continue;
    const poll = async () => {
      try {
        const answer = await fetch(line.dataset.queueStatus, { headers: { Accept: "application/json" } });
        if (answer.ok) {
          const place = await answer.json();
          if (place.status === "admitted") {
            location.assign(line.dataset.queueEvent);
            return;
          }
          if (place.status === "waiting") {
            position.textContent = String(place.position);
            if (estimate) estimate.textContent = `Wait: ${place.estimate}. Keep this page open — it moves on by itself when it is your turn.`;
          }
        }
      } catch (error) {
        // Offline for a moment: try again at the next beat.
      }
      setTimeout(poll, 2000);
    };
    setTimeout(poll, 2000);
  }
  // The live door board: the server sends the board's HTML (rendered and escaped by its
  // template) whenever it changes; EventSource reconnects by itself after a drop.
  for (const board of document.querySelectorAll("[data-live-stream]")) {
    const status = document.getElementById("live-status");
    const source = new EventSource(board.dataset.liveStream);
    source.addEventListener("dashboard", (event) => {
      board.innerHTML = event.data;
      if (status) status.textContent = `Live: updated ${new Date().toLocaleTimeString()}.`;
    });
    source.addEventListener("error", () => {
      if (status) status.textContent = "Reconnecting to the server…";
    });
  }
  // A hold's countdown: minutes and seconds left, then a note that the seats were released.
  for (const timer of document.querySelectorAll("[data-expires-at]")) {
    const end = Date.parse(timer.dataset.expiresAt);
    const tick = () => {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      timer.textContent = left > 0
        ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left to pay`
        : "This hold has expired; start again from the event page.";
      if (left > 0) setTimeout(tick, 1000);
    };
    tick();
  }
});
