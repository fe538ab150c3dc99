// Shared call client: signaling WebSocket + one RTCPeerConnection to the server.
// The browser always offers and the server always answers, so offers can never collide (no glare);
// negotiations are serialised here: a request made while one runs is folded into one follow-up offer.
"use strict";

export class Call extends EventTarget {
  constructor({ token, sessionId, name }) {
    super();
    this.token = token;
    this.sessionId = sessionId;
    this.name = name || "";
    this.ws = null;
    this.pc = null;
    this.participantId = null;
    this.role = null;
    this._negotiating = false;
    this._again = false;
    this._answerWaiter = null;
    this.closed = false;
    this.received = []; // message types seen, for support diagnostics and tests
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  async connect() {
    if (!this.config) await this.loadConfig();
    return new Promise((resolve, reject) => {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(`${proto}//${location.host}/ws`);
      this.ws = ws;
      let welcomed = false;
      ws.onopen = () => this.send({ type: "join", token: this.token, session_id: this.sessionId, name: this.name });
      ws.onmessage = (ev) => {
        let msg;
        try { msg = JSON.parse(ev.data); } catch { return; }
        if (msg.type === "welcome") {
          welcomed = true;
          this.participantId = msg.participant_id;
          this.role = msg.role;
          this.iceServers = msg.ice_servers; // this participant's own STUN/TURN credentials (never public)
          resolve(msg);
        } else if (msg.type === "error" && msg.fatal && !welcomed) {
          reject(Object.assign(new Error(msg.message), { code: msg.code, retryAfterMs: msg.retry_after_ms || 0 }));
        } else if (msg.type === "error" && msg.fatal && FINAL_CODES.includes(msg.code)) {
          this.closed = true; // removed, link replaced, session over: rejoining cannot help
        }
        this._onMessage(msg);
      };
      ws.onclose = (ev) => {
        if (!welcomed) reject(Object.assign(new Error("Could not connect to the support server."), { code: "connect_failed" }));
        this.emit("closed", { code: ev.code, reason: ev.reason });
      };
    });
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ v: 1, ...obj }));
  }

  async loadConfig() {
    try { this.config = await (await fetch("/api/public/config")).json(); } catch { this.config = {}; }
    return this.config;
  }

  createPeer() {
    const servers = this.iceServers && this.iceServers.length ? this.iceServers : (this.config && this.config.iceServers);
    this.pc = new RTCPeerConnection({ iceServers: (servers || []).map((s) => Object.fromEntries(
      Object.entries(s).filter(([, v]) => v !== null))) });
    this.pc.addEventListener("connectionstatechange", () => this.emit("pcstate", this.pc.connectionState));
    this.pc.addEventListener("track", (ev) => this.emit("track", ev));
    return this.pc;
  }

  async negotiate() {
    if (this._negotiating) { this._again = true; return; }
    this._negotiating = true;
    try {
      do {
        this._again = false;
        const offer = await this.pc.createOffer();
        await this.pc.setLocalDescription(offer);
        await this._gathered(2000);
        const answered = new Promise((res, rej) => { this._answerWaiter = { res, rej }; });
        this.send({ type: "offer", sdp: this.pc.localDescription.sdp });
        const sdp = await answered;
        await this.pc.setRemoteDescription({ type: "answer", sdp });
      } while (this._again);
    } finally {
      this._negotiating = false;
    }
  }

  _gathered(timeoutMs) {
    if (this.pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((res) => {
      const done = () => { this.pc.removeEventListener("icegatheringstatechange", check); res(); };
      const check = () => { if (this.pc.iceGatheringState === "complete") done(); };
      this.pc.addEventListener("icegatheringstatechange", check);
      setTimeout(done, timeoutMs);
    });
  }

  _onMessage(msg) {
    if (msg.type === "answer" && this._answerWaiter) {
      this._answerWaiter.res(msg.sdp);
      this._answerWaiter = null;
    } else if (msg.type === "error" && msg.code === "negotiation_failed" && this._answerWaiter) {
      this._answerWaiter.rej(new Error(msg.message));
      this._answerWaiter = null;
    } else if (msg.type === "renegotiate") {
      this.negotiate().catch((e) => this.emit("failure", e.message));
    }
    this.received.push(msg.type);
    if (this.received.length > 500) this.received.shift();
    this.emit("message", msg);
    this.emit(msg.type, msg);
  }

  hangUp(endSession = false) {
    this.closed = true;
    this.send({ type: "bye", end_session: endSession });
    if (this.pc) this.pc.close();
    if (this.ws) this.ws.close();
  }
}

const FINAL_CODES = ["token_expired", "token_invalid", "session_ended", "token_revoked", "removed", "link_replaced"];

/**
 * Rejoin after a dropped connection: `attempt` is tried with backoff (0.5 s doubling to 8 s, 6 tries), never
 * sooner than a refusal's `retry_after_ms` (a busy server says when its queue of joins will have room).
 * Resolves true once it succeeds; false when it gives up, or at once on an error retrying cannot fix
 * (`onFinal` gets that error). `state.reconnecting` guards against two loops at once.
 */
export async function rejoinWithBackoff(state, attempt, { onTry = () => {}, onFinal = () => {} } = {}) {
  if (state.reconnecting) return false;
  state.reconnecting = true;
  try {
    let asked = 0; // the server's retry_after_ms of the last refusal
    for (let i = 0; i < 6; i++) {
      onTry(i);
      await new Promise((r) => setTimeout(r, Math.max(Math.min(8000, 500 * 2 ** i), asked)));
      try {
        if (state.call && state.call.pc) state.call.pc.close();
        await attempt();
        state.reconnects = (state.reconnects || 0) + 1;
        return true;
      } catch (e) {
        if (FINAL_CODES.includes(e.code)) { onFinal(e); return false; }
        asked = Math.min(60000, e.retryAfterMs || 0);
      }
    }
    return false;
  } finally {
    state.reconnecting = false;
  }
}

export function fragmentParams() {
  return new URLSearchParams(location.hash.replace(/^#/, ""));
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "style") node.style.cssText = v;  // CSSOM: a style attribute would be refused by the CSP
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
