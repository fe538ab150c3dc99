// Customer page: phone-first; rear camera by default; the customer's browser owns the camera and re-offers.
import { Call, fragmentParams, rejoinWithBackoff } from "/static/call.js";

const $ = (id) => document.getElementById(id);
const state = { call: null, camera: null, facing: "environment", videoTransceiver: null, mic: null, muted: false };
window.lensdesk = state; // for diagnostics in tests and support

function status(text) { $("status").textContent = text; }
function fail(text) { $("error").textContent = text; $("error").hidden = false; }

function sessionFromToken(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
    return { sid: claims.sid, exp: claims.exp };
  } catch { return null; }
}

let token = fragmentParams().get("token");
const claims = token && sessionFromToken(token);
if (!claims || !claims.sid) {
  status("This link is not valid.");
  fail("The link is incomplete or damaged. Please ask the technician to send you a new link.");
} else if (claims.exp * 1000 < Date.now()) {
  status("This link has expired.");
  fail("This link has expired. Please ask the technician to send you a new link.");
} else {
  // Recording consent comes before the call: learn whether this deployment records, then allow joining.
  fetch("/api/public/config").then((r) => r.json()).then((cfg) => {
    state.recording = !!cfg.recording;
    $("recording-note").hidden = !state.recording;
    status("Ready to join.");
    $("join").disabled = false;
  }).catch(() => { fail("The support server cannot be reached. Check your connection and reload this page."); });
}

$("join").addEventListener("click", async () => {
  $("join").disabled = true;
  status("Connecting…");
  try {
    state.mic = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    fail("We could not use your microphone. Allow microphone access in your browser settings, then reload this page.");
    status("Microphone blocked.");
    $("join").disabled = false;
    return;
  }
  try {
    await connectCall();
  } catch (e) {
    const msg = e.code === "token_expired" ? "This link has expired. Please ask the technician for a new link."
      : e.code === "session_ended" ? "This support session has ended."
      : e.code === "customer_present" ? "This link is already in use in another tab or device."
      : e.message;
    fail(msg); status("Could not join.");
    return;
  }
  $("consent").hidden = true;
  $("call").hidden = false;
  status(state.technicianName ? `In a call with ${state.technicianName}.` : "Connected. Waiting for the technician…");
});

/** Join the session and set up media; on a reconnect the camera that was on is sent again. */
async function connectCall() {
  const call = new Call({ token, sessionId: claims.sid, name: "Customer" });
  state.call = call;
  wire(call);
  const welcome = await call.connect();
  $("recording-live").hidden = !welcome.recording;
  const pc = call.createPeer();
  for (const t of state.mic.getAudioTracks()) pc.addTrack(t, state.mic);
  state.videoTransceiver = null;
  await call.negotiate();
  if (state.camera) {
    const track = state.camera.getVideoTracks()[0];
    state.videoTransceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [state.camera] });
    await call.negotiate();
    call.send({ type: "video_started", facing: state.facing === "environment" ? "environment" : "user" });
  }
}

/** A phone switching networks drops the connection: rejoin with backoff instead of ending the call. */
async function reconnect() {
  const ok = await rejoinWithBackoff(state, connectCall, {
    onTry: () => status("Connection lost. Reconnecting…"),
    onFinal: (e) => fail(e.code === "session_ended" ? "This support session has ended."
      : "The link is no longer valid. Please ask the technician for a new link."),
  });
  if (ok) {
    fail("");
    status(state.technicianName ? `Reconnected. In a call with ${state.technicianName}.` : "Reconnected.");
  } else {
    status("Disconnected. Reload this page to try again.");
  }
}

function wire(call) {
  call.addEventListener("track", (ev) => {
    const e = ev.detail;
    if (e.track.kind === "audio") $("remote-audio").srcObject = e.streams[0] || new MediaStream([e.track]);
  });
  call.addEventListener("pcstate", (ev) => {
    // Media lost while signaling still works (e.g. a new network path): start over on a fresh connection.
    if (ev.detail === "failed" && call === state.call && !call.closed) { call.closed = true; call.ws.close(); reconnect(); }
  });
  call.addEventListener("welcome", (ev) => {
    const tech = ev.detail.participants.find((p) => p.role === "technician");
    if (tech) { state.technicianName = tech.name; status(`In a call with ${tech.name}.`); }
  });
  call.addEventListener("participant_joined", (ev) => {
    if (ev.detail.participant.role === "technician") {
      state.technicianName = ev.detail.participant.name;
      status(`In a call with ${ev.detail.participant.name}.`);
    }
  });
  call.addEventListener("participant_left", (ev) => {
    if (!ev.detail.participant_id.startsWith("t-")) return;
    state.technicianName = null;
    status("The technician left the call.");
  });
  call.addEventListener("video_requested", (ev) => {
    $("request-by").textContent = ev.detail.by_name || "The technician";
    $("request").hidden = false;
  });
  call.addEventListener("stop_video", () => stopVideo());
  call.addEventListener("shared_finding", (ev) => {
    $("shared-code").textContent = ev.detail.code;
    $("shared-title").textContent = ev.detail.title;
    $("shared-remedy").textContent = ev.detail.remedy ? `What to do: ${ev.detail.remedy}` : "";
    $("shared").hidden = false;
  });
  // Rejoining after a drop must not depend on the join link, which may expire during a long call.
  call.addEventListener("rejoin_token", (ev) => { token = ev.detail.token; });
  call.addEventListener("ended", () => {
    state.ended = true;
    status("The technician ended the session. Thank you!");
    teardown();
  });
  call.addEventListener("error", (ev) => { if (ev.detail.code !== "video_off") fail(ev.detail.message); });
  call.addEventListener("closed", () => {
    if (call === state.call && !call.closed && !state.ended) reconnect();
  });
}

async function openCamera(facing) {
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: facing }, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
  } catch (e) {
    fail(e.name === "NotAllowedError"
      ? "Camera access was denied. Allow the camera for this site in your browser settings, then press Start video again."
      : "No camera could be opened: " + e.message);
    return null;
  }
}

async function startVideo() {
  const stream = await openCamera(state.facing);
  if (!stream) return false;
  const track = stream.getVideoTracks()[0];
  track.contentHint = "detail"; // device screens: keep text sharp rather than motion smooth
  state.camera = stream;
  $("preview").srcObject = stream;
  const call = state.call;
  if (!state.videoTransceiver) {
    // First time: a new m-line, so this side re-offers (the server never offers).
    state.videoTransceiver = call.pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    await call.negotiate();
  } else {
    // Restart within the same call: the negotiated m-line is reused, no renegotiation.
    await state.videoTransceiver.sender.replaceTrack(track);
  }
  call.send({ type: "video_started", facing: state.facing === "environment" ? "environment" : "user" });
  $("video").textContent = "Stop video";
  $("switch").hidden = false;
  status("Your camera is on. Point it at the device's screen.");
  return true;
}

async function stopVideo(notify = true) {
  if (!state.camera) return;
  if (state.videoTransceiver) await state.videoTransceiver.sender.replaceTrack(null);
  state.camera.getTracks().forEach((t) => t.stop());
  state.camera = null;
  $("preview").srcObject = null;
  $("video").textContent = "Start video";
  $("switch").hidden = true;
  if (notify) state.call.send({ type: "video_stop" });
  status("Camera off.");
}

$("video").addEventListener("click", async () => {
  $("video").disabled = true;
  try { if (state.camera) await stopVideo(); else await startVideo(); } finally { $("video").disabled = false; }
});

$("accept").addEventListener("click", async () => {
  $("request").hidden = true;
  state.call.send({ type: "video_accept" });
  if (!state.camera) await startVideo();
});
$("decline").addEventListener("click", () => { $("request").hidden = true; state.call.send({ type: "video_decline" }); });

$("switch").addEventListener("click", async () => {
  const next = state.facing === "environment" ? "user" : "environment";
  const stream = await openCamera(next);
  if (!stream) return;
  const track = stream.getVideoTracks()[0];
  track.contentHint = "detail";
  await state.videoTransceiver.sender.replaceTrack(track); // no renegotiation for a camera switch
  state.camera.getTracks().forEach((t) => t.stop());
  state.camera = stream;
  state.facing = next;
  $("preview").srcObject = stream;
  state.call.send({ type: "video_started", facing: next === "environment" ? "environment" : "user" });
});

$("mute").addEventListener("click", () => {
  state.muted = !state.muted;
  state.mic.getAudioTracks().forEach((t) => { t.enabled = !state.muted; });
  $("mute").textContent = state.muted ? "Unmute" : "Mute";
  state.call.send({ type: "mute", muted: state.muted });
});

function teardown() {
  if (state.camera) state.camera.getTracks().forEach((t) => t.stop());
  if (state.mic) state.mic.getTracks().forEach((t) => t.stop());
  $("call").hidden = true;
}

$("hangup").addEventListener("click", () => {
  state.call.hangUp();
  teardown();
  status("You left the call. You can close this page.");
});
