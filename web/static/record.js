// A session's events on the record (GET /api/sessions/{id}/events): which marks show at a moment of the recording,
// drawing them over the player, and short descriptions. Pure functions apart from drawMarks.
"use strict";

export const EVENT_LABEL = {
  chat: "chat", chat_status: "receipt", annotation: "mark", annotation_update: "mark moved",
  annotation_clear: "marks cleared", freeze: "freeze", resume: "live again", camera_control: "camera",
  camera_capabilities: "camera can",
};
const POINTER_SHOWN_S = 2.0; // a laser dot is a gesture, not a lasting mark
const NEAR_S = 15.0;
const COLOURS = { red: "#ff3b30", orange: "#ff9500", yellow: "#ffcc00", green: "#34c759", blue: "#0a84ff",
  white: "#ffffff", black: "#000000" };

/** The marks showing `t` seconds into the recording: drawn before, not cleared (or resumed) since, with their latest
 * tracked position. `events` are one recording's events with offsets, in id (= time) order. */
export function activeMarks(events, t) {
  const marks = new Map();
  for (const e of events) {
    const at = e.offset_ms / 1000;
    if (at > t) break;
    const p = e.payload;
    if (e.kind === "annotation") {
      if (p.shape === "pointer" && t - at > POINTER_SHOWN_S) continue;
      marks.set(p.mark_id, { id: p.mark_id, shape: p.shape, colour: p.colour, points: p.points, visible: true,
        freezeId: p.freeze_id || null, since: at, eventId: e.id });
    } else if (e.kind === "annotation_update" && marks.has(p.mark_id)) {
      const mark = marks.get(p.mark_id);
      mark.visible = p.visible;
      if (p.visible && p.points.length === mark.points.length) mark.points = p.points;
    } else if (e.kind === "annotation_clear") {
      if (!p.mark_ids.length) marks.clear(); else for (const id of p.mark_ids) marks.delete(id);
    } else if (e.kind === "resume") {
      for (const [id, mark] of marks) if (mark.freezeId && (!p.freeze_id || mark.freezeId === p.freeze_id)) marks.delete(id);
    }
  }
  return [...marks.values()].filter((m) => m.visible);
}

/** The freeze on show at `t`, or null: { freezeId, imageFile } with the latest image stored for it by then (its
 * full-resolution still once that replaced the video frame; null for freezes recorded without their image). The
 * recording itself keeps the live video: the review shows the stored image over it. */
export function freezeAt(events, t) {
  let shown = null;
  for (const e of events) {
    if (e.offset_ms / 1000 > t) break;
    if (e.kind === "freeze") {
      if (!shown || shown.freezeId !== e.payload.freeze_id) shown = { freezeId: e.payload.freeze_id, imageFile: null };
      if (e.payload.image_file) shown.imageFile = e.payload.image_file;
    } else if (e.kind === "resume") shown = null;
  }
  return shown;
}

/** Whether a frozen frame was on show at `t`. */
export function frozenAt(events, t) {
  return freezeAt(events, t) !== null;
}

/** The marks to draw at `t`: on a freeze whose image is shown, that freeze's marks only (the still covers the
 * live video and its marks); otherwise every active mark over the video. */
export function marksToDraw(events, t, stillShown) {
  const marks = activeMarks(events, t);
  const freeze = freezeAt(events, t);
  if (!stillShown || !freeze) return marks;
  return marks.filter((m) => m.freezeId === freeze.freezeId);
}

/** The part of the element (a video, or the frozen still's <img>) its picture fills (object-fit: contain). */
export function frameBox(video) {
  const cw = video.clientWidth, ch = video.clientHeight;
  const vw = video.videoWidth || video.naturalWidth || cw, vh = video.videoHeight || video.naturalHeight || ch;
  const scale = Math.min(cw / vw, ch / vh) || 0;
  return { x: (cw - vw * scale) / 2, y: (ch - vh * scale) / 2, w: vw * scale, h: vh * scale };
}

/** Draw the marks over the video (or over `picture`, the frozen still laid over it); returns what was drawn (ids
 * and CSS-pixel points), for tests and support. */
export function drawMarks(canvas, video, marks, picture = video) {
  const ratio = window.devicePixelRatio || 1;
  const width = video.clientWidth, height = video.clientHeight;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const box = frameBox(picture);
  const drawn = [];
  for (const mark of marks) {
    const pts = mark.points.map(([x, y]) => [box.x + x * box.w, box.y + y * box.h]);
    ctx.strokeStyle = ctx.fillStyle = COLOURS[mark.colour] || mark.colour;
    ctx.lineWidth = 4;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    const [a, b] = [pts[0], pts[pts.length - 1]];
    if (mark.shape === "pointer") {
      ctx.arc(a[0], a[1], 8, 0, 2 * Math.PI);
      ctx.fill();
    } else if (mark.shape === "circle") {
      ctx.arc(a[0], a[1], Math.hypot(b[0] - a[0], b[1] - a[1]), 0, 2 * Math.PI);
      ctx.stroke();
    } else if (mark.shape === "box") {
      ctx.strokeRect(Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1]));
    } else {
      pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.stroke();
      if (mark.shape === "arrow") {
        const angle = Math.atan2(b[1] - a[1], b[0] - a[0]);
        ctx.beginPath();
        ctx.moveTo(b[0], b[1]);
        for (const side of [-1, 1]) ctx.lineTo(b[0] - 16 * Math.cos(angle + side * 0.45), b[1] - 16 * Math.sin(angle + side * 0.45));
        ctx.closePath();
        ctx.fill();
      }
    }
    drawn.push({ id: mark.id, shape: mark.shape, colour: mark.colour, points: pts, eventId: mark.eventId,
      onStill: picture !== video });
  }
  return drawn;
}

/** One line about an event that is not a chat message. */
export function describeEvent(e) {
  const p = e.payload;
  switch (e.kind) {
    case "annotation": return `${p.shape}${p.freeze_id ? " on the frozen frame" : ""}`;
    case "annotation_update": return p.visible ? "the marked spot moved" : "the marked spot left the view";
    case "annotation_clear": return p.reason === "undo" ? "one mark taken away" : "all marks cleared";
    case "freeze": return `frame frozen (${p.source === "still" ? "full-resolution photo" : "video frame"})`;
    case "resume": return "back to the live video";
    case "camera_control": return cameraText(p);
    case "camera_capabilities": {
      const can = [p.torch && "torch", p.zoom && `zoom ${p.zoom.min}-${p.zoom.max}x`,
        p.focus_modes.length && `focus (${p.focus_modes.join(", ")})`].filter(Boolean);
      return can.length ? `the camera offers ${can.join(", ")}` : "the camera offers no remote controls";
    }
    case "chat_status": return `message ${p.message_id} ${p.state}`;
    default: return e.kind;
  }
}

function cameraText(p) {
  const value = p.control === "torch" ? (p.value ? "on" : "off")
    : p.control === "zoom" ? `${p.value}x`
    : Array.isArray(p.value) ? `at ${Math.round(p.value[0] * 100)}%, ${Math.round(p.value[1] * 100)}%` : (p.value ?? "");
  return `${p.control} ${value}: ${p.state}${p.message ? ` (${p.message})` : ""}`;
}

/** Events within NEAR_S seconds of a moment (not receipts or tracker steps), nearest first. */
export function eventsNear(events, seconds) {
  return events.filter((e) => e.offset_ms != null && !["chat_status", "annotation_update", "camera_capabilities"].includes(e.kind)
    && Math.abs(e.offset_ms / 1000 - seconds) <= NEAR_S)
    .sort((a, b) => Math.abs(a.offset_ms / 1000 - seconds) - Math.abs(b.offset_ms / 1000 - seconds))
    .slice(0, 6);
}

/** Each chat message's furthest delivery state (message id -> sent / delivered / read). */
export function chatStates(events) {
  const rank = { sent: 0, delivered: 1, read: 2 };
  const states = new Map();
  for (const e of events) {
    if (e.kind !== "chat_status") continue;
    const id = e.payload.message_id;
    if ((rank[states.get(id)] ?? 0) < rank[e.payload.state]) states.set(id, e.payload.state);
  }
  return states;
}
