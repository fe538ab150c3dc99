// Data lifecycle controls (roles whose policy allows "retention.manage"; the server checks it on every call):
// a ticket's legal hold and its erasure (review page), the retention policy and the erasure of a customer (library).
// Erasing always takes two steps: ask, then confirm in a box that says what goes and that it cannot be undone.
import { el } from "/static/call.js";

/** Ask, then confirm: returns [the button that asks, the box that confirms]. onConfirm gets the reason. */
function confirmStep(prefix, label, warning, reasonInput, onConfirm, ctx) {
  const box = el("div", { class: `confirm ${prefix}-confirm notice`, hidden: "", role: "alertdialog" });
  const ask = el("button", { type: "button", class: `danger ${prefix}`, onclick: () => {
    ctx.fail("");
    if (!reasonInput.value.trim()) { ctx.fail("Give a reason for the erasure (it is kept in the audit trail and sent to the ticket system)."); return; }
    box.replaceChildren(el("p", {}, warning()),
      el("button", { type: "button", class: `danger ${prefix}-yes`, onclick: async () => { box.hidden = true; await onConfirm(reasonInput.value.trim()); } }, "Erase permanently"),
      " ", el("button", { type: "button", class: `${prefix}-cancel`, onclick: () => { box.hidden = true; } }, "Cancel"));
    box.hidden = false;
  } }, label);
  return [ask, box];
}

/** The ticket's legal hold and erasure (review page). ctx = { send, fail, say }; changed() reloads the ticket. */
export function renderTicketLifecycle(ctx, ticket, changed) {
  const holdReason = el("input", { class: "hold-reason", maxlength: "300", placeholder: "e.g. warranty dispute 2026-118", "aria-label": "Hold reason" });
  const held = Boolean(ticket.legal_hold);
  const hold = el("button", { type: "button", class: "hold-toggle", "data-held": String(held), onclick: async () => {
    ctx.fail("");
    try {
      await ctx.send("PUT", `/api/tickets/${encodeURIComponent(ticket.id)}/legal-hold`, { hold: !held, reason: holdReason.value.trim() });
      ctx.say(held ? "The legal hold is released: retention and erasure apply to this ticket again."
        : "The ticket is on legal hold: nothing of it is deleted, by retention or erasure, until the hold is released.");
      await changed();
    } catch (e) { ctx.fail(`Could not ${held ? "release" : "set"} the legal hold: ${e.message}`); }
  } }, held ? "Release legal hold" : "Put on legal hold");
  const eraseReason = el("input", { class: "erase-reason", maxlength: "300", placeholder: "e.g. customer request of 2026-11-29", "aria-label": "Erasure reason" });
  const [ask, box] = confirmStep("erase-ticket", "Erase this ticket…",
    () => `Erase ticket “${ticket.title}” of ${ticket.customer || "no named customer"}: its recordings, snapshots, chat and personal fields are deleted for good (codes and findings stay). This cannot be undone.`,
    eraseReason, async (reason) => {
      try {
        const job = await ctx.send("POST", `/api/tickets/${encodeURIComponent(ticket.id)}/erase`, { reason });
        ctx.say(`Ticket erased (${job.state}): its recordings, snapshots, chat and personal fields are gone.`);
        await changed();
      } catch (e) { ctx.fail(`Could not erase the ticket: ${e.message}`); }
    }, ctx);
  return el("div", { class: "lifecycle", "data-ticket": ticket.id },
    el("div", { class: "row" }, el("span", { class: `pill hold-state${held ? " held" : ""}` }, held ? "On legal hold" : "No legal hold"),
      holdReason, hold),
    el("div", { class: "row" }, eraseReason, ask), box);
}

function minutes(seconds) { return seconds >= 3600 ? `${Math.round(seconds / 3600)} h` : `${Math.round(seconds / 60)} min`; }

/** The retention policy, the tickets on hold, and erasing a customer (library page). */
export async function renderRetention(ctx, card) {
  const policy = await ctx.send("GET", "/api/lifecycle/policy");
  const rule = policy.retention_days > 0
    ? `Recordings and snapshots older than ${policy.retention_days} days are deleted (checked every ${minutes(policy.interval_s)}).`
    : "Retention is off: nothing is deleted by age (set LENSDESK_RETENTION_DAYS to turn it on).";
  const last = policy.last_run
    ? `Last run ${new Date(policy.last_run.requested_at).toLocaleString()}: ${policy.last_run.reason}, ${policy.last_run.state}.`
    : "The retention job has not deleted anything yet.";
  const name = el("input", { id: "erase-customer-name", maxlength: "300", placeholder: "customer name as on the tickets", "aria-label": "Customer" });
  const reason = el("input", { id: "erase-customer-reason", maxlength: "300", placeholder: "e.g. request of 2026-11-29", "aria-label": "Reason" });
  const [ask, box] = confirmStep("erase-customer", "Erase this customer…",
    () => `Erase every ticket of “${name.value.trim()}”: recordings, snapshots, chat and personal fields are deleted for good. This cannot be undone.`,
    reason, async (why) => {
      try {
        const job = await ctx.send("POST", "/api/customers/erase", { customer: name.value.trim(), reason: why });
        ctx.say(`Customer erased: ${job.target} (${job.state}).`);
        name.value = "";
        await ctx.changed?.();
      } catch (e) { ctx.fail(`Could not erase the customer: ${e.message}`); }
    }, ctx);
  card.replaceChildren(el("h2", {}, "Data lifecycle"),
    el("p", { id: "retention-rule" }, rule), el("p", { class: "muted", id: "retention-last" }, last),
    el("div", { class: "grid" },
      el("div", {}, el("h3", {}, "Deleted by retention"), el("ul", {}, ...policy.deletes.map((d) => el("li", {}, d)))),
      el("div", {}, el("h3", {}, "Kept"), el("ul", {}, ...policy.keeps.map((d) => el("li", {}, d)))),
      el("div", {}, el("h3", {}, `On legal hold (${policy.held_tickets.length})`),
        el("ul", { id: "held-tickets" }, ...policy.held_tickets.map((t) => el("li", { "data-ticket": t.id },
          el("a", { href: `/review#ticket=${encodeURIComponent(t.id)}` }, t.title), ` · ${t.customer}`))))),
    el("h3", {}, "Erase a customer on request"), el("div", { class: "row" }, name, reason, ask), box);
  card.hidden = false;
}
