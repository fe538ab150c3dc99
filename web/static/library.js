// Session library: every session, filtered by code, device, technician, dates, status and recording, searched
// over titles, findings and chat; each code links to its moment in the review page. Trends of findings under it.
// Opened as /library#token=<token> (technician, reviewer or supervisor); the token then lives in sessionStorage
// (as in the console and the review page, which this page links to in the same tab).
import { fragmentParams, el } from "/static/call.js";
import { renderRetention } from "/static/lifecycle.js";
import { clock } from "/static/finding.js";
import { ApiError, restClient } from "/static/rest.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "lensdesk.token";
const PAGE = 25;

// Paging is by cursor (keyset), with the filters of the search shown (`params`, not the form as edited since);
// `first` is the index of the page's first row in the whole list, for the "21–40" label.
const state = { token: null, me: null, params: "", first: 0, total: 0, more: false, next: null, prev: null, items: [], trends: null,
  ready: false, error: "", message: "" };
window.lensdesk = state;

function fail(text) { state.error = text; $("error").textContent = text; $("error").hidden = !text; }
function say(text) { state.message = text; $("status").textContent = text; }

const { api, send } = restClient(() => state.token);

function duration(seconds) {
  if (seconds == null) return "running";
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

/** The query string of the filters (empty ones left out). */
export function filterParams(form) {
  const p = new URLSearchParams();
  const value = (id) => form.querySelector(`#${id}`).value.trim();
  for (const id of ["q", "code", "device", "technician", "status", "sort", "order"]) if (value(id)) p.set(id, value(id));
  if (value("from")) p.set("started_from", `${value("from")}T00:00:00Z`);
  if (value("to")) {
    const end = new Date(`${value("to")}T00:00:00Z`);
    end.setUTCDate(end.getUTCDate() + 1);  // the "to" day is included
    p.set("started_to", end.toISOString());
  }
  if (value("recorded")) p.set("has_recording", value("recorded"));
  p.set("limit", String(PAGE));
  return p;
}

function reviewLink(row, finding) {
  const hash = new URLSearchParams({ ticket: row.ticket_id });
  if (finding) hash.set("finding", finding.id);
  return `/review#${hash}`;
}

function renderRows(page) {
  const body = $("sessions").querySelector("tbody");
  body.replaceChildren();
  for (const row of page.items) {
    const firstOf = new Map();
    for (const f of row.findings) if (!firstOf.has(f.code)) firstOf.set(f.code, f);
    const codes = el("td", { class: "codes" });
    for (const [code, f] of firstOf) {
      codes.append(el("a", { class: "code", href: reviewLink(row, f), "data-code": code,
        title: f.offset_s != null ? `Play at ${clock(f.offset_s)}: ${f.title}` : f.title }, code));
    }
    const device = [row.device_model, row.device_family && `(${row.device_family})`, row.device_serial && `#${row.device_serial}`]
      .filter(Boolean).join(" ");
    body.append(el("tr", { "data-session": row.session_id },
      el("td", {}, new Date(row.started_at).toLocaleString()),
      el("td", {}, duration(row.duration_s)),
      el("td", {}, el("a", { href: reviewLink(row, null) }, row.ticket_title), el("div", { class: "muted" }, row.customer)),
      el("td", {}, device || "—"),
      el("td", {}, row.technician),
      el("td", {}, el("span", { class: "pill" }, row.status)),
      codes,
      el("td", {}, el("span", { class: "pill", "data-recording": row.recording_state }, row.recording_state)),
      el("td", {}, el("a", { href: reviewLink(row, row.findings[0] || null) }, "Review"), " ",
        // a download cannot send headers: the token goes in the query (GET only; never logged by the server)
        el("a", { class: "bundle", download: "", title: "Recording, findings, snapshots, chat and audit trail as a zip",
          href: `/api/sessions/${encodeURIComponent(row.session_id)}/bundle?token=${encodeURIComponent(state.token)}` },
        "Evidence zip"))));
  }
  if (page.total !== null) { state.total = page.total; state.more = page.more_than_total; }  // null: paging on
  state.next = page.next_cursor;
  state.prev = page.prev_cursor;
  renderCount();
  $("page").textContent = page.items.length ? `${state.first + 1}–${state.first + page.items.length}` : "";
  $("prev").disabled = !state.prev;
  $("next").disabled = !state.next;
  $("results").hidden = false;
}

function renderCount() {
  // counting stops at a cap (10,000; 1,000 with free text): past it the page says "more than" and offers the exact count
  $("count").textContent = state.more ? `More than ${state.total.toLocaleString()} sessions`
    : `${state.total.toLocaleString()} session${state.total === 1 ? "" : "s"}`;
  $("count-all").hidden = !state.more;
}

function renderTable(id, rows) {
  const body = $(id).querySelector("tbody");
  body.replaceChildren(...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, String(c))))));
}

function renderTrends(t) {
  state.trends = t;
  $("trends").hidden = false;
  $("trend-range").textContent = `${new Date(t.since).toLocaleDateString()} – ${new Date(t.until).toLocaleDateString()}`;
  renderTable("rising", t.rising.map((r) => [r.code, r.last_week, r.weekly_before, r.ratio]));
  renderTable("per-code", t.per_code.map((c) => [c.key, c.count]));
  renderTable("per-model", t.per_model.map((c) => [c.key, c.count]));
  const chart = $("chart");
  chart.replaceChildren();
  const codes = Object.keys(t.code_weeks);
  if (!window.uPlot || !t.weeks.length) return;
  const xs = t.weeks.map((w) => Date.parse(`${w}T00:00:00Z`) / 1000);
  const palette = ["#0a84ff", "#ff3b30", "#34c759", "#ff9500", "#af52de", "#5ac8fa", "#ffcc00", "#8e8e93", "#10233f", "#a2845e"];
  const series = [{}, { label: "all findings", stroke: "#10233f", width: 2 },
    ...codes.map((code, i) => ({ label: code, stroke: palette[i % palette.length], width: 1 }))];
  const data = [xs, t.per_week, ...codes.map((code) => t.code_weeks[code])];
  new window.uPlot({ width: Math.max(320, chart.clientWidth || 900), height: 260, series,
    axes: [{}, { label: "findings per week" }] }, data, chart);
}

/** The exact number of matches, on request (it reads every match: slower than a page). */
async function countAll() {
  state.ready = false;
  try {
    const params = new URLSearchParams(state.params);
    params.set("limit", "1");
    params.set("count", "exact");
    const page = await api(`/api/library/sessions?${params}`);
    state.total = page.total;
    state.more = false;
    renderCount();
  } catch (e) {
    fail(`Could not count: ${e.message}`);
  } finally {
    state.ready = true;
  }
}

/** Another page of the same search (cursor from the page shown), without counting or the trends again. */
async function turn(direction) {
  const cursor = direction === "next" ? state.next : state.prev;
  if (!cursor) return;
  state.ready = false;
  fail("");
  try {
    const params = new URLSearchParams(state.params);
    params.set("cursor", cursor);
    params.set("count", "none");
    const page = await api(`/api/library/sessions?${params}`);
    state.first = direction === "next" ? state.first + state.items.length : Math.max(0, state.first - page.items.length);
    state.items = page.items;
    renderRows(page);
  } catch (e) {
    fail(`Could not turn the page: ${e.message}`);
  } finally {
    state.ready = true;
  }
}

async function search() {
  state.ready = false;
  fail("");
  try {
    const params = filterParams($("filters"));
    const trendParams = new URLSearchParams();
    for (const key of ["code", "device"]) if (params.get(key)) trendParams.set(key, params.get(key));
    if (params.get("started_from")) trendParams.set("since", params.get("started_from"));
    if (params.get("started_to")) trendParams.set("until", params.get("started_to"));
    const [page, trends] = await Promise.all([api(`/api/library/sessions?${params}`),
      api(`/api/library/trends?${trendParams}`)]);
    state.params = params.toString();
    state.first = 0;
    state.items = page.items;
    renderRows(page);
    renderTrends(trends);
  } catch (e) {
    fail(`Could not search: ${e.message}`);
  } finally {
    state.ready = true;
  }
}

function fillList(id, values) {
  $(id).replaceChildren(...values.map((v) => el("option", { value: v })));
}

async function start() {
  const fromFragment = fragmentParams().get("token");
  if (fromFragment) {
    sessionStorage.setItem(TOKEN_KEY, fromFragment);
    history.replaceState(null, "", "/library");
  }
  state.token = sessionStorage.getItem(TOKEN_KEY);
  if (!state.token) { $("signin").hidden = false; state.ready = true; return; }
  try {
    state.me = await api("/api/me");
    if (state.me.role === "customer") throw new ApiError(403, "a customer's link cannot open the library");
    const facets = await api("/api/library/facets");
    fillList("codes", facets.codes);
    fillList("devices", [...facets.models, ...facets.families]);
    fillList("technicians", facets.technicians);
  } catch (e) {
    if (e.status === 401) sessionStorage.removeItem(TOKEN_KEY);
    $("signin").hidden = false;
    fail(`Cannot open the library: ${e.message}`);
    state.ready = true;
    return;
  }
  $("who").textContent = `— ${state.me.name} (${state.me.role})`;
  $("signin").hidden = true;
  $("filters").hidden = false;
  await search();
  if ((state.me.actions || []).includes("retention.manage")) {
    await renderRetention({ send, fail, say, changed: () => search() }, $("lifecycle"))
      .catch((e) => fail(`Could not load the retention policy: ${e.message}`));
  }
}

$("filters").addEventListener("submit", (ev) => { ev.preventDefault(); search(); });
$("filters").addEventListener("reset", () => setTimeout(() => search(), 0));
$("prev").addEventListener("click", () => turn("prev"));
$("next").addEventListener("click", () => turn("next"));
$("count-all").addEventListener("click", () => countAll());
$("open").addEventListener("click", () => {
  const token = $("token-input").value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  fail("");
  start();
});

start();
