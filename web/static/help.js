// Help page of a device's QR sticker: shows the device, sends a request, waits in the queue with its place and
// estimated wait, then joins the call with the technician who answered.
import { fragmentParams } from "/static/call.js";

const $ = (id) => document.getElementById(id);
const state = { helpToken: fragmentParams().get("h"), request: null, socket: null, retry: 0 };
window.lensdesk = state;
const STORE_KEY = "lensdesk.help";

function status(text) { $("status").textContent = text; }
function fail(text) { $("error").textContent = text; $("error").hidden = !text; }

function minutes(s) {
  if (s === null || s === undefined) return "A technician for this device is not online right now; please wait or leave a number.";
  if (s < 60) return "A technician should be with you within a minute.";
  return `Estimated wait: about ${Math.round(s / 60)} minute${Math.round(s / 60) === 1 ? "" : "s"}.`;
}

async function lookUpDevice() {
  const res = await fetch("/api/help/device", { headers: { Authorization: `Bearer ${state.helpToken}` } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.detail || "This help link does not work.");
  $("device-model").textContent = body.label || body.model;
  $("device-serial").textContent = body.serial ? `S/N ${body.serial}` : "";
  $("device-site").textContent = body.site;
  $("device").hidden = false;
}

function photoBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new Error("The photo could not be read."));
    reader.readAsDataURL(file);
  });
}

$("ask").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  fail("");
  const media = ev.submitter?.value === "video" ? "video" : "voice";
  for (const b of $("ask").querySelectorAll("button")) b.disabled = true;
  try {
    const file = $("photo").files[0];
    const body = { name: $("name").value.trim(), description: $("description").value.trim(), media,
      language: (navigator.language || "").split("-")[0], photo: file ? await photoBase64(file) : "" };
    const res = await fetch("/api/help/requests", { method: "POST", body: JSON.stringify(body),
      headers: { Authorization: `Bearer ${state.helpToken}`, "Content-Type": "application/json" } });
    const out = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(out.detail || `The request could not be sent (${res.status}).`);
    state.request = { ...out, media };
    sessionStorage.setItem(STORE_KEY, JSON.stringify(state.request));
    wait();
  } catch (e) {
    fail(e.message);
    for (const b of $("ask").querySelectorAll("button")) b.disabled = false;
  }
});

function wait() {
  $("ask").hidden = true;
  $("waiting").hidden = false;
  status("You are in the queue.");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws/queue`);
  state.socket = ws;
  ws.onopen = () => { state.retry = 0; ws.send(JSON.stringify({ type: "queue_hello", token: state.request.token })); };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "queue_position") {
      state.position = msg.position;
      $("position").textContent = msg.position === 1 ? "You are next." : `You are number ${msg.position} in the queue.`;
      $("eta").textContent = minutes(msg.eta_s);
      if (msg.callback_number) showCallback(msg.callback_number);
    } else if (msg.type === "queue_assigned") {
      state.assigned = msg;
      if (msg.callback_number && !state.request.joinAnyway) {
        status(`${msg.technician_name} will call you back on ${msg.callback_number}.`);
      }
      sessionStorage.removeItem(STORE_KEY);
      ws.close();
      location.href = `/join#token=${encodeURIComponent(state.request.token)}${state.request.media === "video" ? "&video=1" : ""}`;
    } else if (msg.type === "queue_closed") {
      sessionStorage.removeItem(STORE_KEY);
      $("waiting").hidden = true;
      status(msg.reason === "cancelled" ? "Your request was cancelled." : "Your request is closed.");
      ws.close();
    } else if (msg.type === "error") {
      fail(msg.message);
      if (msg.fatal) { sessionStorage.removeItem(STORE_KEY); state.closed = true; }
    }
  };
  ws.onclose = () => {
    if (state.assigned || state.closed || $("waiting").hidden) return;
    state.retry = Math.min(state.retry + 1, 6);
    status("Reconnecting… your place is kept.");
    setTimeout(wait, 500 * 2 ** state.retry);
  };
}

function showCallback(number) {
  $("callback-note").textContent = `We will call you on ${number} if you are not here when a technician is free.`;
  $("callback-note").hidden = false;
}

$("callback").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const number = $("callback-number").value.trim();
  if (!number || !state.socket) return;
  state.socket.send(JSON.stringify({ type: "queue_callback", number }));
  showCallback(number);
});

$("cancel").addEventListener("click", () => {
  state.socket?.send(JSON.stringify({ type: "queue_cancel" }));
});

const kept = sessionStorage.getItem(STORE_KEY);
if (kept) {  // back after closing or reloading the page: same request, same place
  state.request = JSON.parse(kept);
  wait();
} else if (!state.helpToken) {
  status("This help link is incomplete.");
  fail("Scan the sticker on the device again.");
} else {
  lookUpDevice().then(() => { status("Tell us who you are, and we connect you."); $("ask").hidden = false; })
    .catch((e) => { status("This help link does not work."); fail(e.message); });
}
