// Recording review: a ticket's sessions, each recording with its findings on a timeline, snapshots and audit.
// Opened as /review#ticket=<id>&token=<technician token>. The token lives only in the fragment (then in
// sessionStorage, like the console) and in API calls: headers for JSON and images, ?token= for the <video>
// and the download link, which cannot send headers.
import { fragmentParams, el } from "/static/call.js";
import { renderText } from "/static/chat.js";
import { drawMarks, EVENT_LABEL, describeEvent, eventsNear, chatStates, freezeAt, marksToDraw } from "/static/record.js";
import { renderShares, renderClip } from "/static/evidence.js";
import { renderTicketLifecycle } from "/static/lifecycle.js";
import { clock, findingAt, findingClass, findingDetails, findingName } from "/static/finding.js";
import { ApiError, restClient } from "/static/rest.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "lensdesk.token";
const POLL_MS = 5000;

const state = {
  token: null, ticketId: null, me: null, ticket: null, sessions: [], recordings: [], findings: [], audit: [],
  players: {}, selected: null, lastSeek: null, ready: false, error: "", message: "", pollTimer: null,
  events: {}, drawn: {},  // session id -> its events (chat, marks, freezes, camera); recording id -> marks drawn now
};
window.lensdesk = state;

function fail(text) { state.error = text; $("error").textContent = text; $("error").hidden = !text; }
function say(text) { state.message = text; $("status").textContent = text; }

const { api, send, fetchRaw } = restClient(() => state.token);

/** Whether the signed-in role may do this (signaling/policy.py, as /api/me tells it). */
function can(action) { return Boolean(state.me && (state.me.actions || []).includes(action)); }

function controls() { return { send, fetchRaw, fail, say, token: state.token, blobUrls: state.blobUrls }; }

async function blobUrl(path) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` }, cache: "no-store" });
  if (!res.ok) throw new ApiError(res.status, `HTTP ${res.status}`);
  return URL.createObjectURL(await res.blob());
}

function withToken(path) { return `${path}?token=${encodeURIComponent(state.token)}`; }

function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

function megabytes(bytes) { return bytes == null ? "" : `${(bytes / 1e6).toFixed(1)} MB`; }

function showSignin(message) {
  $("signin").hidden = false;
  $("ticket-input").value = state.ticketId || "";
  fail(message);
  state.ready = true;
}

function init() {
  state.ready = false;
  const params = fragmentParams();
  const fromFragment = params.get("token");
  state.ticketId = params.get("ticket") || state.ticketId;
  state.findingId = params.get("finding");  // from the session library: play this finding's moment once loaded
  if (fromFragment) sessionStorage.setItem(TOKEN_KEY, fromFragment);
  state.token = sessionStorage.getItem(TOKEN_KEY);
  // Drop the token from the address bar and history; keep the ticket so a reload still works.
  if (fromFragment) history.replaceState(null, "", state.ticketId ? `/review#ticket=${encodeURIComponent(state.ticketId)}` : "/review");
  if (!state.token) return showSignin("No technician token: open this page from the console's “Review this ticket” link, or paste a token.");
  if (!state.ticketId) return showSignin("No ticket given: enter the id of the ticket to review.");
  $("signin").hidden = true;
  load().catch((e) => { fail(`Could not load the ticket: ${e.message}`); state.ready = true; });
}

$("open").addEventListener("click", () => {
  const token = $("token-input").value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  state.ticketId = $("ticket-input").value.trim() || null;
  history.replaceState(null, "", state.ticketId ? `/review#ticket=${encodeURIComponent(state.ticketId)}` : "/review");
  fail("");
  init();
});
window.addEventListener("hashchange", () => {
  const params = fragmentParams();
  if (params.get("token") || params.get("ticket") !== state.ticketId) { fail(""); init(); }
});

async function load() {
  state.ready = false;
  clearPage();
  say("Loading the ticket…");
  try {
    state.me = await api("/api/me");
  } catch (e) {
    if (e.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      state.token = null;
      say("");
      return showSignin("Your technician token is not valid or has expired: open the review link from the console again.");
    }
    throw e;
  }
  if (state.me.role === "customer") {
    say("");
    return showSignin("This link's token cannot open recordings: reviewing needs a technician token (or a reviewer's or supervisor's).");
  }
  $("who").textContent = `— ${state.me.name}`;
  let ticket;
  try {
    ticket = await api(`/api/tickets/${encodeURIComponent(state.ticketId)}`);
  } catch (e) {
    say("");
    if (e.status === 404) { fail(`Ticket ${state.ticketId} does not exist.`); state.ready = true; return; }
    if (e.status === 403) return showSignin("This token cannot open recordings: reviewing needs a technician token.");
    throw e;
  }
  fail("");
  await loadEvents(ticket);
  render(ticket);
  if (state.findingId) {
    state.seek(state.findingId);
    state.findingId = null;
  }
}

/** Each session's events (chat, marks, freezes, camera changes), for the timelines and the overlay. */
async function loadEvents(ticket) {
  const lists = await Promise.all(ticket.sessions.map((x) =>
    api(`/api/sessions/${encodeURIComponent(x.id)}/events`).catch(() => [])));
  state.events = Object.fromEntries(ticket.sessions.map((x, i) => [x.id, lists[i]]));
}

function render(ticket) {
  state.ticket = ticket;
  state.sessions = ticket.sessions;
  state.recordings = ticket.recordings;
  state.findings = ticket.findings;
  state.audit = ticket.timeline.filter((t) => t.kind === "audit").map((t) => t.audit);
  for (const video of Object.values(state.players)) video.removeAttribute("src");  // stop old downloads
  state.players = {};
  state.selected = null;
  for (const url of state.blobUrls || []) URL.revokeObjectURL(url);
  state.blobUrls = [];

  $("ticket").hidden = false;
  $("ticket-title").textContent = ticket.title;
  $("ticket-id").textContent = ticket.id;
  $("ticket-customer").textContent = ticket.customer ? `Customer ${ticket.customer}` : "";
  $("ticket-ref").textContent = ticket.external_ref ? `External ${ticket.external_ref}` : "";
  $("ticket-status").textContent = ticket.status;
  $("ticket-created").textContent = `Opened ${when(ticket.created_at)}`;
  $("ticket").querySelector(".lifecycle")?.remove();
  if (can("retention.manage")) $("ticket").append(renderTicketLifecycle(controls(), ticket, () => load()));

  const box = $("sessions");
  box.replaceChildren();
  if (!ticket.sessions.length) say("This ticket has no support sessions yet, so there is nothing to review.");
  else if (!ticket.recordings.length) say("No recordings yet for this ticket.");
  else say("");
  for (const session of ticket.sessions) box.append(renderSession(session));

  clearTimeout(state.pollTimer);
  // Come back when the call has ended and the recording is finalised.
  if (ticket.recordings.some((r) => awaitingFinalisation(r, ticket.sessions))) schedulePoll();
  state.ready = true;
}

function schedulePoll() {
  clearTimeout(state.pollTimer);
  state.pollTimer = setTimeout(() => refreshIfChanged().catch(schedulePoll), POLL_MS);
}

function clearPage() {
  clearTimeout(state.pollTimer);
  for (const video of Object.values(state.players)) video.removeAttribute("src");
  state.players = {};
  state.ticket = null;
  $("ticket").hidden = true;
  $("sessions").replaceChildren();
}

const FINALISE_GRACE_MS = 60000;

/** A recording still being written, or finalised any moment now (its session ended only just). */
function awaitingFinalisation(rec, sessions) {
  if (rec.status !== "recording") return false;
  const session = sessions.find((s) => s.id === rec.session_id);
  return !session || session.status !== "ended" || Date.now() - Date.parse(session.ended_at) < FINALISE_GRACE_MS;
}

async function refreshIfChanged() {
  const ticket = await api(`/api/tickets/${encodeURIComponent(state.ticketId)}`);
  // Re-render only on a change that matters, so a recording being watched is not reset for nothing.
  const statuses = (t) => JSON.stringify([t.recordings.map((r) => [r.id, r.status]), t.sessions.map((x) => [x.id, x.status])]);
  const waiting = ticket.recordings.some((r) => awaitingFinalisation(r, ticket.sessions));
  if (statuses(ticket) !== statuses(state.ticket) || !waiting) { await loadEvents(ticket); render(ticket); }
  else schedulePoll();
}

/** The recording a finding belongs to: the session's latest recording started before the finding. */
function recordingOf(finding, recordings) {
  let best = recordings[0] || null;
  for (const r of recordings) if (Date.parse(r.created_at) <= Date.parse(finding.created_at)) best = r;
  return best;
}

function renderSession(session) {
  const recordings = state.recordings.filter((r) => r.session_id === session.id);
  const findings = state.findings.filter((f) => f.session_id === session.id);
  const card = el("section", { class: "card session", "data-session": session.id },
    el("div", { class: "session-head" },
      el("h2", {}, "Session ", el("code", {}, session.id.slice(0, 8)), " ", el("span", { class: "pill" }, session.status)),
      el("span", { class: "muted" }, `${when(session.created_at)}${session.ended_at ? ` – ${when(session.ended_at)}` : ""}`)));
  if (!recordings.length) {
    card.append(el("p", { class: "muted no-recording" }, session.status === "active"
      ? "No recording yet: the session has not started its call."
      : "No recording for this session (recording was off, or nothing was recorded)."));
  }
  const events = state.events[session.id] || [];
  for (const rec of recordings) {
    card.append(renderRecording(rec, findings.filter((f) => recordingOf(f, recordings) === rec),
      events.filter((e) => recordingOf({ created_at: e.at }, recordings) === rec)));
  }
  if (can("export")) card.append(renderShares(controls(), session));
  card.append(renderTranscript(events));
  card.append(renderAudit(state.audit.filter((a) => a.session_id === session.id), recordings));
  return card;
}

function renderRecording(rec, findings, events = []) {
  const part = el("div", { class: "recording", "data-recording": rec.id, "data-status": rec.status });
  if (rec.status === "recording") {
    const session = state.sessions.find((x) => x.id === rec.session_id);
    part.append(awaitingFinalisation(rec, state.sessions)
      ? el("p", { class: "notice in-progress" }, session && session.status === "ended"
        ? "The session has ended; its recording is being finalised. This page checks again by itself."
        : "Recording still in progress: it can be played once the session has ended. This page checks again by itself.")
      : el("p", { class: "notice unfinished" },
        "This session ended without a playable recording: nothing was recorded (no camera or microphone was on), "
        + "or finalising failed and the recording is recovered when the server restarts."));
    part.append(renderFindings(rec, findings));
    return part;
  }
  if (rec.status === "empty") {
    part.append(el("p", { class: "notice empty" },
      "Nothing was recorded in this call: no camera or microphone was on while it ran."));
    part.append(renderFindings(rec, findings));
    return part;
  }
  if (rec.status === "deleted") {
    part.append(el("p", { class: "notice erased" },
      "This recording was deleted: erased on request, or older than the retention policy keeps recordings."));
    part.append(renderFindings(rec, findings));
    return part;
  }
  if (rec.status === "recovered") {
    part.append(el("p", { class: "notice recovered" },
      "This recording was recovered after a server interruption; its last seconds may be missing."));
  }
  const video = el("video", { controls: "", preload: "metadata", playsinline: "", "data-recording": rec.id });
  video.src = withToken(rec.file_url);
  video.addEventListener("error", () => {
    part.querySelector(".video-error")?.remove();
    part.insertBefore(el("p", { class: "error video-error" }, "The recording could not be played in this browser; use the download link."), video.nextSibling);
  });
  state.players[rec.id] = video;
  const player = renderPlayer(rec, video, events);
  if (rec.poster_url) {
    blobUrl(rec.poster_url).then((url) => { state.blobUrls.push(url); video.poster = url; }).catch(() => {});
  }
  const duration = rec.duration_s || 0;
  const timeline = renderTimeline(rec, findings, video, events);
  part.append(player, timeline, ...(can("export") ? [renderClip(controls(), rec, video, timeline)] : []),
    el("div", { class: "meta muted" },
      el("span", {}, `Duration ${clock(duration)}`), el("span", {}, megabytes(rec.size_bytes)),
      el("span", {}, `Finalised ${when(rec.finalised_at)}`),
      // download="" keeps the server's file name (session-<id>.webm or .mkv)
      el("a", { class: "download", href: withToken(rec.file_url), download: "" }, "Download recording")));
  part.append(renderFindings(rec, findings, events), renderEvents(rec, events));
  return part;
}

/** The <video> with a canvas over it that draws the marks of each moment (normalised points -> the shown frame). */
function renderPlayer(rec, video, events) {
  const canvas = el("canvas", { class: "marks-overlay", "data-recording": rec.id, "aria-hidden": "true" });
  const frozen = el("p", { class: "pill frozen-badge", hidden: "" }, "Frozen frame on show");
  // the image a freeze showed (stored with the session's events), laid over the video while it was on show
  const still = el("img", { class: "frozen-still", "data-recording": rec.id, alt: "Frozen frame", hidden: "" });
  const wrap = el("div", { class: "player" }, video, still, canvas, frozen);
  const marks = events.filter((e) => e.offset_ms != null);
  const images = new Map();  // image file -> object URL ("" while loading or if it failed)
  let pending = false;
  const redraw = () => {
    pending = false;
    const t = video.currentTime;
    const freeze = freezeAt(marks, t);
    const file = freeze && freeze.imageFile;
    if (file && !images.has(file)) {
      images.set(file, "");
      blobUrl(`/api/sessions/${rec.session_id}/freezes/${encodeURIComponent(freeze.freezeId)}/image`)
        .then((url) => { state.blobUrls.push(url); images.set(file, url); schedule(); }).catch(() => {});
    }
    const url = file ? images.get(file) : "";
    const stillShown = Boolean(url) && still.dataset.file === file && still.complete && still.naturalWidth > 0;
    if (url && still.dataset.file !== file) {
      still.dataset.file = file;
      still.onload = schedule;
      still.src = url;
    }
    still.hidden = !stillShown;
    still.style.width = `${video.clientWidth}px`;
    still.style.height = `${video.clientHeight}px`;
    state.drawn[rec.id] = drawMarks(canvas, video, marksToDraw(marks, t, stillShown), stillShown ? still : video);
    state.drawn[rec.id].time = t;
    state.drawn[rec.id].still = stillShown ? freeze.freezeId : null;
    frozen.hidden = !freeze;
  };
  const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(redraw); } };
  for (const name of ["timeupdate", "seeked", "loadeddata", "play", "pause"]) video.addEventListener(name, schedule);
  new ResizeObserver(schedule).observe(video);
  // While playing, every displayed frame (timeupdate alone fires only ~4 times a second).
  const follow = () => { schedule(); if (!video.paused && !video.ended) video.requestVideoFrameCallback?.(follow); };
  video.addEventListener("play", () => video.requestVideoFrameCallback?.(follow));
  state.drawn[rec.id] = [];
  return wrap;
}

/** Chat, marks, freezes and camera changes of a recording, each seeking to its moment. */
function renderEvents(rec, events) {
  const shown = events.filter((e) => e.kind !== "chat_status");
  const wrap = el("details", { class: "record-events", open: "" },
    el("summary", {}, `On the record: chat, marks, freezes, camera (${shown.length})`));
  if (!shown.length) return wrap;
  const states = chatStates(events);
  const list = el("ol", { class: "events" });
  for (const e of shown) {
    const at = e.offset_ms != null ? clock(e.offset_ms / 1000) : "—";
    const what = e.kind === "chat" ? renderText(e.payload.text) : describeEvent(e);
    const item = el("li", { class: `record-event kind-${e.kind}`, "data-event": String(e.id), "data-kind": e.kind },
      el("span", { class: "at" }, at), " ", el("span", { class: `pill kind-${e.kind}` }, EVENT_LABEL[e.kind] || e.kind), " ",
      el("span", { class: "who" }, `${e.actor_name || e.actor_role} (${e.actor_role})`), ": ", el("span", { class: "what" }, what),
      e.kind === "chat" ? el("span", { class: "muted state" }, ` · ${states.get(e.payload.message_id) || "sent"}`) : "");
    if (e.offset_ms != null) {
      item.classList.add("seekable");
      item.addEventListener("click", (ev) => {
        if (ev.target.closest("a")) return;  // a link in a chat message opens, it does not seek
        seekTo(rec, e.offset_ms / 1000, { eventId: e.id });
      });
    }
    list.append(item);
  }
  wrap.append(list);
  return wrap;
}

/** The session's chat as the ticket keeps it (also sent to the ticket system when the session ended). */
function renderTranscript(events) {
  const chat = events.filter((e) => e.kind === "chat");
  const wrap = el("details", { class: "transcript" }, el("summary", {}, `Chat transcript (${chat.length} messages)`));
  if (!chat.length) return wrap;
  const states = chatStates(events);
  const list = el("ol", { class: "chat-log" });
  for (const e of chat) {
    list.append(el("li", { class: `chat-message from-${e.actor_role}`, "data-id": String(e.payload.message_id),
      "data-state": states.get(e.payload.message_id) || "sent" },
      el("div", { class: "chat-head" }, `${e.actor_name || e.actor_role} (${e.actor_role}) · ${when(e.at)}`),
      el("div", { class: "chat-text" }, renderText(e.payload.text)),
      el("span", { class: "state" }, states.get(e.payload.message_id) || "sent")));
  }
  wrap.append(list);
  return wrap;
}

function renderTimeline(rec, findings, video, events = []) {
  const duration = rec.duration_s || 0;
  const timeline = el("div", { class: "timeline", role: "group", "aria-label": "Findings on the recording's timeline" });
  const playhead = el("div", { class: "playhead" });
  timeline.append(playhead);
  video.addEventListener("timeupdate", () => {
    const total = duration || video.duration;
    if (total && Number.isFinite(total)) playhead.style.left = `${Math.min(100, (100 * video.currentTime) / total)}%`;
  });
  for (const f of findings) {
    if (f.offset_s == null) continue;
    const pct = duration > 0 ? Math.min(100, Math.max(0, (100 * f.offset_s) / duration)) : 0;
    timeline.append(el("button", {
      class: `marker${f.dismissed ? " dismissed" : ""}`, style: `left:${pct.toFixed(3)}%`, "data-finding": f.id,
      "data-code": f.code, title: `${findingName(f)} at ${clock(f.offset_s)}`,
      "aria-label": `${findingName(f)} at ${clock(f.offset_s)}`, onclick: () => seek(rec, f),
    }));
  }
  for (const e of events) {
    if (e.offset_ms == null || e.kind === "chat_status" || e.kind === "camera_capabilities") continue;
    const seconds = e.offset_ms / 1000;
    const pct = duration > 0 ? Math.min(100, Math.max(0, (100 * seconds) / duration)) : 0;
    const label = `${EVENT_LABEL[e.kind] || e.kind} at ${clock(seconds)}: ${e.kind === "chat" ? e.payload.text.slice(0, 80) : describeEvent(e)}`;
    timeline.append(el("button", { class: `event-marker kind-${e.kind}`, style: `left:${pct.toFixed(3)}%`,
      "data-event": String(e.id), "data-kind": e.kind, title: label, "aria-label": label,
      onclick: () => seekTo(rec, seconds, { eventId: e.id }) }));
  }
  return timeline;
}

function renderFindings(rec, findings, events = []) {
  const wrap = el("div", { class: "findings-of-recording" });
  if (!findings.length) {
    wrap.append(el("p", { class: "muted" }, "No findings in this recording."));
    return wrap;
  }
  const list = el("ol", { class: "findings" });
  const gallery = el("div", { class: "gallery" });
  for (const f of findings) {
    list.append(el("li", { class: findingClass(f), "data-finding": f.id, "data-code": f.code, onclick: () => seek(rec, f) },
      findingDetails(f, findingAt(f, " · no time in the recording"))));
    const img = el("img", { alt: `snapshot of ${findingName(f)}`, "data-finding": f.id });
    gallery.append(el("figure", { "data-finding": f.id, onclick: () => seek(rec, f) }, img,
      el("figcaption", {}, `${findingName(f)}${f.offset_s != null ? ` · ${clock(f.offset_s)}` : ""}`),
      renderNearby(rec, f, events)));
    blobUrl(f.snapshot_url).then((url) => { state.blobUrls.push(url); img.src = url; })
      .catch(() => { img.alt = "snapshot unavailable"; });
  }
  wrap.append(el("h3", {}, "Findings"), list, el("h3", {}, "Snapshots"), gallery);
  return wrap;
}

/** Links from a snapshot to what was said, drawn or changed around its moment. */
function renderNearby(rec, finding, events) {
  const near = finding.offset_s == null ? [] : eventsNear(events, finding.offset_s);
  if (!near.length) return "";
  const links = el("div", { class: "nearby" }, el("span", { class: "muted" }, "Around it: "));
  for (const e of near) {
    links.append(el("button", { class: `small nearby-event kind-${e.kind}`, "data-event": String(e.id),
      title: e.kind === "chat" ? e.payload.text.slice(0, 120) : describeEvent(e),
      onclick: (ev) => { ev.stopPropagation(); seekTo(rec, e.offset_ms / 1000, { eventId: e.id }); } },
    `${EVENT_LABEL[e.kind] || e.kind} ${clock(e.offset_ms / 1000)}`));
  }
  return links;
}

/** Seconds into the session's recording of an instant, with that recording (null if none covers it). */
function recordingTimeOf(iso, recordings) {
  const t = Date.parse(iso);
  let found = null;
  for (const r of recordings) if (Date.parse(r.created_at) <= t) found = r;
  if (!found) return null;
  const offset = (t - Date.parse(found.created_at)) / 1000;
  return found.duration_s != null && offset > found.duration_s + 1 ? null : { rec: found, offset };
}

function renderAudit(events, recordings) {
  const wrap = el("details", { class: "audit" }, el("summary", {}, `Audit events (${events.length})`));
  if (!events.length) return wrap;
  const body = el("tbody");
  for (const a of events) {
    const detail = Object.entries(a.detail || {}).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
    const moment = recordingTimeOf(a.at, recordings);
    const playable = moment && state.players[moment.rec.id];
    body.append(el("tr", { "data-action": a.action, class: playable ? "seekable" : "",
      ...(playable ? { title: "Show this moment of the recording", onclick: () => seekTo(moment.rec, moment.offset, { auditId: a.id }) } : {}) },
      el("td", { title: when(a.at) }, new Date(a.at).toLocaleTimeString()), el("td", {}, moment ? clock(moment.offset) : ""), el("td", {}, a.actor),
      el("td", {}, a.action), el("td", {}, a.target || ""), el("td", {}, detail)));
  }
  wrap.append(el("table", {}, el("thead", {}, el("tr", {}, ...["When", "In recording", "Who", "What", "Target", "Detail"].map((h) => el("th", {}, h)))), body));
  return wrap;
}

function select(findingId) {
  state.selected = findingId;
  for (const node of document.querySelectorAll("[data-finding]")) {
    node.classList.toggle("selected", node.dataset.finding === findingId);
  }
}

/** Show a moment of a recording: seek its player there, paused. */
function seekTo(rec, seconds, info = {}) {
  const video = state.players[rec.id];
  if (!video) return;
  const seekInfo = { ...info, recordingId: rec.id, offset: seconds, seeked: false };
  state.lastSeek = seekInfo;
  const go = () => {
    video.pause();
    video.addEventListener("seeked", () => { seekInfo.seeked = true; }, { once: true });
    const end = Number.isFinite(video.duration) ? video.duration : seconds;
    // Moments sit exactly on a frame's start (the file's 1 ms grid). Half a millisecond past it lands inside
    // that frame; exactly on it, float-to-microsecond rounding in the player can show the frame before.
    video.currentTime = Math.max(0, Math.min(seconds + 0.0005, end));
  };
  if (video.readyState >= HTMLMediaElement.HAVE_METADATA) go();
  else { video.addEventListener("loadedmetadata", go, { once: true }); video.load(); }
  video.scrollIntoView({ block: "nearest" });
}

/** Show the finding's moment and highlight it everywhere (marker, list, gallery). */
function seek(rec, finding) {
  select(finding.id);
  if (finding.offset_s != null) seekTo(rec, finding.offset_s, { findingId: finding.id });
}
state.seek = (findingId) => {
  const f = state.findings.find((x) => x.id === findingId);
  if (!f) return false;
  const rec = recordingOf(f, state.recordings.filter((r) => r.session_id === f.session_id));
  if (rec) seek(rec, f);
  return !!rec;
};

init();
