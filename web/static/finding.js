// A finding as every page shows it (console, review, library): the one shape the API and the technicians' WebSocket
// send (vocabulary.FindingView in vocabulary/__init__.py), read here and nowhere else.
import { el } from "/static/call.js";

/** m:ss.s of a moment in a recording. */
export function clock(seconds) {
  const s = Math.max(0, seconds);
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, "0")}`;
}

/** What names a finding in a list, a marker or a caption: its code, or the title of a manual one without a code. */
export function findingName(f) {
  return f.code || f.title;
}

/** The pill beside the code: "manual", the severity of a catalogued code, or "unknown code". */
export function findingPill(f) {
  if (f.source === "manual") return "manual";
  return f.known ? f.severity : "unknown code";
}

/** The classes of a finding's list item (severity, dismissed). */
export function findingClass(f) {
  return `finding sev-${f.severity}${f.dismissed ? " dismissed" : ""}`;
}

/** " · at m:ss.s" in the recording, or `none` for a finding without a moment. */
export function findingAt(f, none = "") {
  return f.offset_s != null ? ` · at ${clock(f.offset_s)}` : none;
}

/** The finding's text block: code and pill, title, remedy, who dismissed it, what was read and how sure. */
export function findingDetails(f, at = findingAt(f)) {
  return el("div", {},
    el("div", { class: "code" }, f.code || "—", " ", el("span", { class: "pill" }, findingPill(f))),
    el("div", { class: "title" }, f.title || "Not in the code catalog"),
    f.remedy ? el("div", { class: "remedy" }, "Remedy: ", f.remedy) : "",
    f.dismissed ? el("div", { class: "muted" }, `Dismissed by ${f.dismissed_by}: ${f.dismissed_reason || ""}`) : "",
    el("div", { class: "muted" },
      `${f.text ? `“${f.text.slice(0, 140)}” · ` : ""}confidence ${Math.round(f.confidence * 100)}%${at}`));
}
