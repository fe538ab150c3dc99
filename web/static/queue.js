// The console's live help queue: presence and skills, waiting customers (device, wait, words, photo), picks,
// service levels and target breaches. A request assigned to this technician opens its call in the console.
import { el } from "/static/call.js";

function waited(s) { return s < 60 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`; }

export class QueuePanel {
  constructor(root, { token, onAssigned, onError }) {
    this.root = root;
    this.token = token;
    this.onAssigned = onAssigned;
    this.onError = onError;
    this.list = root.querySelector(".queue-list");
    this.levels = root.querySelector(".queue-levels");
    this.presence = root.querySelector(".queue-presence");
    this.snapshot = null;
    this.retry = 0;
    root.querySelector(".queue-online").addEventListener("click", () => this.connect());
    this.presence.addEventListener("change", () => this.send({ type: "queue_presence", presence: this.presence.value }));
    setInterval(() => this.snapshot && this.render(), 1000);  // wait times tick between snapshots
  }

  setToken(token) { this.token = token; }

  send(msg) { if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg)); }

  connect() {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    const words = (sel) => this.root.querySelector(sel).value.split(",").map((s) => s.trim()).filter(Boolean);
    const hello = { type: "queue_hello", token: this.token, families: words(".queue-families").length ? words(".queue-families") : ["*"],
      languages: words(".queue-languages"), limit: Number(this.root.querySelector(".queue-limit").value) || 1,
      presence: this.presence.value };
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/queue`);
    this.ws = ws;
    ws.onopen = () => { this.retry = 0; ws.send(JSON.stringify(hello)); this.root.classList.add("online"); };
    ws.onmessage = (ev) => this.receive(JSON.parse(ev.data));
    ws.onclose = () => {
      this.root.classList.remove("online");
      if (this.stopped) return;
      this.retry = Math.min(this.retry + 1, 6);
      setTimeout(() => this.connect(), 500 * 2 ** this.retry);
    };
  }

  receive(msg) {
    if (msg.type === "queue_snapshot") { this.snapshot = { ...msg, at: Date.now() }; this.render(); }
    else if (msg.type === "queue_assigned") this.onAssigned(msg);
    else if (msg.type === "queue_breach") this.root.querySelector(".queue-alert").textContent =
      `A customer has waited ${waited(msg.waited_s)}: past the ${waited(msg.target_s)} target.`;
    else if (msg.type === "error") { this.onError(msg.message); if (msg.fatal) this.stopped = true; }
  }

  render() {
    const s = this.snapshot;
    const since = (Date.now() - s.at) / 1000;
    const rows = s.requests.filter((r) => r.state === "waiting").map((r) => {
      const item = el("li", { class: r.breached ? "breached" : "", "data-request": r.id },
        el("strong", {}, `${r.position}. ${r.model}`), ` ${r.serial ? "S/N " + r.serial : ""} (${r.family})`,
        el("span", { class: "muted" }, ` — ${r.customer_name}, waiting ${waited(r.waited_s + since)}`
          + `${r.media === "video" ? ", wants video" : ""}${r.connected ? "" : r.callback_number ? `, call back ${r.callback_number}` : ", away"}`),
        r.breached ? el("span", { class: "pill danger" }, "over target") : "",
        el("p", { class: "queue-words" }, r.description || "(no description)"));
      if (r.has_photo) {
        const a = el("a", { href: "#" }, "photo");
        a.addEventListener("click", (ev) => { ev.preventDefault(); this.openPhoto(r.id); });
        item.append(" ", a);
      }
      const pick = el("button", { class: "queue-pick" }, "Take");
      pick.addEventListener("click", () => this.send({ type: "queue_pick", request_id: r.id }));
      item.append(" ", pick);
      return item;
    });
    this.list.replaceChildren(...(rows.length ? rows : [el("li", { class: "muted" }, "Nobody is waiting.")]));
    const l = s.levels;
    const pct = (x) => (x === null ? "–" : `${Math.round(x * 100)} %`);
    this.levels.textContent = `${l.waiting} waiting · answered ${l.answered} (within ${waited(l.target_answer_s)}: `
      + `${pct(l.answered_within_target)}) · abandoned ${pct(l.abandonment_rate)} · mean answer `
      + `${l.mean_answer_s === null ? "–" : waited(l.mean_answer_s)} · mean handle `
      + `${l.mean_handle_s === null ? "–" : waited(l.mean_handle_s)} · first contact ${pct(l.first_contact_resolution)}`
      + `${s.admitting ? "" : " · server full: requests wait"} · ${s.technicians.length} online`
      + (l.families.length > 1 ? " — per queue: " + l.families.map((f) => `${f.family} ${f.waiting} waiting, `
        + `within target ${pct(f.answered_within_target)}, abandoned ${pct(f.abandonment_rate)}`).join("; ") : "");
  }

  async openPhoto(id) {
    const res = await fetch(`/api/queue/requests/${encodeURIComponent(id)}/photo`,
      { headers: { Authorization: `Bearer ${this.token}` } });
    if (res.ok) window.open(URL.createObjectURL(await res.blob()), "_blank", "noopener");
  }
}
