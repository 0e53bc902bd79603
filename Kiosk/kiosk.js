// HVFLVSPOT kiosk — staff sign-in, door mode and sale mode. Plain JavaScript, no build step,
// nothing loaded from outside the node: it keeps working while the venue's internet is down.
"use strict";

/** The node counts a silent server offline within 4 s; polling each second shows it within 5. */
const STATUS_EVERY_MS = 1000;
const VERDICT_SHOWN_MS = 2500;
const RECENT_KEPT = 10;
/** While staff are active, the node is told so at most this often (it keeps the session alive). */
const KEEP_ALIVE_MS = 30000;
const SESSION_KEY = "hvflvspot.session";

const $ = (id) => document.getElementById(id);
const counts = { admitted: 0, duplicates: 0, refused: 0 };
let verdictTimer = null;
let session = null;          // { token, idleMs }
let lastActivity = Date.now();
let lastKeepAlive = 0;
let catalogue = [];          // events with ticket types, from the node
let saleURLs = [];           // object URLs of the shown QR images

/** An error from the node's API, with its HTTP status and error code. */
class NodeError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the node's API with the staff session; throws a NodeError with the node's message on any failure. */
async function request(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.body) headers["Content-Type"] = "application/json";
  if (session) headers.Authorization = "Bearer " + session.token;
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (error) {
    throw new NodeError("The node does not answer (" + error.message + ").", 0, "unreachable");
  }
  if (response.status === 401 && session) {
    signedOut("Your session ended: sign in again.");
  }
  return response;
}

async function api(path, options = {}) {
  const response = await request(path, options);
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!response.ok) {
    const error = body && body.error ? body.error : {};
    throw new NodeError(error.message || "HTTP " + response.status, response.status, error.code);
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

function money(minor, currency) {
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
  return format.format(minor / 10 ** format.resolvedOptions().maximumFractionDigits);
}

// MARK: Status bar — the health check at start, every second, and on Retry.

function showLink(state, label, detail) {
  const pill = $("link");
  pill.dataset.state = state;
  pill.className = "pill pill-" + state;
  pill.textContent = label;
  pill.title = detail || "";
}

async function refreshStatus() {
  try {
    const status = await api("/api/v1/status");
    $("node-name").textContent = status.name + " · " + status.venue_name;
    showLink(status.online ? "online" : "offline", status.online ? "online" : "offline", status.last_error);
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

/** Asks the node to sync now (it answers at once; the status bar shows the result). */
async function syncNow() {
  try {
    await api("/api/v1/sync", { method: "POST" });
    setTimeout(refreshStatus, 1000);
  } catch (error) {
    $("node-error").textContent = "Sync could not start: " + error.message;
    $("node-error").hidden = false;
  }
}

// MARK: Staff sign-in, and sign-out after inactivity.

function showScreen() {
  const signedIn = session !== null;
  $("signin").hidden = signedIn;
  $("modes").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  $("sync-now").hidden = !signedIn;
  const mode = location.hash === "#sale" ? "sale" : "door";
  $("door").hidden = !signedIn || mode !== "door";
  $("sale").hidden = !signedIn || mode !== "sale";
  $("mode-door").toggleAttribute("aria-current", mode === "door");
  $("mode-sale").toggleAttribute("aria-current", mode === "sale");
  if (!signedIn) { $("pin").focus(); return; }
  if (mode === "door") $("payload").focus();
  else if ($("sale-result").hidden) loadCatalogue();
}

async function signIn(event) {
  event.preventDefault();
  const pin = $("pin").value;
  $("pin").value = "";
  try {
    const opened = await api("/api/v1/session", { method: "POST", body: JSON.stringify({ pin }) });
    session = { token: opened.token, idleMs: opened.idle_timeout_seconds * 1000 };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    lastActivity = Date.now();
    lastKeepAlive = lastActivity;
    $("signin-message").hidden = true;
    showScreen();
  } catch (error) {
    $("signin-message").textContent = error.code === "wrong_pin" ? "That PIN is not right. Try again." : error.message;
    $("signin-message").hidden = false;
    $("pin").focus();
  }
}

/** Ends the session here (the node is told when it can be). */
function signedOut(message) {
  if (session) {
    const token = session.token;
    fetch("/api/v1/session", { method: "DELETE", headers: { Authorization: "Bearer " + token } }).catch(() => {});
  }
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  hideVerdict();
  clearSale();
  saleState("loading");  // the next staff member starts from a fresh catalogue, not the last sale
  $("signin-message").textContent = message;
  $("signin-message").hidden = !message;
  showScreen();
}

function noteActivity() {
  lastActivity = Date.now();
  if (session && lastActivity - lastKeepAlive > KEEP_ALIVE_MS) {
    lastKeepAlive = lastActivity;
    request("/api/v1/session").catch(() => {});
  }
}

function checkIdle() {
  if (session && Date.now() - lastActivity >= session.idleMs) {
    const minutes = Math.round(session.idleMs / 60000);
    signedOut("Signed out after " + (minutes >= 1 ? minutes + " min" : Math.round(session.idleMs / 1000) + " s")
      + " without activity.");
  }
}

/** A session from before a reload is reused if the node still knows it. */
async function resumeSession() {
  const saved = sessionStorage.getItem(SESSION_KEY);
  if (!saved) return showScreen();
  try {
    session = JSON.parse(saved);
    await api("/api/v1/session");
  } catch {
    session = null;
    sessionStorage.removeItem(SESSION_KEY);
  }
  showScreen();
}

// MARK: Door mode.

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
  if (result.ticket_id) details.push("Ticket …" + result.ticket_id.slice(-8).toLowerCase());
  for (const conflict of result.conflicts || []) details.push(conflict.message);
  $("verdict-details").textContent = details.join(" · ");
  box.hidden = false;
  clearTimeout(verdictTimer);
  verdictTimer = setTimeout(hideVerdict, VERDICT_SHOWN_MS);
}

function hideVerdict() {
  clearTimeout(verdictTimer);
  if ($("verdict").hidden) return;
  $("verdict").hidden = true;
  if (!$("door").hidden) $("payload").focus();
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
    if (error.status === 401) return;
    showVerdict({ verdict: "error", signal: "red", message: error.message, direction, conflicts: [] });
  }
  if (!$("door").hidden) $("payload").focus();
}

// MARK: Sale mode.

function saleState(state, message) {
  $("sale-loading").hidden = state !== "loading";
  $("sale-empty").hidden = state !== "empty";
  $("sale-error").hidden = state !== "error";
  $("sale-form").hidden = state !== "form";
  $("sale-result").hidden = state !== "result";
  if (state === "error") $("sale-error-text").textContent = message;
}

async function loadCatalogue() {
  saleState("loading");
  try {
    const answer = await api("/api/v1/catalogue");
    catalogue = answer.events.filter((event) => event.status === "published" && event.ticket_types.length > 0);
  } catch (error) {
    if (error.status !== 401) saleState("error", "Could not load what this node can sell: " + error.message);
    return;
  }
  if (catalogue.every((event) => event.ticket_types.every((type) => type.remaining === 0))) return saleState("empty");
  const select = $("sale-event");
  const chosen = select.value;
  select.replaceChildren(...catalogue.map((event) => {
    const option = document.createElement("option");
    option.value = event.id;
    option.textContent = event.title + " — " + new Date(event.starts_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    return option;
  }));
  if (catalogue.some((event) => event.id === chosen)) select.value = chosen;
  showTypes();
  saleState("form");
}

function selectedEvent() {
  return catalogue.find((event) => event.id === $("sale-event").value);
}

function selectedType() {
  const input = document.querySelector("input[name=ticket-type]:checked");
  const event = selectedEvent();
  return input && event ? event.ticket_types.find((type) => type.id === input.value) : null;
}

function showTypes() {
  const fieldset = $("sale-types");
  const previous = selectedType();
  fieldset.querySelectorAll(".choice").forEach((node) => node.remove());
  const event = selectedEvent();
  for (const type of event ? event.ticket_types : []) {
    const wrapper = document.createElement("div");
    wrapper.className = "choice";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "ticket-type";
    input.id = "type-" + type.id;
    input.value = type.id;
    input.disabled = type.remaining === 0;
    const label = document.createElement("label");
    label.htmlFor = input.id;
    label.innerHTML = '<span class="name"></span><span class="price"></span><span class="left"></span>';
    label.querySelector(".name").textContent = type.name;
    label.querySelector(".price").textContent = money(type.price_minor, type.currency);
    label.querySelector(".left").textContent = type.remaining === 0 ? "sold out here" : type.remaining + " left";
    label.dataset.remaining = String(type.remaining);
    wrapper.append(input, label);
    fieldset.append(wrapper);
  }
  const available = [...fieldset.querySelectorAll("input[name=ticket-type]:not(:disabled)")];
  const keep = previous && available.find((input) => input.value === previous.id);
  if (keep || available[0]) (keep || available[0]).checked = true;
  updateTotal();
}

function quantity() {
  const value = Number.parseInt($("sale-quantity").value, 10);
  return Number.isFinite(value) ? value : 0;
}

function updateTotal() {
  const type = selectedType();
  const amount = quantity();
  const valid = type && amount >= 1 && amount <= Math.min(100, type.remaining);
  $("sale-total").textContent = type && amount >= 1 ? money(type.price_minor * amount, type.currency) : "—";
  $("sale-confirm").disabled = !valid;
  if (type && amount > type.remaining) showSaleMessage("Only " + type.remaining + " left in this node's allotment.");
  else $("sale-message").hidden = true;
}

function step(delta) {
  const type = selectedType();
  const limit = type ? Math.max(1, Math.min(100, type.remaining)) : 100;
  $("sale-quantity").value = String(Math.min(limit, Math.max(1, quantity() + delta)));
  updateTotal();
}

function showSaleMessage(text) {
  $("sale-message").textContent = text;
  $("sale-message").hidden = false;
}

async function sell(event) {
  event.preventDefault();
  const type = selectedType();
  if (!type) return showSaleMessage("Pick a ticket type.");
  const paymentMethod = document.querySelector("input[name=payment]:checked").value;
  $("sale-confirm").disabled = true;
  try {
    const sale = await api("/api/v1/sales", {
      method: "POST",
      body: JSON.stringify({ ticket_type_id: type.id, quantity: quantity(), payment_method: paymentMethod }),
    });
    await showSale(sale);
  } catch (error) {
    if (error.status === 401) return;
    showSaleMessage("Not sold: " + error.message);
    $("sale-confirm").disabled = false;
    if (error.code === "allotment_exhausted") loadCatalogue();
  }
}

/** The sold tickets' QR codes, fetched with the session (images cannot send it themselves). */
async function showSale(sale) {
  clearSale();
  $("sale-result-title").textContent = "Sold " + sale.quantity + " × " + sale.ticket_type_name;
  $("sale-result-details").textContent = sale.event_title + " · " + money(sale.amount_minor, sale.currency)
    + (sale.payment_method === "cash" ? " cash" : " by card") + " · show each code to the buyer's phone or print them";
  const list = $("sale-tickets");
  for (const [index, ticket] of sale.tickets.entries()) {
    const item = document.createElement("li");
    item.className = "ticket";
    const image = document.createElement("img");
    image.alt = "QR code of ticket " + (index + 1) + " of " + sale.tickets.length;
    image.dataset.payload = ticket.payload;
    const caption = document.createElement("p");
    caption.textContent = sale.event_title + " · " + sale.ticket_type_name + " · ticket …" + ticket.id.slice(-8).toLowerCase();
    item.append(image, caption);
    list.append(item);
    try {
      const response = await request(ticket.qr_png);
      if (!response.ok) throw new Error("HTTP " + response.status);
      const url = URL.createObjectURL(await response.blob());
      saleURLs.push(url);
      image.src = url;
    } catch (error) {
      image.replaceWith(Object.assign(document.createElement("p"), {
        className: "notice", textContent: "QR code not shown (" + error.message + "); the code is: " + ticket.payload,
      }));
    }
  }
  saleState("result");
  $("sale-new").focus();
}

function clearSale() {
  for (const url of saleURLs) URL.revokeObjectURL(url);
  saleURLs = [];
  $("sale-tickets").replaceChildren();
  $("sale-quantity").value = "1";
  $("sale-message").hidden = true;
}

function newSale() {
  clearSale();
  loadCatalogue();
}

// MARK: Start.

function start() {
  const savedGate = localStorage.getItem("hvflvspot.gate");
  if (savedGate) $("gate").value = savedGate;
  $("gate").addEventListener("change", () => localStorage.setItem("hvflvspot.gate", $("gate").value.trim()));
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signedOut("Signed out."));
  $("scan-form").addEventListener("submit", scan);
  $("verdict-close").addEventListener("click", hideVerdict);
  $("verdict").addEventListener("click", (event) => { if (event.target === $("verdict")) hideVerdict(); });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") hideVerdict(); });
  for (const kind of ["keydown", "pointerdown", "input"]) document.addEventListener(kind, noteActivity, true);
  $("retry").addEventListener("click", refreshStatus);
  $("sync-now").addEventListener("click", syncNow);
  $("sale-form").addEventListener("submit", sell);
  $("sale-event").addEventListener("change", showTypes);
  $("sale-types").addEventListener("change", updateTotal);
  $("sale-quantity").addEventListener("input", updateTotal);
  $("quantity-less").addEventListener("click", () => step(-1));
  $("quantity-more").addEventListener("click", () => step(1));
  $("sale-retry").addEventListener("click", loadCatalogue);
  $("sale-new").addEventListener("click", newSale);
  $("sale-print").addEventListener("click", () => window.print());
  window.addEventListener("hashchange", showScreen);
  refreshStatus();
  setInterval(refreshStatus, STATUS_EVERY_MS);
  setInterval(checkIdle, 1000);
  resumeSession();
}

document.addEventListener("DOMContentLoaded", start);
