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
/** After this long without an answer from its node, the kiosk offers (or makes) the switch to a peer in touch. */
const FAILOVER_AFTER_MS = 2500;
/** A status request that takes longer counts as no answer (a hung node). */
const STATUS_TIMEOUT_MS = 2000;
/** Camera frames: one looked at every this often, at most this many pixels on the long side. */
const CAMERA_FRAME_EVERY_MS = 120;
const CAMERA_FRAME_SIDE = 640;
/** A code seen again within this long of its last sighting is the same ticket held in view. */
const CAMERA_SAME_CODE_MS = 1500;

const $ = (id) => document.getElementById(id);
const counts = { admitted: 0, duplicates: 0, refused: 0 };
let verdictTimer = null;
let session = null;          // { token, idleMs, pass } — pass: the staff pass the venue's other nodes accept
let lastStatus = null;       // the node's last answer: its peers and failover setting
let lastAnswerAt = Date.now(); // when the node last answered
let lastActivity = Date.now();
let lastKeepAlive = 0;
let catalogue = [];          // events with ticket types, from the node
let saleURLs = [];           // object URLs of the shown QR images
let audio = null;            // the Web Audio context, made at the first sound
const camera = { stream: null, detector: null, canvas: null, lastCode: null, lastSeen: 0, running: false };

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
  if (options.body && !headers["Content-Type"]) headers["Content-Type"] = "application/json";
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
    const status = await api("/api/v1/status", { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
    lastStatus = status;
    lastAnswerAt = Date.now();
    $("failover").hidden = true;
    $("node-name").textContent = status.name + " · " + status.venue_name;
    showLink(status.online ? "online" : "offline", status.online ? "online" : "offline", status.last_error);
    $("last-sync").textContent = "last sync " + ago(status.last_success_at);
    $("pending").textContent = "uploads pending " + status.outbox_depth;
    $("pending").dataset.count = String(status.outbox_depth);
    $("clock").textContent = status.clock_offset_ms == null ? "clock offset —" : "clock offset " + status.clock_offset_ms + " ms";
    // The doors this node follows on the LAN: in touch when one answered within its 25 s hold and a margin.
    const peers = status.peers || [];
    const inTouch = peers.filter((peer) => peer.in_touch);
    $("peers").hidden = peers.length === 0;
    $("peers").textContent = "peers " + inTouch.length + "/" + peers.length;
    $("peers").title = peers.map((peer) => peer.name + ": " + ago(peer.last_contact_at)).join(", ");
    $("peers").dataset.inTouch = String(inTouch.length);
    $("node-error").hidden = true;
    $("retry").hidden = true;
  } catch (error) {
    showLink("unreachable", "node unreachable");
    $("node-error").textContent = "This kiosk cannot reach its node: " + error.message + " Scanning resumes when it answers.";
    $("node-error").hidden = false;
    $("retry").hidden = false;
    if (Date.now() - lastAnswerAt >= FAILOVER_AFTER_MS) offerFailover();
  }
}

// MARK: Failover — the node stopped answering: carry on at a peer door, signed in with the staff pass.

/** The peers the node was in touch with when it last answered, that a browser can reach. */
function failoverPeers() {
  return ((lastStatus && lastStatus.peers) || []).filter((peer) => peer.in_touch && peer.url);
}

function offerFailover() {
  const peers = failoverPeers();
  if (!session || !session.pass || peers.length === 0) return;
  if (lastStatus.kiosk_failover === "switch") return switchTo(peers[0]);
  if (!$("failover").hidden) return;
  $("failover-text").textContent = "This door's node is not answering. Carry on at another door's node:";
  const buttons = peers.map((peer) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Switch to " + peer.name;
    button.dataset.url = peer.url;
    button.addEventListener("click", () => switchTo(peer));
    return button;
  });
  $("failover-peers").replaceChildren(...buttons);
  $("failover").hidden = false;
}

/** Opens the peer's kiosk with the staff pass, the gate, the direction and the mode (in the fragment: never sent to a server). */
function switchTo(peer) {
  const handover = {
    pass: session.pass, gate: $("gate").value.trim(), direction: $("exit").checked ? "exit" : "entry",
    mode: location.hash === "#sale" ? "sale" : "door",
  };
  location.assign(peer.url + "/kiosk/#handover=" + encodeURIComponent(JSON.stringify(handover)));
}

/** A kiosk opened by a switch: signs in with the pass and keeps the gate, direction and mode. */
async function takeHandover() {
  let handover;
  try {
    handover = JSON.parse(decodeURIComponent(location.hash.slice("#handover=".length)));
  } catch {
    handover = {};
  }
  history.replaceState(null, "", location.pathname + (handover.mode === "sale" ? "#sale" : ""));
  if (typeof handover.gate === "string" && handover.gate) {
    $("gate").value = handover.gate;
    localStorage.setItem("hvflvspot.gate", handover.gate);
  }
  $(handover.direction === "exit" ? "exit" : "entry").checked = true;
  try {
    const opened = await api("/api/v1/session/pass", { method: "POST", body: JSON.stringify({ pass: String(handover.pass) }) });
    session = { token: opened.token, idleMs: opened.idle_timeout_seconds * 1000, pass: handover.pass };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    lastActivity = Date.now();
    lastKeepAlive = lastActivity;
    $("signin-message").hidden = true;
  } catch (error) {
    $("signin-message").textContent = "This node did not take your sign-in from the other door (" + error.message
      + ") Sign in with the PIN.";
    $("signin-message").hidden = false;
  }
  showScreen();
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
  else {
    stopCamera();
    if ($("sale-result").hidden) loadCatalogue();
    loadSalesHistory();
  }
}

async function signIn(event) {
  event.preventDefault();
  const pin = $("pin").value;
  $("pin").value = "";
  try {
    const opened = await api("/api/v1/session", { method: "POST", body: JSON.stringify({ pin }) });
    session = { token: opened.token, idleMs: opened.idle_timeout_seconds * 1000, pass: opened.staff_pass };
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
  stopCamera();
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
  feedback(result);
  clearTimeout(verdictTimer);
  verdictTimer = setTimeout(hideVerdict, VERDICT_SHOWN_MS);
}

// MARK: Feedback you can hear and feel (each switchable, remembered by the browser).

/** Tones per verdict: [hertz, seconds, wave]; 0 Hz is a pause. No files to fetch. */
const TONES = {
  admit: [[1046, 0.12, "sine"], [0, 0.04], [1318, 0.16, "sine"]],
  already: [[587, 0.14, "triangle"], [0, 0.08], [587, 0.14, "triangle"]],
  refuse: [[196, 0.5, "square"]],
};
const VIBRATIONS = { admit: [80], already: [120, 80, 120], refuse: [400] };

/** The sound of a verdict follows its colour: green admit, amber check (already in), red refuse. */
function feedbackKind(result) {
  return result.signal === "green" ? "admit" : result.signal === "amber" ? "already" : "refuse";
}

/** Phones play sound only from a context made or resumed during a tap: called on taps. */
function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  audio = audio || new Context();
  if (audio.state === "suspended") audio.resume();
}

function feedback(result) {
  const kind = feedbackKind(result);
  const played = [];
  if ($("feedback-sound").checked && playTones(TONES[kind])) played.push("sound");
  if ($("feedback-vibrate").checked && navigator.vibrate && navigator.vibrate(VIBRATIONS[kind])) played.push("vibration");
  // What was played, for the browser tests (a headless browser has no speaker to listen to).
  $("verdict").dataset.feedback = kind + ":" + (played.join("+") || "none");
}

function playTones(tones) {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return false;
  audio = audio || new Context();
  if (audio.state === "suspended") audio.resume();
  let at = audio.currentTime + 0.01;
  for (const [hertz, seconds, wave] of tones) {
    if (hertz > 0) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = wave;
      oscillator.frequency.value = hertz;
      gain.gain.setValueAtTime(0.3, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + seconds);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + seconds);
    }
    at += seconds;
  }
  return true;
}

function hideVerdict() {
  clearTimeout(verdictTimer);
  if ($("verdict").hidden) return;
  $("verdict").hidden = true;
  // With the camera on (a phone), focusing the field would open the on-screen keyboard.
  if (!$("door").hidden && !camera.running) $("payload").focus();
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
  item.dataset.verdict = result.verdict;
  item.dataset.at = String(Date.now());
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
  if (!payload) return;
  $("payload").value = "";
  await check(payload);
}

/** Checks one ticket code, typed, from a handheld scanner or from the camera (`seenAt`: when
 * the camera frame that showed it was taken, in `performance.now()` time). */
async function check(payload, seenAt) {
  const gate = $("gate").value.trim() || "Main";
  const direction = document.querySelector("input[name=direction]:checked").value;
  try {
    const result = await api("/api/v1/scans", { method: "POST", body: JSON.stringify({ payload, gate, direction }) });
    showVerdict(result);
    // From the frame that showed the code to the verdict on screen (the browser tests read it).
    if (seenAt !== undefined) $("verdict").dataset.cameraMs = String(Math.round(performance.now() - seenAt));
    count(result);
    remember(result, gate);
  } catch (error) {
    if (error.status === 401) return;
    showVerdict({ verdict: "error", signal: "red", message: error.message, direction, conflicts: [] });
  }
  if (!$("door").hidden && !camera.running) $("payload").focus();
}

// MARK: Camera scanning — the browser's barcode detector where it has one, otherwise
// downscaled greyscale frames decoded by the node (libzbar).

function cameraStatus(text) {
  $("camera-status").textContent = text;
}

async function startCamera(deviceId) {
  unlockAudio();
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    cameraStatus("This browser opens the camera only on a secure page: open the kiosk at its https:// address "
      + "(the node's start page says how to trust the venue's certificate).");
    return;
  }
  stopCamera();
  const video = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: "environment" } };
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
  } catch (error) {
    cameraStatus("The camera did not open: " + error.message);
    return;
  }
  const element = $("camera-video");
  element.srcObject = camera.stream;
  await element.play().catch(() => {});
  camera.detector = null;
  if ("BarcodeDetector" in window) {
    try {
      if ((await window.BarcodeDetector.getSupportedFormats()).includes("qr_code")) {
        camera.detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      }
    } catch { /* decode on the node */ }
  }
  $("camera").hidden = false;
  $("camera-start").hidden = true;
  $("camera-stop").hidden = false;
  $("camera").dataset.decoder = camera.detector ? "browser" : "node";
  cameraStatus("Hold a ticket's code in view" + (camera.detector ? "." : " (decoded by the node)."));
  await showCameraChoices();
  const track = camera.stream.getVideoTracks()[0];
  const capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
  $("camera-torch").hidden = !capabilities.torch;
  $("camera-torch").setAttribute("aria-pressed", "false");
  camera.running = true;
  cameraLoop();
}

async function showCameraChoices() {
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter((device) => device.kind === "videoinput");
  const select = $("camera-choice");
  const current = camera.stream.getVideoTracks()[0]?.getSettings().deviceId;
  select.replaceChildren(...devices.map((device, index) => {
    const option = document.createElement("option");
    option.value = device.deviceId;
    option.textContent = device.label || "Camera " + (index + 1);
    return option;
  }));
  if (current) select.value = current;
  select.hidden = devices.length < 2;
}

function stopCamera() {
  camera.running = false;
  if (camera.stream) for (const track of camera.stream.getTracks()) track.stop();
  camera.stream = null;
  $("camera-video").srcObject = null;
  $("camera").hidden = true;
  $("camera-start").hidden = false;
  $("camera-stop").hidden = true;
  $("camera-torch").hidden = true;
  $("camera-choice").hidden = true;
}

async function toggleTorch() {
  const track = camera.stream && camera.stream.getVideoTracks()[0];
  if (!track) return;
  const on = $("camera-torch").getAttribute("aria-pressed") !== "true";
  try {
    await track.applyConstraints({ advanced: [{ torch: on }] });
    $("camera-torch").setAttribute("aria-pressed", String(on));
  } catch (error) {
    cameraStatus("The torch did not switch: " + error.message);
  }
}

/** One frame after another, each looked at once the previous one is done (no pile-up on a slow link). */
async function cameraLoop() {
  while (camera.running) {
    const started = performance.now();
    try {
      const codes = await codesInView();
      if (codes.length > 0) await sighted(codes[0], started);
    } catch (error) {
      if (error.status === 401) return stopCamera();
      cameraStatus("Camera scanning paused: " + error.message);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, CAMERA_FRAME_EVERY_MS - (performance.now() - started))));
  }
}

async function codesInView() {
  const video = $("camera-video");
  if (video.readyState < 2 || !video.videoWidth) return [];
  if (camera.detector) return (await camera.detector.detect(video)).map((code) => code.rawValue);
  const scale = Math.min(1, CAMERA_FRAME_SIDE / Math.max(video.videoWidth, video.videoHeight));
  const width = Math.max(16, Math.round(video.videoWidth * scale));
  const height = Math.max(16, Math.round(video.videoHeight * scale));
  camera.canvas = camera.canvas || document.createElement("canvas");
  camera.canvas.width = width;
  camera.canvas.height = height;
  const context = camera.canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(video, 0, 0, width, height);
  const rgba = context.getImageData(0, 0, width, height).data;
  const grey = new Uint8Array(width * height);
  for (let pixel = 0, byte = 0; pixel < grey.length; pixel += 1, byte += 4) {
    grey[pixel] = (rgba[byte] * 77 + rgba[byte + 1] * 150 + rgba[byte + 2] * 29) >> 8;
  }
  const answer = await api("/api/v1/frames?width=" + width + "&height=" + height, {
    method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: grey,
  });
  return answer.codes;
}

/** A code in view: checked once while it stays in view, again after it has left for a moment. */
async function sighted(code, seenAt) {
  const now = Date.now();
  const same = code === camera.lastCode && now - camera.lastSeen < CAMERA_SAME_CODE_MS;
  camera.lastCode = code;
  camera.lastSeen = now;
  if (same) return;
  cameraStatus("Checking a code from the camera…");
  await check(code.trim(), seenAt);
  camera.lastSeen = Date.now();
  cameraStatus("Hold a ticket's code in view.");
}

// MARK: Looking back: a ticket's scans at every door.

async function lookup(event) {
  event.preventDefault();
  const ticket = $("lookup").value.trim();
  if (!ticket) return;
  const result = $("lookup-result");
  const list = $("lookup-scans");
  list.replaceChildren();
  try {
    const answer = await api("/api/v1/scans?ticket=" + encodeURIComponent(ticket));
    result.textContent = answer.scans.length === 0
      ? "No scans of ticket …" + answer.ticket_id.slice(-8) + " at this venue yet."
      : answer.scans.length + " scan" + (answer.scans.length === 1 ? "" : "s") + " of ticket …" + answer.ticket_id.slice(-8) + ", newest first:";
    for (const scan of answer.scans) {
      const item = document.createElement("li");
      item.className = scan.verdict === "ok" ? "green" : scan.verdict === "already_admitted" ? "amber" : "red";
      const mark = document.createElement("span");
      mark.className = "mark";
      mark.textContent = scan.verdict === "ok" ? scan.direction : scan.verdict.replace(/_/g, " ");
      const text = document.createElement("span");
      text.textContent = new Date(scan.at).toLocaleString([], { dateStyle: "short", timeStyle: "medium" })
        + " · gate " + scan.gate + " · " + (scan.here ? "this door" : "door …" + scan.node_id.slice(-8));
      item.append(mark, text);
      list.append(item);
    }
  } catch (error) {
    if (error.status === 401) return;
    result.textContent = "Not found: " + error.message;
  }
  result.hidden = false;
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
  loadSalesHistory();
}

/** This door's recent sales, each of which can show its tickets' QR codes again. */
async function loadSalesHistory() {
  let answer;
  try {
    answer = await api("/api/v1/door-sales");
  } catch (error) {
    if (error.status === 401) return;
    $("sales-history-error").textContent = "Recent sales not shown: " + error.message;
    $("sales-history-error").hidden = false;
    return;
  }
  $("sales-history-error").hidden = true;
  $("sales-history-empty").hidden = answer.sales.length > 0;
  const uploads = { pending: "upload pending", uploaded: "uploaded", rejected: "refused by the server" };
  $("sales-history-list").replaceChildren(...answer.sales.map((sale) => {
    const item = document.createElement("li");
    item.dataset.sale = sale.sale_id;
    item.dataset.upload = sale.upload;
    const text = document.createElement("span");
    text.textContent = new Date(sale.sold_at).toLocaleTimeString([], { timeStyle: "short" }) + " · " + sale.quantity + " × "
      + sale.ticket_type_name + " · " + sale.event_title + " · " + money(sale.amount_minor, sale.currency)
      + (sale.payment_method === "cash" ? " cash" : " card") + " · " + uploads[sale.upload];
    const show = document.createElement("button");
    show.type = "button";
    show.textContent = "Show tickets";
    show.addEventListener("click", () => { showSale(sale); window.scrollTo(0, 0); });
    item.append(text, show);
    return item;
  }));
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

// MARK: Phones: how to reach this kiosk over HTTPS (shown on the sign-in screen).

async function showPhoneSetup() {
  let tls;
  try {
    tls = await api("/api/v1/tls");
  } catch {
    return;  // the status bar already says the node does not answer
  }
  $("phones").hidden = false;
  $("phones-https").hidden = !tls.https;
  $("phones-plain").hidden = tls.https;
  if (!tls.https) return;
  $("trust-qr").src = "/trust/qr.svg";
  $("trust-fingerprint").textContent = tls.fingerprint_sha256;
  $("kiosk-https").textContent = "https://" + location.hostname + ":" + tls.https_port + "/kiosk/";
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
  $("lookup-form").addEventListener("submit", lookup);
  $("camera-start").addEventListener("click", () => startCamera());
  $("camera-stop").addEventListener("click", stopCamera);
  $("camera-torch").addEventListener("click", toggleTorch);
  $("camera-choice").addEventListener("change", () => startCamera($("camera-choice").value));
  for (const name of ["feedback-sound", "feedback-vibrate"]) {
    const saved = localStorage.getItem("hvflvspot." + name);
    if (saved !== null) $(name).checked = saved === "on";
    $(name).addEventListener("change", () => localStorage.setItem("hvflvspot." + name, $(name).checked ? "on" : "off"));
  }
  window.addEventListener("hashchange", showScreen);
  refreshStatus();
  showPhoneSetup();
  setInterval(refreshStatus, STATUS_EVERY_MS);
  setInterval(checkIdle, 1000);
  if (location.hash.startsWith("#handover=")) takeHandover();
  else resumeSession();
}

document.addEventListener("DOMContentLoaded", start);
