"""The help queue's engine: feeds signaling.queue.HelpQueue its events and carries out its actions (store,
messages to sockets, ticket events); restores the waiting and running requests from the store when it starts.

One node at a time runs the engine: the holder of the queue lease (helpqueue/front.py). Every node's front
tells it what its sockets do and delivers what it sends (signaling/queue_bus.py). Its durable state is the
store's queue_requests table, so a restart or a failover loses no request and no place; an assignment is stored
only while this node still holds the lease and only if the request is still waiting (exactly once cluster-wide).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from signaling import queue as q
from signaling import queue_bus as qb
from signaling import queue_messages as qm
from signaling.bus import BusUnavailable
from signaling.messages import ErrorMessage
from tickets.errors import ConflictError
from tickets.help_desk import QueueTally, QueueTotals
from tickets.records import HelpLinkRecord, QueueRequestRecord
from tickets.store import TicketStore

log = logging.getLogger(__name__)

TICK_S = 2.0
LEVELS_WINDOW_S = 86_400.0  # service levels cover the requests of the last day unless configured  # estimated waits refresh, breaches and admission are checked this often
ANSWER_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
HANDLE_BUCKETS = (60.0, 180.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)


def _no_totals() -> QueueTotals:
    return QueueTotals(answered=0, answered_within_target=0, abandoned=0, breached=0,
                       answer_le=[0] * (len(ANSWER_BUCKETS) + 1), answer_sum_s=0.0,
                       handle_le=[0] * (len(HANDLE_BUCKETS) + 1), handle_sum_s=0.0)


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """Service-level counters over every request in the store, so the same on every node and across a restart or a
    failover of the node running the queue (counters kept by the engine in memory reset or split on a handover)."""

    totals: QueueTotals = field(default_factory=_no_totals)
    first_contact: tuple[int, int] = (0, 0)  # (closed help tickets, closed with a single session)


async def read_figures(store: TicketStore, target_answer_s: float) -> QueueFigures:
    """The queue's counters as the store has them now."""
    return QueueFigures(totals=await store.help_desk.totals(target_answer_s, ANSWER_BUCKETS, HANDLE_BUCKETS),
                        first_contact=await store.help_desk.first_contact_resolution())


def _levels(t: QueueTally, waiting: int) -> dict[str, Any]:
    """The fields of qm.QueueLevels from a tally."""
    decided = t.answered + t.abandoned
    return dict(waiting=waiting, answered=t.answered, abandoned=t.abandoned, breached=t.breached,
                mean_answer_s=round(t.answer_s / t.answered, 1) if t.answered else None,
                mean_handle_s=round(t.handle_s / t.handled, 1) if t.handled else None,
                answered_within_target=round(t.answered_within_target / t.answered, 3) if t.answered else None,
                abandonment_rate=round(t.abandoned / decided, 3) if decided else None,
                first_contact_resolution=round(t.closed_first_contact / t.closed, 3) if t.closed else None)


def _request(record: QueueRequestRecord, link: HelpLinkRecord | None) -> q.Request:
    device = q.Device(link.family, link.model, link.serial, link.site) if link else q.Device("unknown")
    return q.Request(id=record.id, session_id=record.session_id, ticket_id=record.ticket_id, device=device,
                     customer_name=record.customer_name, enqueued_at=record.enqueued_at,
                     description=record.description, media="video" if record.media == "video" else "voice",
                     language=record.language, has_photo=bool(record.photo), callback_number=record.callback_number,
                     state=record.state, technician_id=record.technician_id, answered_at=record.answered_at,
                     breached=record.breached)


class EngineStale(Exception):
    """The engine no longer holds the queue lease, or the store shows another engine acted: it must stop (the
    node that holds the lease runs a fresh engine from the store)."""


class HelpQueueService:
    """The queue's engine (on the node holding the queue lease): a HelpQueue fed by every node's front.

    Presence is counted per node: a technician is online while some node holds one of their consoles, a
    customer connected while some node holds one of their pages. Messages go out through `send` (an envelope
    every front receives; each delivers to the sockets it holds)."""

    def __init__(self, store: TicketStore, *, target_answer_s: float, admitting: Callable[[], bool],
                 send: Callable[[qb.Deliver], Awaitable[None]], fence: Callable[[], Awaitable[bool]],
                 alive: Callable[[set[str]], Awaitable[set[str]]], levels_window_s: float = LEVELS_WINDOW_S,
                 clock: Callable[[], float] = time.time, tick_s: float = TICK_S) -> None:
        self._store = store
        self._queue = q.HelpQueue(target_answer_s=target_answer_s)
        self._admitting = admitting
        self._send = send
        self._fence = fence  # True while this node still holds the queue lease (asked before an assignment)
        self._alive = alive  # which of these nodes are alive (sockets count only while their node is)
        self._clock = clock
        self._tick_s = tick_s
        self._lock = asyncio.Lock()
        self._boots: dict[str, str] = {}  # node -> boot id of its front as last heard
        self._technicians: dict[str, dict[str, qb.TechnicianPresence]] = {}  # technician id -> node -> presence
        self._customers: dict[str, set[str]] = {}  # request id -> nodes holding one of its pages
        self._names: dict[str, str] = {}  # technician id -> name, also after they went offline
        self._task: asyncio.Task[None] | None = None
        self.stale = asyncio.Event()  # set when this engine must stop (EngineStale)
        self._window_s = levels_window_s
        self._tallies: dict[str, QueueTally] = {}  # per family, the window's requests as last read from the store
        self._levels_stale = False  # a request changed since

    @property
    def target_answer_s(self) -> float:
        """The target time to answer."""
        return self._queue.target_answer_s

    async def start(self) -> None:
        """Restore the waiting and running requests from the store, then start the clock."""
        links: dict[str, HelpLinkRecord | None] = {}
        for record in await self._store.help_desk.open_requests():
            if record.help_link_id not in links:
                links[record.help_link_id] = await self._store.help_desk.get_link(record.help_link_id)
            await self._run(q.RequestArrived(_request(record, links[record.help_link_id]), restored=True))
            if record.state == "assigned":
                # its session may have ended while no engine ran (the node that saw it end died with the news)
                session = await self._store.get_session(record.session_id)
                if session is not None and session.status == "ended":
                    await self._run(q.CallEnded(record.id))
        await self._refresh_levels()
        self._task = asyncio.create_task(self._ticking(), name="help-queue")

    async def stop(self) -> None:
        """Stop the clock (requests stay stored)."""
        self.stale.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _ticking(self) -> None:
        while True:
            await asyncio.sleep(self._tick_s)
            try:
                await self._drop_dead_nodes()
                await self._run(q.Tick())  # also notices a change of admission
                await self._refresh_levels()
            except EngineStale:
                return
            except Exception:
                log.exception("help queue tick failed")

    async def _refresh_levels(self) -> None:
        self._tallies = await self._store.help_desk.service_levels(self._clock() - self._window_s,
                                                                   self._queue.target_answer_s)
        self._levels_stale = False

    # -- what fronts say ---------------------------------------------------------------------------

    async def handle(self, env: qb.ToEngine) -> None:
        """One message from a front (EngineStale when this engine must stop)."""
        if isinstance(env, qb.SnapshotWanted):
            await self._send(qb.deliver("consoles", "", self.snapshot()))
            return
        if isinstance(env, qb.Enqueued):
            if env.request_id not in self._queue.requests:
                await self._arrive(env.request_id, restored=False)
            return
        if isinstance(env, qb.SessionEnded):
            req = next((r for r in self._queue.requests.values() if r.session_id == env.session_id), None)
            if req is not None:
                await self._run(q.CallEnded(req.id))
            return
        await self._heard_from(env.node, env.boot)
        if isinstance(env, qb.FrontSync):
            await self._sync(env)
        elif isinstance(env, qb.TechnicianOn):
            await self._technician_on(env.node, env.technician)
        elif isinstance(env, qb.TechnicianOff):
            await self._technician_off(env.node, env.technician_id)
        elif isinstance(env, qb.TechnicianSaid):
            if isinstance(env.message, qm.QueuePresence):
                await self._run(q.PresenceSet(env.technician_id, env.message.presence))
            else:
                req = self._queue.requests.get(env.message.request_id)
                if req is not None and req.state == "assigned" and req.technician_id == env.technician_id:
                    # the same pick again (its acknowledgement was lost in a handover): the answer, not a refusal
                    await self._to_technician(env.technician_id, self._assigned_message(req, picked=True))
                else:
                    await self._run(q.Picked(env.technician_id, env.message.request_id))
        elif isinstance(env, qb.CustomerOn):
            await self._customer_on(env.node, env.request_id)
        elif isinstance(env, qb.CustomerOff):
            await self._customer_off(env.node, env.request_id)
        elif isinstance(env, qb.CustomerSaid):
            if isinstance(env.message, qm.QueueCallback):
                await self._run(q.CallbackLeft(env.request_id, env.message.number))
            else:
                await self._run(q.CustomerCancelled(env.request_id))

    async def _arrive(self, request_id: str, *, restored: bool) -> bool:
        """Read a request from the store into the queue (False if it is not open)."""
        record = await self._store.help_desk.get_request(request_id)
        if record is None or record.state not in ("waiting", "assigned"):
            return False
        link = await self._store.help_desk.get_link(record.help_link_id)
        await self._run(q.RequestArrived(_request(record, link), restored=restored))
        return True

    async def _heard_from(self, node: str, boot: str) -> None:
        """A front of a new incarnation of a node: what its old one held is gone."""
        known = self._boots.get(node)
        if known is not None and known != boot:
            await self._drop_node(node)
        self._boots[node] = boot

    async def _sync(self, env: qb.FrontSync) -> None:
        techs = {t.id: t for t in env.technicians}
        for tech_id in [t for t, nodes in self._technicians.items() if env.node in nodes and t not in techs]:
            await self._technician_off(env.node, tech_id)
        for tech in techs.values():
            if self._technicians.get(tech.id, {}).get(env.node) != tech:
                await self._technician_on(env.node, tech)
        pages = set(env.customers)
        for request_id in [r for r, nodes in self._customers.items() if env.node in nodes and r not in pages]:
            await self._customer_off(env.node, request_id)
        for request_id in pages - {r for r, nodes in self._customers.items() if env.node in nodes}:
            await self._customer_on(env.node, request_id)

    async def _technician_on(self, node: str, tech: qb.TechnicianPresence) -> None:
        self._technicians.setdefault(tech.id, {})[node] = tech
        self._names[tech.id] = tech.name
        hello = tech.hello
        await self._run(q.TechnicianOnline(q.Technician(
            id=tech.id, name=tech.name, families=frozenset(f.lower() for f in hello.families),
            languages=frozenset(lang.lower() for lang in hello.languages), limit=hello.limit,
            presence=hello.presence)))
        await self._to_technician(tech.id, self.snapshot())

    async def _technician_off(self, node: str, technician_id: str) -> None:
        nodes = self._technicians.get(technician_id, {})
        nodes.pop(node, None)
        if not nodes:
            self._technicians.pop(technician_id, None)
            await self._run(q.TechnicianOffline(technician_id))

    async def _customer_on(self, node: str, request_id: str) -> None:
        if request_id not in self._queue.requests and not await self._arrive(request_id, restored=True):
            await self._to_customer(request_id, qm.QueueClosed(request_id=request_id, reason="ended"))
            return
        self._customers.setdefault(request_id, set()).add(node)
        req = self._queue.requests[request_id]
        if req.state == "assigned":  # answered while the page was away
            await self._to_customer(request_id, self._assigned_message(req, picked=False))
            return
        await self._run(q.CustomerConnected(request_id))

    async def _customer_off(self, node: str, request_id: str) -> None:
        nodes = self._customers.get(request_id, set())
        nodes.discard(node)
        if not nodes:
            self._customers.pop(request_id, None)
            if request_id in self._queue.requests:
                await self._run(q.CustomerDisconnected(request_id))

    async def _drop_node(self, node: str) -> None:
        for tech_id in [t for t, nodes in self._technicians.items() if node in nodes]:
            await self._technician_off(node, tech_id)
        for request_id in [r for r, nodes in self._customers.items() if node in nodes]:
            await self._customer_off(node, request_id)

    async def _drop_dead_nodes(self) -> None:
        """Consoles and pages held by a node that died are gone (their people reconnect through another)."""
        nodes = set(self._boots)
        if not nodes:
            return
        try:
            alive = await self._alive(nodes)
        except BusUnavailable:
            return  # unknown while Redis is away: nobody is dropped on a guess
        for node in nodes - alive:
            log.warning("help queue: node %s is gone; its consoles and pages are dropped", node)
            await self._drop_node(node)
            self._boots.pop(node, None)

    # -- views --------------------------------------------------------------------------------------

    def snapshot(self) -> qm.QueueSnapshot:
        """The whole queue as consoles show it."""
        now = self._clock()
        waiting = {r.id: i for i, r in enumerate(self._queue.waiting(), 1)}
        items = [qm.QueueItem(id=r.id, session_id=r.session_id, ticket_id=r.ticket_id,
                              state="waiting" if r.state == "waiting" else "assigned", family=r.device.family,
                              model=r.device.model, serial=r.device.serial, site=r.device.site,
                              customer_name=r.customer_name, description=r.description, media=r.media,
                              language=r.language, has_photo=r.has_photo, callback_number=r.callback_number,
                              connected=r.connected, waited_s=round(now - r.enqueued_at, 1),
                              position=waiting.get(r.id, 0),
                              eta_s=self._queue.eta_s(r, now) if r.state == "waiting" else None,
                              breached=r.breached, technician_id=r.technician_id)
                 for r in sorted(self._queue.requests.values(), key=lambda r: (r.enqueued_at, r.id))]
        techs = [qm.TechnicianItem(id=t.id, name=t.name, presence=t.presence, families=sorted(t.families),
                                   languages=sorted(t.languages), limit=t.limit, calls=len(t.calls))
                 for t in sorted(self._queue.technicians.values(), key=lambda t: t.id)]
        return qm.QueueSnapshot(requests=items, technicians=techs, admitting=self._queue.admitting,
                                levels=self.levels())

    def levels(self) -> qm.ServiceLevels:
        """Service levels of the requests made within the window (from the store), overall and per queue."""
        waiting: dict[str, int] = {}
        for r in self._queue.waiting():
            waiting[r.device.family] = waiting.get(r.device.family, 0) + 1
        total = QueueTally()
        families = []
        for family in sorted(set(self._tallies) | set(waiting)):
            tally = self._tallies.get(family, QueueTally())
            total.add(tally)
            families.append(qm.FamilyLevels(family=family, **_levels(tally, waiting.get(family, 0))))
        return qm.ServiceLevels(target_answer_s=self._queue.target_answer_s, window_s=self._window_s,
                                families=families, **_levels(total, len(self._queue.waiting())))

    # -- running the state machine ---------------------------------------------------------------------

    async def _run(self, event: q.Event) -> None:
        if self.stale.is_set():
            raise EngineStale("this engine has stopped")
        async with self._lock:
            admitting = self._admitting()  # judged now, not at the last tick: never assign into a full node
            actions = [] if admitting == self._queue.admitting else self._queue.handle(
                q.AdmissionChanged(admitting), self._clock())
            if not isinstance(event, q.AdmissionChanged):
                actions += self._queue.handle(event, self._clock())
            if any(isinstance(a, q.Assigned) for a in actions) and not await self._fence():
                self.stale.set()  # another node holds the lease now: it assigns, from the store
                raise EngineStale("the queue lease was lost before an assignment")
            for action in actions:
                try:
                    await self._carry_out(action)
                except EngineStale:
                    self.stale.set()
                    raise
                except Exception:
                    log.exception("help queue: %s failed", type(action).__name__)

    async def _carry_out(self, action: q.Action) -> None:
        if isinstance(action, q.Changed):
            r = action.request
            try:
                await self._store.help_desk.save_state(r.id, state=r.state, technician_id=r.technician_id,
                                                       callback_number=r.callback_number, answered_at=r.answered_at,
                                                       breached=r.breached)
            except ConflictError as exc:  # the store says the request is no longer waiting: another engine acted
                raise EngineStale(str(exc)) from exc
            self._levels_stale = True
            if r.state in ("abandoned", "ended"):
                reason: Literal["cancelled", "ended"] = "cancelled" if r.state == "abandoned" else "ended"
                await self._to_customer(r.id, qm.QueueClosed(request_id=r.id, reason=reason))
        elif isinstance(action, q.Assigned):
            message = self._assigned_message(action.request, picked=action.picked)
            await self._to_customer(action.request.id, message)
            await self._to_technician(action.technician_id, message)
            log.info("help request %s answered by %s after %.1f s%s", action.request.id, action.technician_id,
                     action.waited_s, " (picked)" if action.picked else "")
        elif isinstance(action, q.PositionChanged):
            req = self._queue.requests.get(action.request_id)
            await self._to_customer(action.request_id, qm.QueuePosition(
                request_id=action.request_id, position=action.position, eta_s=action.eta_s,
                callback_number=req.callback_number if req else ""))
        elif isinstance(action, q.QueueChanged):
            if self._levels_stale:
                await self._refresh_levels()
            await self._to_consoles(self.snapshot())
        elif isinstance(action, q.Breached):
            await self._store.help_desk.raise_breach(action.request.id, waited_s=action.waited_s,
                                                     target_s=action.target_s)
            breach = qm.QueueBreach(request_id=action.request.id, ticket_id=action.request.ticket_id,
                                    waited_s=round(action.waited_s, 1), target_s=action.target_s)
            await self._to_consoles(breach)
        elif isinstance(action, q.Refused):
            await self._to_technician(action.technician_id, ErrorMessage(code=action.code, message=action.message))
        # q.Abandoned and q.Handled: counted from the store (read_figures), not here

    def _assigned_message(self, req: q.Request, *, picked: bool) -> qm.QueueAssigned:
        return qm.QueueAssigned(request_id=req.id, session_id=req.session_id, ticket_id=req.ticket_id,
                                technician_id=req.technician_id,
                                technician_name=self._names.get(req.technician_id, req.technician_id),
                                customer_name=req.customer_name, media=req.media,
                                callback_number=req.callback_number, picked=picked)

    async def _to_consoles(self, message: qm.QueueServerMessage) -> None:
        await self._send(qb.deliver("consoles", "", message))

    async def _to_customer(self, request_id: str, message: qm.QueueServerMessage) -> None:
        await self._send(qb.deliver("customer", request_id, message))

    async def _to_technician(self, technician_id: str, message: qm.QueueServerMessage) -> None:
        await self._send(qb.deliver("technician", technician_id, message))
