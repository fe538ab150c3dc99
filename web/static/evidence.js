// Evidence on the review page: share links to a session's bundle (create with an expiry, list, revoke) and clips of a
// recording between two moments chosen on its player (exported without re-encoding, played and downloaded here).
// Shown only to roles whose policy allows "export" (the server checks it again on every call).
import { el } from "/static/call.js";
import { clock } from "/static/finding.js";

/** When a share link stops working, as a sentence. */
export function shareState(share, now = Date.now()) {
  if (share.revoked_at) return `revoked ${new Date(share.revoked_at).toLocaleString()}`;
  const left = Date.parse(share.expires_at) - now;
  if (left <= 0) return `expired ${new Date(share.expires_at).toLocaleString()}`;
  const hours = left / 3600000;
  const within = hours >= 48 ? `${Math.round(hours / 24)} days` : hours >= 1 ? `${Math.round(hours)} h` : `${Math.ceil(left / 60000)} min`;
  return `expires ${new Date(share.expires_at).toLocaleString()} (in ${within})`;
}

/** The share-link panel of one session: ctx = { send, fail, say, token }. */
export function renderShares(ctx, session) {
  const list = el("tbody");
  const made = el("div", { class: "share-made", hidden: "" });
  const hours = el("input", { class: "share-hours", type: "number", min: "1", max: "720", step: "1", value: "72",
    "aria-label": "Link works for (hours)" });
  const note = el("input", { class: "share-note", maxlength: "300", placeholder: "who it is for, e.g. vendor case 1234",
    "aria-label": "Note" });
  const refresh = async () => {
    const shares = await ctx.send("GET", `/api/sessions/${encodeURIComponent(session.id)}/shares`);
    list.replaceChildren(...shares.map((s) => {
      const usable = !s.revoked_at && Date.parse(s.expires_at) > Date.now();
      return el("tr", { "data-share": s.id, "data-usable": String(usable) },
        el("td", {}, s.note || "—"), el("td", {}, s.created_by), el("td", { class: "share-state" }, shareState(s)),
        el("td", {}, String(s.downloads)),
        el("td", {}, usable ? el("button", { class: "small share-revoke", type: "button", onclick: () => revoke(s) }, "Revoke") : ""));
    }));
    panel.dataset.loaded = "true";
  };
  const revoke = async (share) => {
    ctx.fail("");
    try {
      await ctx.send("POST", `/api/shares/${encodeURIComponent(share.id)}/revoke`);
      ctx.say(`The share link “${share.note || share.id.slice(0, 8)}” is revoked: it no longer opens the bundle.`);
      await refresh();
    } catch (e) { ctx.fail(`Could not revoke the share link: ${e.message}`); }
  };
  const create = async () => {
    ctx.fail("");
    const ttl = Number(hours.value);
    if (!(ttl > 0 && ttl <= 720)) { ctx.fail("A share link works for 1 to 720 hours: enter a number in that range."); return; }
    try {
      const share = await ctx.send("POST", `/api/sessions/${encodeURIComponent(session.id)}/shares`,
        { ttl_hours: ttl, note: note.value.trim() });
      made.replaceChildren(el("label", {}, "Link (shown once; anyone with it can download the bundle until it expires) ",
        el("input", { class: "share-url", readonly: "", value: share.url, size: "60" })),
      " ", el("button", { type: "button", class: "small", onclick: () => navigator.clipboard?.writeText(share.url) }, "Copy"),
      el("div", { class: "muted" }, shareState(share)));
      made.hidden = false;
      note.value = "";
      await refresh();
    } catch (e) { ctx.fail(`Could not create the share link: ${e.message}`); }
  };
  const panel = el("details", { class: "evidence", "data-session": session.id },
    el("summary", {}, "Evidence: bundle and share links"),
    el("div", { class: "row" },
      el("a", { class: "bundle", download: "", title: "Recording, findings, snapshots, chat and audit trail as a zip",
        href: `/api/sessions/${encodeURIComponent(session.id)}/bundle?token=${encodeURIComponent(ctx.token)}` }, "Download evidence zip")),
    el("div", { class: "row" }, el("label", {}, "Works for (hours) ", hours), el("label", { class: "wide" }, "Note ", note),
      el("button", { class: "share-create", type: "button", onclick: create }, "Create share link")),
    made,
    el("table", { class: "shares" }, el("thead", {}, el("tr", {}, ...["Note", "By", "Link", "Downloads", ""].map((h) => el("th", {}, h)))), list));
  panel.addEventListener("toggle", () => { if (panel.open && !panel.dataset.loaded) refresh().catch((e) => ctx.fail(`Could not list the share links: ${e.message}`)); });
  panel.refresh = refresh;
  return panel;
}

/** Clip export of one recording: from/to set from the player's position, drawn on its timeline. */
export function renderClip(ctx, rec, video, timeline) {
  const start = el("input", { class: "clip-start", type: "number", min: "0", step: "0.1", value: "0", "aria-label": "Clip from (s)" });
  const end = el("input", { class: "clip-end", type: "number", min: "0", step: "0.1", "aria-label": "Clip to (s)",
    value: String(Math.min(rec.duration_s || 10, 10).toFixed(1)) });
  const band = el("div", { class: "clip-range", "aria-hidden": "true" });
  timeline.append(band);
  const duration = () => rec.duration_s || (Number.isFinite(video.duration) ? video.duration : 0);
  const draw = () => {
    const total = duration();
    const a = Number(start.value), b = Number(end.value);
    band.hidden = !(total > 0 && b > a);
    if (band.hidden) return;
    band.style.left = `${Math.min(100, (100 * a) / total)}%`;
    band.style.width = `${Math.max(0, Math.min(100, (100 * b) / total) - (100 * a) / total)}%`;
  };
  start.addEventListener("input", draw);
  end.addEventListener("input", draw);
  video.addEventListener("loadedmetadata", draw);
  draw();
  const result = el("div", { class: "clip-result" });
  const exportClip = async () => {
    ctx.fail("");
    const a = Number(start.value), b = Number(end.value);
    if (!(b > a)) { ctx.fail("The clip's end must come after its start: set them from the player's position."); return; }
    const button = part.querySelector(".clip-export");
    button.disabled = true;
    try {
      const res = await ctx.fetchRaw(`/api/recordings/${encodeURIComponent(rec.id)}/clip?start_s=${a}&end_s=${b}`);
      const from = Number(res.headers.get("X-Clip-Start-S") || a);
      const name = (res.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || `clip-${rec.id}.webm`;
      const url = URL.createObjectURL(await res.blob());
      ctx.blobUrls.push(url);
      result.replaceChildren(
        el("video", { class: "clip-video", controls: "", preload: "auto", src: url }),
        el("div", { class: "muted" }, `Clip ${clock(from)} – ${clock(b)}${from < a ? ` (from the keyframe before ${clock(a)}: cut without re-encoding)` : ""} `,
          el("a", { class: "clip-download", href: url, download: name }, "Download clip")));
      ctx.say(`Clip exported: ${clock(from)} – ${clock(b)}.`);
    } catch (e) {
      ctx.fail(`Could not export the clip: ${e.message}`);
    } finally { button.disabled = false; }
  };
  const part = el("div", { class: "clip row", "data-recording": rec.id },
    el("strong", {}, "Clip"),
    el("label", {}, "from ", start, " s"), el("button", { type: "button", class: "small clip-set-start",
      title: "Take the player's position", onclick: () => { start.value = video.currentTime.toFixed(1); draw(); } }, "⇤ playhead"),
    el("label", {}, "to ", end, " s"), el("button", { type: "button", class: "small clip-set-end",
      title: "Take the player's position", onclick: () => { end.value = video.currentTime.toFixed(1); draw(); } }, "playhead ⇥"),
    el("button", { type: "button", class: "clip-export", onclick: exportClip }, "Export clip"));
  return el("div", { class: "clip-box" }, part, result);
}
