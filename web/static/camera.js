// Camera controls: the console changes the customer's torch, zoom and focus where the phone's browser lets it
// (MediaStreamTrack.getCapabilities / applyConstraints). The customer's page reports what its camera can do when
// video starts, applies each change, always says what was changed, and offers Undo. Every step is on the record.
"use strict";

const FOCUS_MODES = ["continuous", "single-shot", "manual"];

/** What this camera track lets a remote technician change (the server's CameraCaps). */
export function capabilitiesOf(track) {
  const caps = (track && track.getCapabilities) ? track.getCapabilities() : {};
  const supported = navigator.mediaDevices.getSupportedConstraints ? navigator.mediaDevices.getSupportedConstraints() : {};
  const zoom = caps.zoom && caps.zoom.max > caps.zoom.min && caps.zoom.min > 0
    ? { min: caps.zoom.min, max: Math.min(caps.zoom.max, 1000), step: caps.zoom.step || 0 } : null;
  const focusModes = (caps.focusMode || []).filter((m) => FOCUS_MODES.includes(m));
  return {
    torch: Array.isArray(caps.torch) ? caps.torch.includes(true) : caps.torch === true,
    zoom,
    focus_modes: focusModes,
    points_of_interest: !!supported.pointsOfInterest && focusModes.length > 0,
  };
}

function describe(control, value) {
  if (control === "torch") return value ? "turned the torch on" : "turned the torch off";
  if (control === "zoom") return `set the zoom to ${Number(value).toFixed(1).replace(/\.0$/, "")}`;
  if (Array.isArray(value)) return "refocused the camera on a point";
  return value === "continuous" ? "set the camera to focus by itself" : "refocused the camera";
}

/**
 * The customer's side. `notice` is an element with a .text span and an .undo button; `track()` returns the
 * live camera track (or null).
 */
export class CameraRemote {
  constructor(notice, track) {
    this.notice = notice;
    this.track = track;
    this.call = null;
    this.last = null; // { command_id, control, previous } of the change the notice shows
    this.applied = []; // what was applied, for support and tests
    notice.querySelector(".undo").addEventListener("click", () => this.undo());
  }

  attach(call) {
    this.call = call;
    call.addEventListener("camera_command", (ev) => this.apply(ev.detail));
  }

  /** Tell the technicians what this camera can do (on video start and after a camera switch). */
  report() {
    const track = this.track();
    if (track && this.call) this.call.send({ type: "camera_capabilities", caps: capabilitiesOf(track) });
  }

  async apply(cmd) {
    const track = this.track();
    const answer = (state, message = "", value = cmd.value) =>
      this.call.send({ type: "camera_result", command_id: cmd.command_id, state, value, message: message.slice(0, 200) });
    if (!track || track.readyState !== "live") return answer("failed", "the camera is off");
    const caps = capabilitiesOf(track);
    const settings = track.getSettings ? track.getSettings() : {};
    let constraint;
    let previous;
    if (cmd.control === "torch" && caps.torch) {
      constraint = { torch: !!cmd.value };
      previous = !!settings.torch;
    } else if (cmd.control === "zoom" && caps.zoom) {
      constraint = { zoom: cmd.value };
      previous = settings.zoom ?? caps.zoom.min;
    } else if (cmd.control === "focus" && Array.isArray(cmd.value) && caps.points_of_interest) {
      constraint = { pointsOfInterest: [{ x: cmd.value[0], y: cmd.value[1] }],
        ...(caps.focus_modes.includes("single-shot") ? { focusMode: "single-shot" } : {}) };
      previous = caps.focus_modes.includes("continuous") ? "continuous" : null;
    } else if (cmd.control === "focus" && !Array.isArray(cmd.value) && caps.focus_modes.includes(cmd.value)) {
      constraint = { focusMode: cmd.value };
      previous = settings.focusMode && caps.focus_modes.includes(settings.focusMode) ? settings.focusMode : null;
    } else {
      this.show(`${cmd.by_name || "The technician"} tried to change your camera, but it cannot do that.`, null);
      return answer("unsupported", "this camera does not offer it");
    }
    try {
      await track.applyConstraints({ advanced: [constraint] });
    } catch (e) {
      this.show(`${cmd.by_name || "The technician"} tried to change your camera, but it did not work.`, null);
      return answer("failed", `${e.name || "Error"}: ${e.message || ""}`);
    }
    this.applied.push({ control: cmd.control, value: cmd.value });
    this.last = { command_id: cmd.command_id, control: cmd.control, previous };
    this.show(`${cmd.by_name || "The technician"} ${describe(cmd.control, cmd.value)}.`, previous);
    return answer("applied");
  }

  show(text, previous) {
    this.notice.querySelector(".text").textContent = text;
    this.notice.querySelector(".undo").hidden = previous === null || previous === undefined;
    this.notice.hidden = false;
  }

  async undo() {
    const last = this.last;
    const track = this.track();
    if (!last || !track || last.previous === null) return;
    const constraint = last.control === "torch" ? { torch: last.previous }
      : last.control === "zoom" ? { zoom: last.previous } : { focusMode: last.previous };
    this.last = null;
    try {
      await track.applyConstraints({ advanced: [constraint] });
      this.call.send({ type: "camera_result", command_id: last.command_id, state: "undone", value: last.previous });
      this.show("Undone: your camera is back as it was.", null);
    } catch (e) {
      this.show("Your camera could not be set back; turning the video off and on again resets it.", null);
    }
  }
}

/**
 * The technician's side: a torch toggle, a zoom slider and a refocus button in `root`, greyed out for what the
 * customer's camera cannot do; `status` shows what happened to each change.
 */
export class CameraConsole {
  constructor(root, status, video) {
    this.root = root;
    this.status = status;
    this.call = null;
    this.caps = null;
    this.torchOn = false;
    this.torch = root.querySelector(".cam-torch");
    this.zoom = root.querySelector(".cam-zoom");
    this.zoomValue = root.querySelector(".cam-zoom-value");
    this.focus = root.querySelector(".cam-focus");
    this.focusPoint = root.querySelector(".cam-focus-point");
    this.video = video;
    this.picking = false;
    this.torch.addEventListener("click", () => this.set("torch", !this.torchOn));
    this.zoom.addEventListener("change", () => this.set("zoom", Number(this.zoom.value)));
    this.zoom.addEventListener("input", () => { this.zoomValue.textContent = `${this.zoom.value}`; });
    // Refocus: a fresh autofocus (single-shot where the camera has it).
    this.focus.addEventListener("click", () => {
      const caps = this.caps;
      if (caps) this.set("focus", caps.focus_modes.includes("single-shot") ? "single-shot" : "continuous");
    });
    // A focus hint at a point: the next click on the customer's picture says where. Listened for on the video's
    // container in the capture phase, so it wins over whatever is drawn over the video (marks) for that click.
    this.focusPoint.addEventListener("click", () => this.pick(!this.picking));
    video.parentElement.addEventListener("pointerdown", (ev) => {
      if (!this.picking) return;
      const point = this.pointOf(ev);
      if (!point) return;
      ev.preventDefault();
      ev.stopPropagation();
      this.pick(false);
      this.set("focus", point);
    }, { capture: true });
    this.render(null);
  }

  attach(call) {
    this.call = call;
    call.addEventListener("camera_state", (ev) => this.render(ev.detail.caps));
    call.addEventListener("camera_changed", (ev) => this.changed(ev.detail));
    call.addEventListener("error", (ev) => {
      if (ev.detail.code.startsWith("camera_")) this.say(ev.detail.message);
    });
  }

  pick(on) {
    this.picking = on && !!this.caps && this.caps.points_of_interest;
    this.focusPoint.textContent = this.picking ? "Click the picture…" : "Focus on a point…";
    this.video.classList.toggle("picking-focus", this.picking);
    if (this.picking) this.say("Click where the customer's camera should focus.");
  }

  /** Where a click fell on the shown frame, as fractions of it (null outside it: letterbox bars). */
  pointOf(ev) {
    const v = this.video;
    const rect = v.getBoundingClientRect();
    const vw = v.videoWidth || rect.width, vh = v.videoHeight || rect.height;
    const scale = Math.min(rect.width / vw, rect.height / vh);
    const x = (ev.clientX - rect.left - (rect.width - vw * scale) / 2) / (vw * scale);
    const y = (ev.clientY - rect.top - (rect.height - vh * scale) / 2) / (vh * scale);
    if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) return null;
    return [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000];
  }

  set(control, value) {
    if (this.call) this.call.send({ type: "camera_set", control, value });
  }

  render(caps) {
    this.caps = caps;
    const off = (node, can, why) => {
      node.disabled = !can;
      node.title = can ? "" : why;
      node.classList.toggle("unsupported", !can);
    };
    const none = !caps ? "The customer's camera is not running." : "";
    off(this.torch, !!caps && caps.torch, none || "The customer's camera has no torch the browser can switch.");
    off(this.zoom, !!caps && !!caps.zoom, none || "The customer's camera offers no zoom.");
    off(this.focus, !!caps && caps.focus_modes.some((m) => m !== "manual"),
      none || "The customer's camera does not let the browser focus it.");
    off(this.focusPoint, !!caps && caps.points_of_interest,
      none || "The customer's camera cannot focus on a chosen point.");
    if (!caps || !caps.points_of_interest) this.pick(false);
    if (caps && caps.zoom) {
      this.zoom.min = String(caps.zoom.min);
      this.zoom.max = String(caps.zoom.max);
      this.zoom.step = String(caps.zoom.step || (caps.zoom.max - caps.zoom.min) / 20);
    }
    this.root.dataset.caps = caps ? JSON.stringify(caps) : "";
  }

  changed(c) {
    if (c.control === "torch" && ["applied", "undone"].includes(c.state)) this.torchOn = !!c.value;
    if (c.control === "zoom" && ["applied", "undone"].includes(c.state)) {
      this.zoom.value = String(c.value);
      this.zoomValue.textContent = String(c.value);
    }
    this.torch.textContent = this.torchOn ? "Torch off" : "Torch on";
    const what = c.control === "torch" ? `torch ${c.value ? "on" : "off"}` : c.control === "zoom" ? `zoom ${c.value}` : "focus";
    const text = { requested: `Asked the customer's camera: ${what}…`, applied: `Customer's camera: ${what}.`,
      unsupported: `The customer's camera cannot do that (${what}).`, failed: `The customer's camera refused ${what}: ${c.message}`,
      undone: `The customer undid the change (${what}).` }[c.state];
    this.say(text);
    this.status.dataset.state = c.state;
    this.status.dataset.control = c.control;
  }

  say(text) { this.status.textContent = text; }
}
