// HVFLVSPOT kiosk — door mode. Plain JavaScript, no build step, nothing loaded from outside
// the node: it keeps working while the venue's internet is down.
"use strict";

const STATUS_EVERY_MS = 5000;
const VERDICT_SHOWN_MS = 2500;
const RECENT_KEPT = 10;

const $ = (id) => document.getElementById(id);
const counts = { admitted: 0, duplicates: 0, refused: 0 };
let verdictTimer = null;

/** Calls the node's API; throws an Error with the node's message on any failure. */
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, {
      ...options,
      headers: { "Content-Type": "application/json", ...(options.headers || {}) },
    });
  } catch (error) {
    throw new Error("The node does not answer (" + error.message + ").");
  }
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!response.ok) {
    const message = body && body.error && body.error.message ? body.error.message : "HTTP " + response.status;
    throw new Error(message);
  }
  return body;
}

function ago(iso) {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return seconds + " s ago";
  if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
  return Math.round(seconds / 3600) + " h ago";
}

function showLink(state, label) {
  const pill = $("link");
  pill.dataset.state = state;
  pill.className = "pill pill-" + state;
  pill.textContent = label;
}

/** The health check: at start, every few seconds, and on Retry. */
async function refreshStatus() {
  try {
    const status = await api("/api/v1/status");
    $("node-name").textContent = status.name + " · " + status.venue_name;
    showLink(status.online ? "online" : "offline", status.online ? "online" : "offline");
    $("last-sync").textContent = "last sync " + ago(status.last_success_at);
    $("pending").textContent = "uploads pending " + status.outbox_depth;
    $("pending").dataset.count = String(status.outbox_depth);
    $("clock").textContent = status.clock_offset_ms == null ? "clock offset —" : "clock offset " + status.clock_offset_ms + " ms";
    $("node-error").hidden = true;
    $("retry").hidden = true;
  } catch (error) {
    showLink("unreachable", "node unreachable");
    $("node-error").textContent = "This kiosk cannot reach its node: " + error.message + " Scanning resumes when it answers.";
    $("node-error").hidden = false;
    $("retry").hidden = false;
  }
}

const TITLES = { green: "Admit", amber: "Check", red: "Refused" };

function showVerdict(result) {
  const box = $("verdict");
  box.className = "verdict " + result.signal;
  box.dataset.verdict = result.verdict;
  box.dataset.signal = result.signal;
  $("verdict-title").textContent = result.verdict === "already_admitted" ? "Already in" : TITLES[result.signal] || result.signal;
  $("verdict-message").textContent = result.message;
  const details = [];
  if (result.direction === "exit") details.push("Exit");
  if (result.ticket_id) details.push("Ticket " + result.ticket_id.slice(0, 8).toLowerCase());
  for (const conflict of result.conflicts || []) details.push(conflict.message);
  $("verdict-details").textContent = details.join(" · ");
  box.hidden = false;
  clearTimeout(verdictTimer);
  verdictTimer = setTimeout(hideVerdict, VERDICT_SHOWN_MS);
}

function hideVerdict() {
  clearTimeout(verdictTimer);
  $("verdict").hidden = true;
  $("payload").focus();
}

function count(result) {
  if (result.verdict === "ok") { if (result.direction === "entry") counts.admitted += 1; }
  else if (result.verdict === "already_admitted") counts.duplicates += 1;
  else counts.refused += 1;
  $("count-admitted").textContent = counts.admitted;
  $("count-duplicates").textContent = counts.duplicates;
  $("count-refused").textContent = counts.refused;
}

function remember(result, gate) {
  const item = document.createElement("li");
  item.className = result.signal;
  const mark = document.createElement("span");
  mark.className = "mark";
  mark.textContent = result.verdict === "ok" ? (result.direction === "exit" ? "exit" : "admitted") : result.verdict.replace(/_/g, " ");
  const text = document.createElement("span");
  text.textContent = result.message + " (gate " + gate + ", " + new Date().toLocaleTimeString() + ")";
  item.append(mark, text);
  const list = $("recent");
  list.prepend(item);
  while (list.children.length > RECENT_KEPT) list.lastElementChild.remove();
  $("recent-empty").hidden = true;
}

async function scan(event) {
  event.preventDefault();
  const payload = $("payload").value.trim();
  const gate = $("gate").value.trim() || "Main";
  const direction = document.querySelector("input[name=direction]:checked").value;
  if (!payload) return;
  $("payload").value = "";
  try {
    const result = await api("/api/v1/scans", { method: "POST", body: JSON.stringify({ payload, gate, direction }) });
    showVerdict(result);
    count(result);
    remember(result, gate);
  } catch (error) {
    showVerdict({ verdict: "error", signal: "red", message: error.message, direction, conflicts: [] });
  }
  $("payload").focus();
}

function start() {
  const savedGate = localStorage.getItem("hvflvspot.gate");
  if (savedGate) $("gate").value = savedGate;
  $("gate").addEventListener("change", () => localStorage.setItem("hvflvspot.gate", $("gate").value.trim()));
  $("scan-form").addEventListener("submit", scan);
  $("verdict-close").addEventListener("click", hideVerdict);
  $("verdict").addEventListener("click", (event) => { if (event.target === $("verdict")) hideVerdict(); });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") hideVerdict(); });
  $("retry").addEventListener("click", refreshStatus);
  refreshStatus();
  setInterval(refreshStatus, STATUS_EVERY_MS);
  $("payload").focus();
}

document.addEventListener("DOMContentLoaded", start);
