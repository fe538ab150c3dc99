// Marks over the customer's video: a canvas laid over the shown picture (letterboxing accounted for) that draws
// the technician's marks, laser dots and the frozen frame's marks; for technicians also the drawing tools.
// Positions are normalised (0..1 of the video frame) on the wire; pixels exist only here, on this screen.
"use strict";

export const PALETTE = { red: "#ff3b30", orange: "#ff9500", yellow: "#ffcc00", green: "#34c759", blue: "#0a84ff",
  white: "#ffffff", black: "#000000" };
const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const POINTER_INTERVAL_MS = 80;   // ~12 laser-dot updates per second, under the socket's rate limit
const POINTER_TTL_MS = 3000;      // a dot whose release was lost disappears by itself
const FADE_MS = 300;
const MAX_POINTS = 512;

function colourOf(c) { return PALETTE[c] || c; }

/** A homography (row-major 3x3) applied to a normalised point. */
export function applyH(h, [x, y]) {
  const w = h[6] * x + h[7] * y + h[8];
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

/** Where the picture of a <video> or <img> actually is inside its box (object-fit: contain letterboxing). */
export function contentRect(media) {
  const box = media.getBoundingClientRect();
  const vw = media.videoWidth || media.naturalWidth || 0, vh = media.videoHeight || media.naturalHeight || 0;
  if (!vw || !vh || !box.width || !box.height) return null;
  const scale = Math.min(box.width / vw, box.height / vh);
  const w = vw * scale, h = vh * scale;
  return { left: box.left + (box.width - w) / 2, top: box.top + (box.height - h) / 2, width: w, height: h };
}

export class MarkOverlay {
  /**
   * stage: a position:relative element holding the video (and the frozen-frame <img>); the canvas is added to it.
   * editable: a technician's overlay, with drawing input (a viewer's only shows).
   */
  constructor(stage, video, { editable = false, frozenImage = null } = {}) {
    this.stage = stage;
    this.video = video;
    this.frozenImage = frozenImage;
    this.call = null;
    this.live = new Map();     // id -> { mark, h, visible, alpha, since }
    this.still = new Map();    // id -> { mark }
    this.pointers = new Map(); // participant -> { x, y, colour, visible, at }
    this.frozen = null;        // the freeze_state message on show
    this.tool = "arrow";
    this.colour = "red";
    this.width = 4;
    this.mine = [];            // ids this page drew, for undo
    this.draft = null;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "mark-overlay";
    stage.append(this.canvas);
    this.drawn = [];           // what the last frame drew (screen px), for support diagnostics and tests
    this._dirty = true;
    this._lastPointer = 0;
    if (editable) this._bindInput();
    const tick = () => { this._frame(); requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  }

  /** Show the annotation messages of this call (again after each reconnect: the call object is new). */
  attach(call) {
    this.call = call;
    call.addEventListener("message", (ev) => { if (call === this.call) this.onMessage(ev.detail); });
  }

  send(msg) { if (this.call) this.call.send(msg); }

  /** The element whose picture marks are drawn over: the frozen frame while one is shown, else the video. */
  get media() { return this.frozen && this.frozenImage ? this.frozenImage : this.video; }

  /** Handle one signaling message; returns true if it was an annotation message. */
  onMessage(msg) {
    switch (msg.type) {
      case "mark_added":
        if (msg.layer === "live") this.live.set(msg.mark.id, { mark: msg.mark, h: IDENTITY, visible: true, alpha: 0, since: performance.now() });
        else this.still.set(msg.mark.id, { mark: msg.mark });
        break;
      case "mark_removed":
        (msg.layer === "live" ? this.live : this.still).delete(msg.id);
        break;
      case "marks_cleared":
        (msg.layer === "live" ? this.live : this.still).clear();
        break;
      case "welcome":  // a (re)join starts from nothing; a marks_state follows if the call has marks
      case "marks_state":  // on (re)joining: the whole picture; a freeze_state follows if a frame is frozen
        if (this.frozen) this._freeze({ frozen: false });
        this.live.clear(); this.still.clear();
        if (msg.type === "welcome") break;
        for (const mark of msg.live) this.live.set(mark.id, { mark, h: IDENTITY, visible: true, alpha: 1 });
        for (const mark of msg.still) this.still.set(mark.id, { mark });
        this._positions(msg.positions);
        break;
      case "mark_positions":
        this._positions(msg.positions);
        break;
      case "pointer_at":
        this.pointers.set(msg.by, { x: msg.x, y: msg.y, colour: msg.colour, visible: msg.visible, at: performance.now() });
        break;
      case "freeze_state":
        this._freeze(msg);
        break;
      default:
        return false;
    }
    this._dirty = true;
    return true;
  }

  _positions(positions) {
    for (const p of positions) {
      const entry = this.live.get(p.id);
      if (entry) { entry.h = p.h; entry.visible = p.visible; }
    }
  }

  _freeze(msg) {
    if (msg.frozen) {
      this.frozen = msg;
      if (this.frozenImage) {
        this.frozenImage.src = `data:image/jpeg;base64,${msg.image_jpeg_b64}`;
        this.frozenImage.hidden = false;
        this.frozenImage.onload = () => { this._dirty = true; };
      }
      this.video.classList.add("frozen-under");
    } else {
      this.frozen = null;
      this.still.clear();
      if (this.frozenImage) { this.frozenImage.hidden = true; this.frozenImage.removeAttribute("src"); }
      this.video.classList.remove("frozen-under");
    }
    this.stage.dataset.frozen = msg.frozen ? "true" : "false";
    this.stage.dispatchEvent(new CustomEvent("freeze", { detail: msg }));
  }

  // -- technician input ---------------------------------------------------------------------------------

  setTool(tool) { this.tool = tool; this.canvas.dataset.tool = tool; }
  setColour(colour) { this.colour = colour; }

  undo() {
    while (this.mine.length) {
      const id = this.mine.pop();
      if (this.live.has(id) || this.still.has(id)) { this.send({ type: "mark_remove", id }); return true; }
    }
    return false;
  }

  clear() { this.send({ type: "marks_clear" }); }

  /** A screen position as normalised coordinates of the picture (clamped), or null without a picture. */
  toNorm(clientX, clientY) {
    const r = contentRect(this.media);
    if (!r) return null;
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [clamp((clientX - r.left) / r.width), clamp((clientY - r.top) / r.height)];
  }

  _bindInput() {
    const c = this.canvas;
    c.classList.add("editable");
    c.addEventListener("pointerdown", (ev) => {
      const p = this.toNorm(ev.clientX, ev.clientY);
      if (!p) return;
      ev.preventDefault();
      c.setPointerCapture(ev.pointerId);
      this.draft = { tool: this.tool, points: [p], pointerId: ev.pointerId };
      if (this.tool === "pointer") this._sendPointer(p, true, true);
      this._dirty = true;
    });
    c.addEventListener("pointermove", (ev) => {
      if (!this.draft || ev.pointerId !== this.draft.pointerId) return;
      const p = this.toNorm(ev.clientX, ev.clientY);
      if (!p) return;
      const d = this.draft;
      if (d.tool === "pointer") this._sendPointer(p, true, false);
      else if (d.tool === "freehand") {
        const last = d.points[d.points.length - 1];
        if (Math.hypot(p[0] - last[0], p[1] - last[1]) > 0.004) d.points.push(p);
        if (d.points.length > MAX_POINTS) d.points = d.points.filter((_, i) => i % 2 === 0 || i === d.points.length - 1);
      } else d.points[1] = p;
      this._dirty = true;
    });
    const finish = (ev) => {
      const d = this.draft;
      if (!d || ev.pointerId !== d.pointerId) return;
      this.draft = null;
      this._dirty = true;
      if (d.tool === "pointer") { this._sendPointer(d.points[d.points.length - 1], false, true); return; }
      if (ev.type === "pointercancel" || d.points.length < 2) return;
      const [a, b] = [d.points[0], d.points[d.points.length - 1]];
      if (d.tool !== "freehand" && Math.hypot(b[0] - a[0], b[1] - a[1]) < 0.01) return; // a tap, not a figure
      const id = `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
      const points = d.tool === "freehand" ? d.points : [a, b];
      this.mine.push(id);
      this.send({ type: "mark_add", mark: { id, shape: d.tool, points, colour: this.colour, width: this.width } });
    };
    c.addEventListener("pointerup", finish);
    c.addEventListener("pointercancel", finish);
  }

  _sendPointer([x, y], visible, force) {
    const now = performance.now();
    if (!force && now - this._lastPointer < POINTER_INTERVAL_MS) return;
    this._lastPointer = now;
    this.pointers.set("self", { x, y, colour: this.colour, visible, at: now });
    this.send({ type: "pointer", x, y, visible, colour: this.colour });
  }

  // -- drawing --------------------------------------------------------------------------------------------

  _frame() {
    const now = performance.now();
    let animating = false;
    for (const e of this.live.values()) {
      const target = e.visible ? 1 : 0;
      if (e.alpha !== target) {
        const step = (now - (e.tick || now)) / FADE_MS;
        e.alpha = target > e.alpha ? Math.min(1, e.alpha + step) : Math.max(0, e.alpha - step);
        animating = true;
      }
      e.tick = now;
    }
    for (const [k, p] of this.pointers) if (!p.visible || now - p.at > POINTER_TTL_MS) { this.pointers.delete(k); animating = true; }
    const r = contentRect(this.media);
    const box = this.stage.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const size = `${Math.round(box.width * dpr)}x${Math.round(box.height * dpr)}`;
    if (size !== this._size) { this._size = size; this._dirty = true; }
    if (!this._dirty && !animating && !this.draft && !this.pointers.size) return;
    this._dirty = false;
    const c = this.canvas;
    c.width = Math.round(box.width * dpr); c.height = Math.round(box.height * dpr);
    c.style.width = `${box.width}px`; c.style.height = `${box.height}px`;
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, box.width, box.height);
    this.drawn = [];
    if (!r) return;
    // normalised -> CSS px inside the canvas (which covers the stage)
    const px = ([x, y]) => [r.left - box.left + x * r.width, r.top - box.top + y * r.height];
    if (this.frozen) {
      for (const { mark } of this.still.values()) this._draw(g, mark, mark.points.map(px), 1, "still");
    } else {
      for (const e of this.live.values()) {
        if (e.alpha <= 0) continue;
        const pts = e.mark.shape === "box" ? boxCorners(e.mark.points) : e.mark.points;
        this._draw(g, e.mark, pts.map((p) => px(applyH(e.h, p))), e.alpha, "live");
      }
    }
    if (this.draft && this.draft.tool !== "pointer" && this.draft.points.length > 1) {
      const d = this.draft;
      const pts = d.tool === "box" ? boxCorners([d.points[0], d.points[d.points.length - 1]]) : d.points;
      this._draw(g, { id: "draft", shape: d.tool, colour: this.colour, width: this.width }, pts.map(px), 0.7, "draft");
    }
    for (const [by, p] of this.pointers) {
      const [x, y] = px([p.x, p.y]);
      g.globalAlpha = 1;
      g.fillStyle = colourOf(p.colour);
      g.shadowColor = colourOf(p.colour); g.shadowBlur = 14;
      g.beginPath(); g.arc(x, y, 9, 0, Math.PI * 2); g.fill();
      g.shadowBlur = 0;
      g.strokeStyle = "#fff"; g.lineWidth = 2; g.stroke();
      this.drawn.push({ id: `pointer:${by}`, shape: "pointer", layer: "pointer", points: [[x, y]], alpha: 1 });
    }
  }

  _draw(g, mark, pts, alpha, layer) {
    this.drawn.push({ id: mark.id, shape: mark.shape, layer, points: pts, alpha, colour: mark.colour });
    const width = mark.width || 4;
    const path = () => {
      g.beginPath();
      if (mark.shape === "circle") {
        const [[cx, cy], [ex, ey]] = pts;
        g.arc(cx, cy, Math.hypot(ex - cx, ey - cy), 0, Math.PI * 2);
      } else if (mark.shape === "box") {
        pts.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
        g.closePath();
      } else {
        pts.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
        if (mark.shape === "arrow") {
          const [[x0, y0], [x1, y1]] = [pts[0], pts[pts.length - 1]];
          const a = Math.atan2(y1 - y0, x1 - x0), head = 10 + width * 2.5;
          g.moveTo(x1, y1); g.lineTo(x1 - head * Math.cos(a - 0.45), y1 - head * Math.sin(a - 0.45));
          g.moveTo(x1, y1); g.lineTo(x1 - head * Math.cos(a + 0.45), y1 - head * Math.sin(a + 0.45));
        }
      }
    };
    g.globalAlpha = alpha;
    g.lineCap = "round"; g.lineJoin = "round";
    // a dark rim first: the mark stays readable over any background
    g.strokeStyle = "rgba(0,0,0,0.55)"; g.lineWidth = width + 3; path(); g.stroke();
    g.strokeStyle = colourOf(mark.colour); g.lineWidth = width; path(); g.stroke();
    g.globalAlpha = 1;
  }
}

/** A box's two corners as its four (so a tracked box turns and tilts with the scene). */
function boxCorners([[x0, y0], [x1, y1]]) {
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
}

/** The technician's drawing tools (buttons inside `bar`) driving an overlay. */
export function bindToolbar(bar, overlay, { onFreeze }) {
  const pick = (tool) => {
    overlay.setTool(tool);
    for (const b of bar.querySelectorAll("[data-tool]")) b.classList.toggle("active", b.dataset.tool === tool);
  };
  for (const b of bar.querySelectorAll("[data-tool]")) b.addEventListener("click", () => pick(b.dataset.tool));
  for (const b of bar.querySelectorAll("[data-colour]")) {
    b.style.background = colourOf(b.dataset.colour);
    b.addEventListener("click", () => {
      overlay.setColour(b.dataset.colour);
      for (const o of bar.querySelectorAll("[data-colour]")) o.classList.toggle("active", o === b);
    });
  }
  bar.querySelector("[data-action=undo]").addEventListener("click", () => overlay.undo());
  bar.querySelector("[data-action=clear]").addEventListener("click", () => overlay.clear());
  bar.querySelector("[data-action=freeze]").addEventListener("click", () => onFreeze(!overlay.frozen));
  pick(overlay.tool);
}
