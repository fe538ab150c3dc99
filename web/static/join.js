// Customer page: phone-first; rear camera by default; the customer's browser owns the camera and re-offers.
import { Call, fragmentParams, rejoinWithBackoff } from "/static/call.js";
import { ChatPanel } from "/static/chat.js";
import { CameraRemote } from "/static/camera.js";
import { MarkOverlay } from "/static/annotate.js";

const $ = (id) => document.getElementById(id);
const state = { call: null, camera: null, facing: "environment", videoTransceiver: null, mic: null, muted: false };
window.lensdesk = state; // for diagnostics in tests and support
state.cameraRemote = new CameraRemote($("camera-notice"),
  () => (state.camera ? state.camera.getVideoTracks()[0] || null : null));
// The technician's marks over this page's own camera preview (and the picture they froze, while they show it).
state.overlay = new MarkOverlay($("stage"), $("preview"), { frozenImage: $("frozen-frame") });
$("stage").addEventListener("freeze", (ev) => { $("frozen-note").hidden = !ev.detail.frozen; });
state.chat = new ChatPanel($("chat"), { role: "customer", onUnread: (n) => {
  $("chat-unread").textContent = `${n} new`; $("chat-unread").hidden = !n;
} });

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
    state.maxSendHeight = cfg.maxSendHeight || 0;
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
  // A help request asked for video (help page, #video=1): the camera starts with the call.
  if (fragmentParams().get("video") === "1" && !state.camera) $("video").click();
});

/** Join the session and set up media; on a reconnect the camera that was on is sent again. */
async function connectCall() {
  const call = new Call({ token, sessionId: claims.sid, name: "Customer" });
  state.call = call;
  wire(call);
  state.chat.attach(call);
  state.cameraRemote.attach(call);
  state.overlay.attach(call);
  const welcome = await call.connect();
  $("recording-live").hidden = !welcome.recording;
  const pc = call.createPeer();
  for (const t of state.mic.getAudioTracks()) pc.addTrack(t, state.mic);
  state.videoTransceiver = null;
  await call.negotiate();
  if (state.camera) {
    const track = state.camera.getVideoTracks()[0];
    state.videoTransceiver = pc.addTransceiver(track, sendInit(track, state.camera));
    await call.negotiate();
    call.send({ type: "video_started", facing: state.facing === "environment" ? "environment" : "user" });
    state.cameraRemote.report();
  }
}

/** Transceiver options for the camera; a deployment may cap the live height (tests show what scans add). */
function sendInit(track, stream) {
  const init = { direction: "sendonly", streams: [stream] };
  const height = track.getSettings().height || 0;
  if (state.maxSendHeight > 0 && height > state.maxSendHeight) {
    init.sendEncodings = [{ scaleResolutionDownBy: height / state.maxSendHeight }];
  }
  return init;
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
    if (ev.detail.role !== "technician") return;
    state.technicianName = null;
    status("The technician left the call.");
  });
  call.addEventListener("video_requested", (ev) => {
    $("request-by").textContent = ev.detail.by_name || "The technician";
    $("request").hidden = false;
  });
  call.addEventListener("stop_video", () => stopVideo());
  call.addEventListener("take_still", (ev) => scan(ev.detail));
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
  call.addEventListener("error", (ev) => {
    if (!["video_off", "no_scan_requested"].includes(ev.detail.code)) fail(ev.detail.message);
  });
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
    state.videoTransceiver = call.pc.addTransceiver(track, sendInit(track, stream));
    await call.negotiate();
  } else {
    // Restart within the same call: the negotiated m-line is reused, no renegotiation.
    await state.videoTransceiver.sender.replaceTrack(track);
  }
  call.send({ type: "video_started", facing: state.facing === "environment" ? "environment" : "user" });
  state.cameraRemote.report();
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
  $("camera-notice").hidden = true;
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
  state.cameraRemote.report(); // another camera, other controls
});

$("mute").addEventListener("click", () => {
  state.muted = !state.muted;
  state.mic.getAudioTracks().forEach((t) => { t.enabled = !state.muted; });
  $("mute").textContent = state.muted ? "Unmute" : "Mute";
  state.call.send({ type: "mute", muted: state.muted });
});

// --- full-resolution scan: one photo at the camera's full resolution, read on the server -------------------

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), ms))]);
}

function toJpeg(source, width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width; canvas.height = height;
  canvas.getContext("2d").drawImage(source, 0, 0, width, height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("no image"))),
    "image/jpeg", 0.92));
}

/** The sharpest still this browser offers: a real photo, else the track's own frame, else the preview. */
async function takeStill(track) {
  if ("ImageCapture" in window) {
    const capture = new ImageCapture(track);
    try {
      const photo = await withTimeout(capture.takePhoto(), 8000);
      if (photo && photo.size && ["image/jpeg", "image/png"].includes(photo.type)) return { blob: photo, source: "takePhoto" };
      if (photo && photo.size) {
        const bitmap = await createImageBitmap(photo);
        return { blob: await toJpeg(bitmap, bitmap.width, bitmap.height), source: "takePhoto" };
      }
    } catch { /* some cameras cannot take photos while streaming: use a frame instead */ }
    try {
      const frame = await withTimeout(capture.grabFrame(), 4000);
      return { blob: await toJpeg(frame, frame.width, frame.height), source: "grabFrame" };
    } catch { /* fall through to the preview element */ }
  }
  const video = $("preview");
  if (!video.videoWidth) throw new Error("the camera shows no picture yet");
  return { blob: await toJpeg(video, video.videoWidth, video.videoHeight), source: "video" };
}

async function scan(request) {
  const asked = performance.now();
  const track = state.camera && state.camera.getVideoTracks()[0];
  if (!track || track.readyState !== "live") {
    state.call.send({ type: "scan_failed", scan_id: request.scan_id, reason: "the camera is off" });
    return;
  }
  $("scan-hint").hidden = false;
  let still;
  try {
    still = await takeStill(track);
  } catch (e) {
    $("scan-hint").hidden = true;
    state.call.send({ type: "scan_failed", scan_id: request.scan_id, reason: String(e.message || e).slice(0, 180) });
    return;
  }
  $("scan-hint").hidden = true;
  const delay = Math.round(performance.now() - asked);
  state.lastScan = { scan_id: request.scan_id, source: still.source, bytes: still.blob.size };
  const url = `${request.upload_path}?delay_ms=${delay}&source=${still.source}`;
  try {
    const res = await fetch(url, { method: "POST", body: still.blob,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": still.blob.type } });
    state.lastScan.status = res.status;
    if ([413, 415, 422].includes(res.status)) { // the scan still waits: tell the technician why no photo comes
      const problem = await res.json().catch(() => ({}));
      state.call.send({ type: "scan_failed", scan_id: request.scan_id,
        reason: `upload refused (${res.status}): ${problem.detail || ""}`.slice(0, 180) });
    }
  } catch (e) {
    state.lastScan.status = 0;
    state.call.send({ type: "scan_failed", scan_id: request.scan_id, reason: "the upload failed" });
  }
}

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
