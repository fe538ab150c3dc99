// Technician console: create a session for a ticket, share the join link, run the call, see findings live.
import { Call, fragmentParams, el, rejoinWithBackoff } from "/static/call.js";
import { ChatPanel } from "/static/chat.js";
import { CameraConsole } from "/static/camera.js";
import { MarkOverlay, bindToolbar } from "/static/annotate.js";
import { QueuePanel } from "/static/queue.js";
import { findingClass, findingDetails, findingName } from "/static/finding.js";
import { restClient } from "/static/rest.js";

const $ = (id) => document.getElementById(id);
const state = { token: null, call: null, ticketId: null, sessionId: null, mic: null, muted: false, findings: [],
  participants: new Map() };
window.lensdesk = state;
state.camera = new CameraConsole($("camera-controls"), $("camera-state"), $("remote-video"));
state.overlay = new MarkOverlay($("stage"), $("remote-video"), { editable: true, frozenImage: $("frozen-frame") });
bindToolbar($("mark-tools"), state.overlay, {
  onFreeze: (freeze) => { fail(""); state.call?.send({ type: freeze ? "freeze" : "resume" }); } });
$("stage").addEventListener("freeze", (ev) => {
  $("freeze").textContent = ev.detail.frozen ? "Back to live" : "Freeze";
  $("freeze").disabled = !ev.detail.frozen && state.video !== "active";
});
state.chat = new ChatPanel($("chat"), { role: "technician", onUnread: (n) => {
  $("chat-unread").textContent = `${n} new`; $("chat-unread").hidden = !n;
} });

function fail(text) { $("error").textContent = text; $("error").hidden = !text; }

// api(method, path, body): a JSON call with the page's token (web/static/rest.js)
const { send: api } = restClient(() => state.token);

function init() {
  const fromFragment = fragmentParams().get("token");
  if (fromFragment) {
    sessionStorage.setItem("lensdesk.token", fromFragment);
    const rest = fragmentParams(); rest.delete("token");
    history.replaceState(null, "", "/console" + (rest.toString() ? "#" + rest.toString() : ""));
  }
  state.token = sessionStorage.getItem("lensdesk.token");
  $("signin").hidden = !!state.token;
  $("ticket-card").hidden = !state.token;
  $("queue-card").hidden = !state.token;
  if (state.token && !state.queue) {
    state.queue = new QueuePanel($("queue-card"), { token: state.token, onError: fail,
      // A customer from the queue: open their session's call (the ticket was filled in from the sticker).
      onAssigned: (a) => { if (!state.call || state.ended) joinExisting(a.session_id); } });
  }
  if (state.token) $("catalog-link").href = `/catalog#token=${encodeURIComponent(state.token)}`;
  if (state.token) $("library-link").href = `/library#token=${encodeURIComponent(state.token)}`;
  if (state.token) api("GET", "/api/me").then((me) => { $("who").textContent = `— ${me.name}`; }).catch(() => {
    sessionStorage.removeItem("lensdesk.token"); state.token = null; $("signin").hidden = false;
    fail("Your technician token is not valid or has expired.");
  });
}
// Technician tokens are short-lived: swap for a fresh one well before expiry (never past the sign-in's end).
setInterval(async () => {
  if (!state.token) return;
  try {
    const fresh = await api("POST", "/api/tokens/refresh");
    state.token = fresh.token;
    sessionStorage.setItem("lensdesk.token", fresh.token);
    state.queue?.setToken(fresh.token);
  } catch (e) { fail(`Your sign-in could not be renewed: ${e.message}`); }
}, 4 * 60 * 1000);

$("token-save").addEventListener("click", () => {
  sessionStorage.setItem("lensdesk.token", $("token-input").value.trim()); fail(""); init();
});
init();

$("create-session").addEventListener("click", async () => {
  fail("");
  $("create-session").disabled = true;
  try {
    let ticketId = $("ticket-id").value.trim();
    if (!ticketId) {
      const ref = $("ticket-ref").value.trim();
      const ticket = await api("POST", "/api/tickets", { title: $("ticket-title").value.trim() || "Support call",
        ...(ref ? { external_ref: ref } : {}) });
      ticketId = ticket.id;
      $("ticket-id").value = ticketId;
    }
    const session = await api("POST", `/api/tickets/${encodeURIComponent(ticketId)}/sessions`, {});
    state.ticketId = ticketId;
    state.sessionId = session.session.id;
    $("join-link").value = session.join_link;
    const minutes = Math.max(1, Math.round((Date.parse(session.join_expires_at) - Date.now()) / 60000));
    $("link-ttl").textContent = `${minutes} minutes`;
    showQr(session.join_link);
    $("review-link").href = `/review#ticket=${encodeURIComponent(ticketId)}&token=${encodeURIComponent(state.token)}`;
    $("link-box").hidden = false;
    await joinCall();
  } catch (e) {
    fail(`Could not create the session: ${e.message}`);
  } finally {
    $("create-session").disabled = false;
  }
});
// The QR code is fetched with the technician's token (POST: the link's token stays out of URLs and logs).
async function showQr(link) {
  const res = await fetch("/api/qr.svg", { method: "POST", body: JSON.stringify({ text: link }),
    headers: { "Authorization": `Bearer ${state.token}`, "Content-Type": "application/json" } });
  if (!res.ok) return;
  const old = $("qr").src;
  $("qr").src = URL.createObjectURL(await res.blob());
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
}
$("copy").addEventListener("click", () => navigator.clipboard?.writeText($("join-link").value));

// An invited expert joins a colleague's running session by its id (or an invite link with #session=).
async function joinExisting(sessionId) {
  fail("");
  try {
    const session = await api("GET", `/api/sessions/${encodeURIComponent(sessionId)}`);
    state.sessionId = session.id;
    state.ticketId = session.ticket_id;
    $("ticket-id").value = session.ticket_id;
    await joinCall();
  } catch (e) {
    fail(`Could not join that session: ${e.message}`);
  }
}
$("join-session").addEventListener("click", () => joinExisting($("join-session-id").value.trim()));
const invited = fragmentParams().get("session");
if (invited && state.token) joinExisting(invited);

async function joinCall() {
  if (!state.mic) {
    try { state.mic = await navigator.mediaDevices.getUserMedia({ audio: true }); }
    catch { fail("Microphone blocked: the customer will not hear you. Allow the microphone and rejoin."); }
  }
  const call = new Call({ token: state.token, sessionId: state.sessionId });
  state.call = call;
  wire(call);
  state.chat.attach(call);
  state.camera.attach(call);
  state.overlay.attach(call);
  await call.connect();
  const pc = call.createPeer();
  if (state.mic) for (const t of state.mic.getAudioTracks()) pc.addTrack(t, state.mic);
  else pc.addTransceiver("audio", { direction: "recvonly" });
  // Room for the customer's camera from the start: the server attaches it without any new offer.
  pc.addTransceiver("video", { direction: "recvonly" });
  await call.negotiate();
  for (const id of ["hangup", "end", "mute"]) $(id).disabled = false;
}

function setCallState(text) { $("call-state").textContent = text; }

/** The console's connection dropped (network change, laptop sleep): rejoin the same session with backoff. */
async function reconnect() {
  const ok = await rejoinWithBackoff(state, joinCall, {
    onTry: () => setCallState("reconnecting"),
    onFinal: (e) => fail(e.message),
  });
  if (ok) fail(""); else setCallState("disconnected");
}

function wire(call) {
  call.addEventListener("pcstate", (ev) => setCallState(ev.detail));
  call.addEventListener("track", (ev) => {
    const e = ev.detail;
    const stream = e.streams[0] || new MediaStream([e.track]);
    if (e.track.kind === "video") $("remote-video").srcObject = stream; else $("remote-audio").srcObject = stream;
  });
  call.addEventListener("welcome", (ev) => {
    state.participants = new Map(ev.detail.participants.map((p) => [p.id, p]));
    renderParticipants();
    const customer = ev.detail.participants.find((p) => p.role === "customer");
    customerPresent(!!customer);
    showVideo(ev.detail.video);
  });
  call.addEventListener("participant_joined", (ev) => {
    state.participants.set(ev.detail.participant.id, ev.detail.participant);
    renderParticipants();
    if (ev.detail.participant.role === "customer") customerPresent(true);
  });
  call.addEventListener("participant_left", (ev) => {
    state.participants.delete(ev.detail.participant_id);
    renderParticipants();
    if (ev.detail.role === "customer") customerPresent(false);
  });
  call.addEventListener("participant_muted", (ev) => {
    $("peer-info").textContent = ev.detail.muted ? "The customer muted their microphone." : "The customer is unmuted.";
  });
  call.addEventListener("video_state", (ev) => showVideo(ev.detail.state, ev.detail.reason));
  call.addEventListener("finding", (ev) => addFinding(ev.detail.finding));
  call.addEventListener("scan_status", (ev) => showScan(ev.detail));
  call.addEventListener("error", (ev) => fail(ev.detail.message));
  call.addEventListener("ended", () => { state.ended = true; setCallState("ended"); });
  call.addEventListener("closed", () => {
    if (call === state.call && !call.closed && !state.ended) reconnect();
  });
}

/** Who is in the call, each with a Remove button (removal closes their connection and revokes their link). */
function renderParticipants() {
  const list = $("participants");
  list.replaceChildren();
  for (const p of state.participants.values()) {
    const remove = el("button", { class: "danger", "data-participant": p.id }, "Remove");
    remove.addEventListener("click", async () => {
      remove.disabled = true;
      try {
        await api("DELETE", `/api/sessions/${encodeURIComponent(state.sessionId)}/participants/${encodeURIComponent(p.id)}`);
      } catch (e) { fail(e.message); remove.disabled = false; }
    });
    list.append(el("li", {}, `${p.name} (${p.role}) `, remove));
  }
}

$("new-link").addEventListener("click", async () => {
  try {
    const link = await api("POST", `/api/sessions/${encodeURIComponent(state.sessionId)}/join-link`, {});
    $("join-link").value = link.join_link;
    $("qr").src = `/api/qr.svg?text=${encodeURIComponent(link.join_link)}`;
  } catch (e) { fail(e.message); }
});

function customerPresent(present) {
  state.customerPresent = present;
  $("peer-info").textContent = present ? "The customer is in the call." : "Waiting for the customer to open the link…";
  $("request-video").disabled = !present;
}

function showVideo(phase, reason = "") {
  state.video = phase;
  const text = { off: reason === "declined" ? "The customer declined the video request." : "Video is off.",
    requested: "Waiting for the customer to accept the video request…", accepted: "The customer is starting the camera…",
    active: "The customer's camera is live." }[phase];
  $("video-state").textContent = text;
  $("stop-video").disabled = phase !== "active";
  $("snapshot").disabled = phase !== "active";
  $("scan").disabled = phase !== "active" || state.scanning;
  $("freeze").disabled = phase !== "active" && !state.overlay.frozen;
  $("request-video").disabled = !state.customerPresent || phase === "active" || phase === "requested";
}

$("request-video").addEventListener("click", () => state.call.send({ type: "video_request" }));

// A technician's own snapshot of the customer's camera, with a note: stored on the ticket as a manual finding.
$("snapshot").addEventListener("click", async () => {
  const video = $("remote-video");
  if (!video.videoWidth) return;
  const note = prompt("Note for this snapshot:", "") ?? null;
  if (note === null) return;
  // A typed code makes the snapshot a labelled example that accuracy on real calls is measured with.
  const code = (prompt("Code shown on the screen (optional):", "") ?? "").trim();
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  const blob = await new Promise((res) => canvas.toBlob(res, "image/jpeg", 0.9));
  const form = new FormData();
  form.append("file", blob, "snapshot.jpg");
  form.append("note", note);
  if (code) form.append("code", code);
  const res = await fetch(`/api/sessions/${encodeURIComponent(state.sessionId)}/snapshots`,
    { method: "POST", headers: { Authorization: `Bearer ${state.token}` }, body: form });
  if (!res.ok) fail(`The snapshot was not saved: ${(await res.json().catch(() => ({}))).detail || res.status}`);
});
$("stop-video").addEventListener("click", () => state.call.send({ type: "video_stop" }));

// Scan: the customer's page takes one full-resolution photo (the call goes on) and the server reads it.
$("scan").addEventListener("click", () => { fail(""); state.call.send({ type: "scan_request" }); });

function showScan(s) {
  state.scanning = s.state === "requested" || s.state === "reading";
  const node = $("scan-state");
  node.textContent = s.message;
  node.dataset.state = s.state;
  node.dataset.codes = s.codes.join(",");
  $("scan").disabled = state.scanning || state.video !== "active";
}
$("mute").addEventListener("click", () => {
  state.muted = !state.muted;
  state.mic?.getAudioTracks().forEach((t) => { t.enabled = !state.muted; });
  $("mute").textContent = state.muted ? "Unmute" : "Mute";
  state.call.send({ type: "mute", muted: state.muted });
});
$("hangup").addEventListener("click", () => { state.call.hangUp(false); setCallState("left"); });
$("end").addEventListener("click", () => { state.call.hangUp(true); setCallState("ended"); });

async function snapshotUrl(url) {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!res.ok) return "";
  return URL.createObjectURL(await res.blob());
}

async function addFinding(f) {
  const known = document.querySelector(`#findings li[data-id="${CSS.escape(f.id)}"]`);
  if (known) { known.classList.toggle("dismissed", !!f.dismissed); return; }
  state.findings.push(f);
  $("finding-count").textContent = String(state.findings.length);
  const img = el("img", { class: "snapshot", alt: `snapshot of ${findingName(f)}` });
  const dismiss = el("button", { class: "small", onclick: async () => {
    const reason = prompt("Why is this finding wrong?", "misread");
    if (reason === null) return;
    // Optional: the code really shown; the snapshot is kept as a labelled example either way.
    const correct = (prompt(`Correct code, if the screen shows one (not ${f.code}):`, "") ?? "").trim();
    try {
      await api("POST", `/api/findings/${encodeURIComponent(f.id)}/dismiss`,
        { reason: reason.trim() || "misread", correct_code: correct });
      item.classList.add("dismissed");
    }
    catch (e) { fail(e.message); }
  } }, "Dismiss");
  const share = el("button", { class: "small share", onclick: () => {
    state.call.send({ type: "share_finding", finding_id: f.id });
    share.textContent = "Shared with customer"; share.disabled = true;
  } }, "Share with customer");
  const details = findingDetails(f);
  details.append(el("div", { class: "row" }, share, dismiss));
  const item = el("li", { class: findingClass(f), "data-code": f.code, "data-id": f.id }, img, details);
  $("findings").prepend(item);
  img.src = await snapshotUrl(f.snapshot_url);
}
