"""The help queue on this node: the sockets of the waiting customers and consoles connected here (the *front*),
and, while this node holds the queue lease, the queue's engine (helpqueue/engine.py).

Why one elected engine with a lease rather than an assignment script in Redis: the assignment policy (longest wait
first among the skilled, the least-loaded and longest-idle technician, call limits, admission, estimated waits)
stays in one sans-I/O state machine (signaling/queue.py) instead of a second copy in Lua, and positions and
estimated waits are the same on every node because one engine computes them. The lease (Redis, SET with a TTL,
taken and extended in one Lua step) makes one node the engine; a node that dies loses it within
LENSDESK_NODE_TTL_S and another takes over, rebuilding the queue from the store and presence from every front.
Exactly once: before an assignment the engine checks it still holds the lease, and the store assigns only a
request that is still waiting (a conditional update), so even two engines in a split second cannot both answer
one request. Without Redis the same code runs over the in-process bus: this node always holds the lease.

Commands survive a handover: a front keeps each command it sent until the engine acknowledges it, sends it again
to a new engine (and every RETRY_S), and past a deadline tells the technician or customer it was not taken
(signaling/queue_bus.py). The service-level counters are read from the store on every node (read_figures), so
they are cluster-wide and do not reset or split when the lease moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from signaling import queue_bus as qb
from signaling import queue_messages as qm
from signaling.bus import Bus, BusUnavailable, Subscription
from signaling.messages import ErrorMessage
from signaling.tokens import Claims
from tickets.records import HelpLinkRecord, QueueRequestRecord
from tickets.store import TicketStore

from .engine import LEVELS_WINDOW_S, TICK_S, EngineStale, HelpQueueService, QueueFigures, read_figures

log = logging.getLogger(__name__)

LEASE_EVERY_S = 1.0  # the engine's node extends its lease (and the others try to take it) this often
SNAPSHOT_WAIT_S = 2.0  # a REST read on a node that has no snapshot of the queue yet waits this long for one
RETRY_S = 2.0  # an unacknowledged command is sent again this often (and at once to a new engine)
APPLIED_KEPT = 4096  # command ids the engine remembers, so a command sent twice is applied once


@dataclass
class _Pending:
    """A command sent to the engine and not acknowledged yet."""

    envelope: qb.Command
    since: float  # time.monotonic() when first sent
    sent: float  # ... when last sent


class QueueFront:
    """The queue as this node's endpoints see it (web.queue_api.QueueDesk), wherever its engine runs."""

    def __init__(self, store: TicketStore, bus: Bus, node_id: str, *, target_answer_s: float,
                 admitting: Callable[[], bool], lease_ttl_s: float, levels_window_s: float = LEVELS_WINDOW_S,
                 tick_s: float = TICK_S, command_timeout_s: float | None = None) -> None:
        self._store = store
        self._bus = bus
        self._node = node_id
        self._boot = uuid.uuid4().hex[:12]
        self._me = f"{node_id}|{self._boot}"
        self._target_answer_s = target_answer_s
        self._admitting = admitting
        self._lease_ttl_s = lease_ttl_s
        self._tick_s = tick_s
        self._levels_window_s = levels_window_s
        self._customers: dict[str, set[qm.QueueLinkLike]] = {}  # request id -> its pages here
        self._consoles: dict[str, set[qm.QueueLinkLike]] = {}  # technician id -> their consoles here
        self._hellos: dict[str, qb.TechnicianPresence] = {}  # technician id -> their latest console's hello here
        self._watchers: set[qm.QueueLinkLike] = set()  # supervisors' consoles: they see the queue, take nothing
        self._snapshot: tuple[qm.QueueSnapshot, float] | None = None  # the engine's latest, when it arrived
        self._fresh_snapshot = asyncio.Event()
        self._engine: HelpQueueService | None = None
        self._engine_lock = asyncio.Lock()
        self._subscriptions: list[Subscription] = []
        self._lease_task: asyncio.Task[None] | None = None
        self._held_at = 0.0  # time.monotonic() the lease was last confirmed as ours
        # A command waits for an engine through a failover (the dead holder's lease runs out, then the next node's
        # lease check) before its sender is told it was not taken.
        self._command_timeout_s = command_timeout_s if command_timeout_s is not None else 2 * lease_ttl_s + 5.0
        self._pending: dict[str, _Pending] = {}  # command id -> command, until the engine acknowledges it
        self._applied: OrderedDict[str, None] = OrderedDict()  # ids the engine running here applied (latest last)
        self._figures = QueueFigures()
        self._count_task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    @property
    def engine(self) -> HelpQueueService | None:
        """The engine, while this node runs it."""
        return self._engine

    @property
    def figures(self) -> QueueFigures:
        """Service-level counters of the whole cluster, from the store (refreshed every tick)."""
        return self._figures

    @property
    def pending_commands(self) -> int:
        """Commands sent from here that no engine has acknowledged yet."""
        return len(self._pending)

    @property
    def target_answer_s(self) -> float:
        """The target time to answer."""
        return self._target_answer_s

    async def start(self) -> None:
        """Listen to the engine, try for the lease at once (alone: the engine starts here now), then keep trying."""
        self._subscriptions = [await self._bus.subscribe(qb.ENGINE_CHANNEL, self._to_engine),
                               await self._bus.subscribe(qb.FRONTS_CHANNEL, self._from_engine)]
        await self._hold_lease()
        if self._engine is None:
            await self._publish(qb.SnapshotWanted(node=self._node, boot=self._boot))
        self._lease_task = asyncio.create_task(self._leasing(), name="help-queue-lease")
        self._count_task = asyncio.create_task(self._counting(), name="help-queue-figures")

    async def stop(self) -> None:
        """Stop the engine if it runs here and give the lease up (requests stay stored)."""
        for task in (self._lease_task, self._count_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._engine is not None:
            await self._stop_engine()
            with contextlib.suppress(BusUnavailable):
                await self._bus.release_lease(qb.LEASE, self._me)
        for subscription in self._subscriptions:
            await subscription.close()

    async def _leasing(self) -> None:
        while True:
            await asyncio.sleep(LEASE_EVERY_S)
            try:
                await self._hold_lease()
            except Exception:
                log.exception("help queue: lease check failed")
            try:
                await self._resend(due_only=True)
            except Exception:
                log.exception("help queue: sending commands again failed")

    async def _counting(self) -> None:
        while True:
            try:
                self._figures = await read_figures(self._store, self._target_answer_s)
            except Exception:
                log.exception("help queue: reading the service-level counters failed")
            await asyncio.sleep(self._tick_s)

    async def _hold_lease(self) -> None:
        try:
            holder = await self._bus.hold_lease(qb.LEASE, self._me, self._lease_ttl_s)
        except BusUnavailable:
            # Unsure: stop before the lease may have passed to another node.
            if self._engine is not None and time.monotonic() - self._held_at > self._lease_ttl_s / 2:
                log.warning("help queue: Redis unreachable; this node stops running the queue")
                await self._stop_engine()
            return
        if holder == self._me:
            self._held_at = time.monotonic()
            if self._engine is None or self._engine.stale.is_set():
                await self._start_engine()
        elif self._engine is not None:
            log.warning("help queue: %s runs the queue now", holder.split("|")[0])
            await self._stop_engine()

    async def _fence(self) -> bool:
        try:
            return await self._bus.hold_lease(qb.LEASE, self._me, self._lease_ttl_s) == self._me
        except BusUnavailable:
            return False

    async def _start_engine(self) -> None:
        async with self._engine_lock:
            if self._engine is not None:
                await self._engine.stop()
            engine = HelpQueueService(self._store, target_answer_s=self._target_answer_s, admitting=self._admitting,
                                      send=self._publish, fence=self._fence, alive=self._bus.alive,
                                      levels_window_s=self._levels_window_s, tick_s=self._tick_s)
            await engine.start()
            self._engine = engine
            log.info("help queue: this node (%s) runs the queue", self._node)
        await self._publish(qb.EngineUp(node=self._node, boot=self._boot))

    async def _stop_engine(self) -> None:
        async with self._engine_lock:
            if self._engine is not None:
                await self._engine.stop()
                self._engine = None

    # -- the bus ---------------------------------------------------------------------------------------

    async def _publish(self, envelope: qb.ToEngine | qb.ToFronts) -> None:
        channel = qb.FRONTS_CHANNEL if isinstance(envelope, qb.EngineUp | qb.Deliver | qb.Handled) else qb.ENGINE_CHANNEL
        try:
            await self._bus.publish(channel, envelope.model_dump_json())
        except BusUnavailable:
            # Presence is re-stated when the engine comes back (FrontSync); commands are sent again until handled.
            log.warning("help queue: %s not passed on (Redis unreachable)", envelope.op)

    async def _command(self, envelope: qb.Command) -> None:
        """Send a command and keep it until the engine acknowledges it."""
        now = time.monotonic()
        self._pending[envelope.command_id] = _Pending(envelope, since=now, sent=now)
        await self._publish(envelope)

    def _command_id(self) -> str:
        return uuid.uuid4().hex[:16]

    async def _resend(self, *, due_only: bool) -> None:
        """Send unacknowledged commands again (all of them to a new engine; otherwise those due); past the deadline
        tell whoever gave one that it was not taken."""
        now = time.monotonic()
        for command_id, pending in list(self._pending.items()):
            if now - pending.since > self._command_timeout_s:
                del self._pending[command_id]
                await self._not_taken(pending.envelope)
            elif not due_only or now - pending.sent >= RETRY_S:
                pending.sent = now
                await self._publish(pending.envelope)

    async def _not_taken(self, envelope: qb.Command) -> None:
        log.warning("help queue: no node ran the queue for %.0f s; a %s was not taken", self._command_timeout_s,
                    envelope.op)
        error = ErrorMessage(code="queue_unavailable", retry_after_ms=int(self._lease_ttl_s * 1000),
                             message="The queue is moving to another server and did not take that; try again.")
        if isinstance(envelope, qb.TechnicianSaid):
            links = self._consoles.get(envelope.technician_id, set())
        elif isinstance(envelope, qb.CustomerSaid):
            links = self._customers.get(envelope.request_id, set())
        else:
            return  # a stored request or an ended session: the next engine reads both from the store
        for link in list(links):
            await link.send(error)

    async def _to_engine(self, data: str) -> None:
        engine = self._engine
        if engine is None or engine.stale.is_set():
            return
        try:
            envelope = qb.to_engine.validate_json(data)
        except ValidationError:
            log.warning("help queue: an unreadable message for the engine was dropped")
            return
        command_id = getattr(envelope, "command_id", None)
        if command_id is not None and command_id in self._applied:
            await self._publish(qb.Handled(node=envelope.node, boot=envelope.boot, command_id=command_id))
            return  # sent again before our acknowledgement arrived: applied once
        try:
            await engine.handle(envelope)
        except EngineStale as exc:
            log.warning("help queue: this node stops running the queue (%s)", exc)
            await self._stop_engine()
            return  # not acknowledged: the front sends it to the next engine
        if command_id is not None:
            self._applied[command_id] = None
            while len(self._applied) > APPLIED_KEPT:
                self._applied.popitem(last=False)
            await self._publish(qb.Handled(node=envelope.node, boot=envelope.boot, command_id=command_id))

    async def _from_engine(self, data: str) -> None:
        try:
            envelope = qb.to_fronts.validate_json(data)
        except ValidationError:
            log.warning("help queue: an unreadable message from the engine was dropped")
            return
        if isinstance(envelope, qb.EngineUp):
            await self._publish(self._sync())
            await self._resend(due_only=False)  # what the previous engine did not acknowledge
            return
        if isinstance(envelope, qb.Handled):
            if (envelope.node, envelope.boot) == (self._node, self._boot):
                self._pending.pop(envelope.command_id, None)
            return
        message = qb.opened(envelope)
        if isinstance(message, qm.QueueSnapshot):
            self._snapshot = (message, time.monotonic())
            self._fresh_snapshot.set()
        if envelope.to == "customer":
            links = list(self._customers.get(envelope.key, ()))
        elif envelope.to == "technician":
            links = list(self._consoles.get(envelope.key, ()))
        else:
            links = [*(link for consoles in self._consoles.values() for link in consoles), *self._watchers]
        for link in links:
            await link.send(message)

    def _sync(self) -> qb.FrontSync:
        return qb.FrontSync(node=self._node, boot=self._boot, technicians=list(self._hellos.values()),
                            customers=sorted(self._customers))

    # -- what the endpoints call --------------------------------------------------------------------

    async def enqueue(self, record: QueueRequestRecord, link: HelpLinkRecord) -> None:
        """A new request from a help link (stored already; the engine reads it from the store)."""
        await self._command(qb.Enqueued(node=self._node, boot=self._boot, command_id=self._command_id(),
                                        request_id=record.id))

    async def request_for(self, claims: Claims) -> str | None:
        """The open request a customer token belongs to (by its session), or None."""
        if claims.session_id is None:
            return None
        record = await self._store.help_desk.request_of_session(claims.session_id)
        return record.id if record is not None and record.state in ("waiting", "assigned") else None

    async def customer_connected(self, link: qm.QueueLinkLike, request_id: str) -> None:
        """A waiting page opened its socket; it hears its place (or its answer) from the engine."""
        pages = self._customers.setdefault(request_id, set())
        pages.add(link)
        await self._publish(qb.CustomerOn(node=self._node, boot=self._boot, request_id=request_id))

    async def customer_gone(self, link: qm.QueueLinkLike, request_id: str) -> None:
        """A waiting page's socket closed (the request keeps its place)."""
        pages = self._customers.get(request_id, set())
        pages.discard(link)
        if not pages:
            self._customers.pop(request_id, None)
            await self._publish(qb.CustomerOff(node=self._node, boot=self._boot, request_id=request_id))

    async def customer_said(self, request_id: str, msg: qm.QueueCallback | qm.QueueCancel) -> None:
        """A waiting customer left a call-back number or gave up."""
        await self._command(qb.CustomerSaid(node=self._node, boot=self._boot, command_id=self._command_id(),
                                            request_id=request_id, message=msg))

    async def technician_connected(self, link: qm.QueueLinkLike, claims: Claims, hello: qm.QueueHello) -> None:
        """A console opened the queue: the technician is online with these skills (the engine sends the queue)."""
        self._consoles.setdefault(claims.subject, set()).add(link)
        presence = qb.TechnicianPresence(id=claims.subject, name=claims.name or claims.subject,
                                         hello=hello.model_copy(update={"token": "-"}))  # no token on the bus
        self._hellos[claims.subject] = presence
        await self._publish(qb.TechnicianOn(node=self._node, boot=self._boot, technician=presence))

    async def technician_gone(self, link: qm.QueueLinkLike, technician_id: str) -> None:
        """A console closed; with the technician's last one here, this node holds none of theirs."""
        consoles = self._consoles.get(technician_id, set())
        consoles.discard(link)
        if not consoles:
            self._consoles.pop(technician_id, None)
            self._hellos.pop(technician_id, None)
            await self._publish(qb.TechnicianOff(node=self._node, boot=self._boot, technician_id=technician_id))

    async def watcher_connected(self, link: qm.QueueLinkLike) -> None:
        """A supervisor's console watches the queue."""
        self._watchers.add(link)
        await link.send(await self.snapshot())

    async def watcher_gone(self, link: qm.QueueLinkLike) -> None:
        """A watching console closed."""
        self._watchers.discard(link)

    async def technician_said(self, technician_id: str, msg: qm.QueuePresence | qm.QueuePick) -> None:
        """Presence changes and picks."""
        await self._command(qb.TechnicianSaid(node=self._node, boot=self._boot, command_id=self._command_id(),
                                              technician_id=technician_id, message=msg))

    async def session_ended(self, session_id: str) -> None:
        """A session ended: if it answered a request, that request's call is over."""
        await self._command(qb.SessionEnded(node=self._node, boot=self._boot, command_id=self._command_id(),
                                            session_id=session_id))

    # -- views --------------------------------------------------------------------------------------

    async def snapshot(self) -> qm.QueueSnapshot:
        """The whole queue as the engine last sent it, its waits brought up to now."""
        if self._engine is not None:
            return self._engine.snapshot()
        if self._snapshot is None:
            self._fresh_snapshot.clear()
            await self._publish(qb.SnapshotWanted(node=self._node, boot=self._boot))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._fresh_snapshot.wait(), SNAPSHOT_WAIT_S)
        if self._snapshot is None:
            return qm.QueueSnapshot(requests=[], technicians=[], admitting=False, levels=self.levels())
        snapshot, at = self._snapshot
        age = time.monotonic() - at
        return snapshot.model_copy(update={"requests": [
            r.model_copy(update={"waited_s": round(r.waited_s + age, 1)}) for r in snapshot.requests]})

    def levels(self) -> qm.ServiceLevels:
        """Service levels as the engine computes them."""
        if self._engine is not None:
            return self._engine.levels()
        if self._snapshot is not None:
            return self._snapshot[0].levels
        return qm.ServiceLevels(target_answer_s=self._target_answer_s, window_s=self._levels_window_s, waiting=0, answered=0, abandoned=0, breached=0,
                                mean_answer_s=None, mean_handle_s=None, answered_within_target=None,
                                abandonment_rate=None, first_contact_resolution=None)
