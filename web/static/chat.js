// Chat in the call, for both sides: plain text only (inserted as text nodes, never as HTML); http(s) links are
// the one thing made clickable. Delivery state: sent (the server stored it) -> delivered (the other page got it)
// -> read (the other page showed it while visible). A page that reconnects gets the history from the server.
"use strict";

const MAX_CHARS = 2000; // the server's bound (signaling/messages.py MAX_CHAT_CHARS)
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
const STATE_LABEL = { pending: "sending…", sent: "sent", delivered: "delivered", read: "read" };
const RANK = { pending: -1, sent: 0, delivered: 1, read: 2 };

/** Text split into text nodes and links; only http(s) URLs become links (no javascript:, data:, tel: ...). */
export function renderText(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const raw = match[0].replace(/[.,;:!?)\]]+$/, ""); // trailing punctuation belongs to the sentence
    let url = null;
    try { url = new URL(raw); } catch { url = null; }
    if (!url || !["http:", "https:"].includes(url.protocol)) continue;
    fragment.append(document.createTextNode(text.slice(last, match.index)));
    const link = document.createElement("a");
    link.href = url.href;
    link.textContent = raw;
    link.target = "_blank";
    link.rel = "noopener noreferrer nofollow";
    fragment.append(link);
    last = match.index + raw.length;
  }
  fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}

function clock(at) {
  const date = at ? new Date(at * 1000) : new Date();
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/**
 * One chat panel: `root` holds an <ol class="chat-log">, a <form> with a <textarea> and a send button.
 * attach(call) after each (re)connect; `role` is this page's side ("technician" or "customer").
 */
export class ChatPanel {
  constructor(root, { role, onUnread = () => {} }) {
    this.root = root;
    this.role = role;
    this.onUnread = onUnread;
    this.log = root.querySelector(".chat-log");
    this.form = root.querySelector("form");
    this.input = root.querySelector("textarea");
    this.call = null;
    this.items = new Map(); // message id -> <li>
    this.pending = new Map(); // client id -> <li> not yet confirmed by the server
    this.unreadIds = new Set(); // the other side's messages delivered here but not yet shown to the user
    this.sequence = 0;
    this.input.maxLength = MAX_CHARS;
    this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.send(); });
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); this.send(); } // Shift+Enter: a new line
    });
    document.addEventListener("visibilitychange", () => this.markRead());
    root.addEventListener("focusin", () => this.markRead());
  }

  attach(call) {
    this.call = call;
    call.addEventListener("chat_history", (ev) => this.history(ev.detail.messages));
    call.addEventListener("chat", (ev) => this.received(ev.detail.message, ev.detail.client_id));
    call.addEventListener("chat_status", (ev) => {
      for (const id of ev.detail.message_ids) this.setState(this.items.get(id), ev.detail.state);
    });
    call.addEventListener("error", (ev) => {
      if (["empty_message", "message_too_long", "chat_rate_limited", "message_failed"].includes(ev.detail.code) || ev.detail.message.includes("chat_send")) {
        for (const item of this.pending.values()) { item.dataset.state = "failed"; item.querySelector(".state").textContent = "not sent"; }
        this.pending.clear();
      }
    });
  }

  isMine(entry) {
    return entry.role === this.role && (this.role === "customer" || entry.from_id === this.call?.participantId);
  }

  send() {
    const text = this.input.value.trim();
    if (!text || !this.call) return;
    const clientId = `m${Date.now().toString(36)}${(this.sequence++).toString(36)}`;
    const item = this.item({ role: this.role, name: "You", text, at: null }, true);
    this.setState(item, "pending");
    this.pending.set(clientId, item);
    this.call.send({ type: "chat_send", text, client_id: clientId });
    this.input.value = "";
  }

  history(messages) {
    // The server's record replaces what this page showed (it may have missed messages while reconnecting).
    this.log.replaceChildren();
    this.items.clear();
    for (const entry of messages) this.received(entry, null, true);
  }

  received(entry, clientId, fromHistory = false) {
    const known = this.items.get(entry.message_id);
    if (known) { this.setState(known, entry.state); return; }
    let item = clientId ? this.pending.get(clientId) : null;
    if (item) this.pending.delete(clientId); else item = this.item(entry, this.isMine(entry));
    item.dataset.id = String(entry.message_id);
    this.items.set(entry.message_id, item);
    this.setState(item, entry.state);
    if (!this.isMine(entry) && entry.state !== "read") {
      if (entry.state === "sent") this.call.send({ type: "chat_receipt", message_ids: [entry.message_id], state: "delivered" });
      this.unreadIds.add(entry.message_id);
      if (!fromHistory) this.onUnread(this.unreadIds.size);
      this.markRead();
    }
  }

  /** Read receipts for what the user can see now: the page is visible and the panel is shown. */
  markRead() {
    if (!this.call || !this.unreadIds.size || document.visibilityState !== "visible" || !this.root.offsetParent) return;
    this.call.send({ type: "chat_receipt", message_ids: [...this.unreadIds].slice(0, 100), state: "read" });
    this.unreadIds.clear();
    this.onUnread(0);
  }

  item(entry, mine) {
    const li = document.createElement("li");
    li.className = `chat-message ${mine ? "mine" : "theirs"} from-${entry.role}`;
    const head = document.createElement("div");
    head.className = "chat-head";
    head.textContent = `${mine ? "You" : entry.name || entry.role} · ${clock(entry.at)}`;
    const body = document.createElement("div");
    body.className = "chat-text";
    body.append(renderText(entry.text));
    const state = document.createElement("span");
    state.className = "state";
    li.append(head, body, state);
    state.hidden = !mine;
    this.log.append(li);
    li.scrollIntoView({ block: "nearest" });
    return li;
  }

  setState(item, state) {
    if (!item || (RANK[item.dataset.state] ?? -2) >= RANK[state]) return;
    item.dataset.state = state;
    item.querySelector(".state").textContent = STATE_LABEL[state];
  }
}
