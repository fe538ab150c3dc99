// Code catalog page: browse and search entries, add and edit them, catalogue codes that calls found unexplained.
import { fragmentParams, el } from "/static/call.js";
import { restClient } from "/static/rest.js";

const $ = (id) => document.getElementById(id);
const PAGE = 50;
const state = { token: null, offset: 0, editing: null, snapshots: [] };
window.lensdeskCatalog = state;

function fail(text) { $("error").textContent = text; $("error").hidden = !text; }

// api(method, path, body): a JSON call with the page's token (web/static/rest.js)
const { send: api } = restClient(() => state.token);

const entryPath = (family, code) => `/api/catalog/${encodeURIComponent(family)}/${encodeURIComponent(code)}`;
const when = (iso) => new Date(iso).toLocaleString();

// Snapshots need the token: fetch them with the header and show blob URLs (no token in any URL).
async function snapshot(img, url) {
  try {
    const res = await fetch(url, { headers: { "Authorization": `Bearer ${state.token}` } });
    if (!res.ok) return;
    const src = URL.createObjectURL(await res.blob());
    state.snapshots.push(src);
    img.src = src;
  } catch { /* the row is useful without its picture */ }
}

async function loadUncatalogued() {
  const page = await api("GET", `/api/catalog/uncatalogued?sort=${$("uncatalogued-sort").value}&limit=100`);
  for (const src of state.snapshots.splice(0)) URL.revokeObjectURL(src);
  const body = $("uncatalogued").tBodies[0];
  body.replaceChildren();
  for (const item of page.items) {
    const img = el("img", { class: "snapshot", alt: `snapshot of ${item.code}` });
    snapshot(img, item.snapshot_url);
    body.append(el("tr", { "data-code": item.code },
      el("td", {}, img), el("td", { class: "code" }, item.code), el("td", {}, item.count), el("td", {}, item.sessions),
      el("td", {}, `${when(item.first_seen)} / ${when(item.last_seen)}`), el("td", {}, item.family_guess || "—"),
      el("td", {}, el("button", { class: "small primary catalogue-it", onclick: () => catalogueIt(item) }, "Catalogue it"))));
  }
  $("uncatalogued-count").textContent = page.total;
  $("uncatalogued-empty").hidden = page.total > 0;
}

function fillForm(entry, editing) {
  const form = $("entry-form");
  for (const name of ["family", "code", "vendor", "device", "title", "cause", "remedy", "severity"]) {
    form.elements[name].value = entry[name] ?? (name === "severity" ? "error" : "");
  }
  state.editing = editing ? { family: entry.family, code: entry.code } : null;
  form.elements.family.readOnly = form.elements.code.readOnly = !!editing;
  $("form-title").textContent = editing ? `Edit ${entry.family} / ${entry.code}` : "Add an entry";
  $("save").textContent = editing ? "Save changes" : "Add entry";
  $("delete").hidden = !editing;
  $("form-status").textContent = "";
}

function catalogueIt(item) {
  fillForm({ family: item.family_guess || "", code: item.code }, false);
  $("form-card").scrollIntoView({ behavior: "smooth" });
  $("entry-form").elements[item.family_guess ? "title" : "family"].focus();
}

async function loadFamilies() {
  const families = await api("GET", "/api/catalog/families");
  const filter = $("family-filter");
  const chosen = filter.value;
  filter.replaceChildren(el("option", { value: "" }, "all families"),
    ...families.map((f) => el("option", { value: f.family }, `${f.family}${f.vendor ? ` (${f.vendor})` : ""} — ${f.codes}`)));
  filter.value = chosen;
  $("family-list").replaceChildren(...families.map((f) => el("option", { value: f.family })));
  const devices = [...new Set(families.map((f) => f.device).filter(Boolean))].sort();
  const deviceFilter = $("device-filter");
  const device = deviceFilter.value;
  deviceFilter.replaceChildren(el("option", { value: "" }, "all devices"), ...devices.map((d) => el("option", { value: d }, d)));
  deviceFilter.value = device;
}

async function loadEntries() {
  const params = new URLSearchParams({ limit: PAGE, offset: state.offset });
  if ($("search").value.trim()) params.set("q", $("search").value.trim());
  if ($("family-filter").value) params.set("family", $("family-filter").value);
  if ($("device-filter").value) params.set("device", $("device-filter").value);
  const page = await api("GET", `/api/catalog?${params}`);
  const body = $("entries").tBodies[0];
  body.replaceChildren(...page.items.map((e) => el("tr", { "data-family": e.family, "data-code": e.code, class: `sev-${e.severity}` },
    el("td", {}, e.family), el("td", { class: "code" }, e.code), el("td", { title: `${e.cause}\n\n${e.remedy}` }, e.title),
    el("td", {}, e.severity), el("td", {}, e.origin === "technician" ? `${e.updated_by}, ${when(e.updated_at)}` : e.origin),
    el("td", {}, el("button", { class: "small edit", onclick: () => { fillForm(e, true); $("form-card").scrollIntoView(); } }, "Edit")))));
  $("entry-count").textContent = page.total;
  $("page-info").textContent = page.total ? `${state.offset + 1}–${state.offset + page.items.length} of ${page.total}` : "no entries";
  $("prev").disabled = state.offset === 0;
  $("next").disabled = page.next_offset === null;
}

async function refresh() {
  fail("");
  try {
    await Promise.all([loadFamilies(), loadEntries(), loadUncatalogued()]);
  } catch (e) {
    fail(`Could not load the catalog: ${e.message}`);
  }
}

$("entry-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = $("entry-form");
  const value = (name) => form.elements[name].value.trim();
  const fields = { vendor: value("vendor"), device: value("device"), title: value("title"), cause: value("cause"),
    remedy: value("remedy"), severity: value("severity") };
  $("save").disabled = true;
  try {
    const saved = state.editing
      ? await api("PUT", entryPath(state.editing.family, state.editing.code), fields)
      : await api("POST", "/api/catalog", { family: value("family"), code: value("code"), ...fields });
    fillForm({}, false);
    $("form-status").textContent = `Saved ${saved.family} / ${saved.code}: calls use it from their next frame.`;
    state.offset = 0;
    await refresh();
  } catch (e) {
    $("form-status").textContent = "";
    fail(e.status === 409 ? `${value("family")} / ${value("code")} is already catalogued: use Edit in the list.`
      : `Could not save: ${e.message}`);
  } finally {
    $("save").disabled = false;
  }
});

$("delete").addEventListener("click", async () => {
  const target = state.editing;
  if (!target || !confirm(`Delete ${target.family} / ${target.code} from the catalog?`)) return;
  try {
    await api("DELETE", entryPath(target.family, target.code));
    fillForm({}, false);
    $("form-status").textContent = `Deleted ${target.family} / ${target.code}.`;
    await refresh();
  } catch (e) {
    fail(`Could not delete: ${e.message}`);
  }
});

$("cancel").addEventListener("click", () => fillForm({}, false));
let searchTimer = null;
$("search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { state.offset = 0; loadEntries().catch((e) => fail(e.message)); }, 250);
});
for (const id of ["family-filter", "device-filter"]) {
  $(id).addEventListener("change", () => { state.offset = 0; loadEntries().catch((e) => fail(e.message)); });
}
$("uncatalogued-sort").addEventListener("change", () => loadUncatalogued().catch((e) => fail(e.message)));
$("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadEntries().catch((e) => fail(e.message)); });
$("next").addEventListener("click", () => { state.offset += PAGE; loadEntries().catch((e) => fail(e.message)); });

function init() {
  const fromFragment = fragmentParams().get("token");
  if (fromFragment) {
    sessionStorage.setItem("lensdesk.token", fromFragment);
    history.replaceState(null, "", "/catalog");
  }
  state.token = sessionStorage.getItem("lensdesk.token");
  $("signin").hidden = !!state.token;
  $("signed-in").hidden = !state.token;
  if (!state.token) return;
  $("console-link").href = `/console#token=${encodeURIComponent(state.token)}`;
  api("GET", "/api/me").then((me) => { $("who").textContent = `— ${me.name}`; refresh(); }).catch(() => {
    sessionStorage.removeItem("lensdesk.token"); state.token = null;
    $("signin").hidden = false; $("signed-in").hidden = true;
    fail("Your technician token is not valid or has expired.");
  });
}
$("token-save").addEventListener("click", () => {
  sessionStorage.setItem("lensdesk.token", $("token-input").value.trim()); fail(""); init();
});
init();
