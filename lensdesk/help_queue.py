"""Runs the help queue: feeds signaling.queue.HelpQueue its events and carries out its actions (store, sockets,
ticket events); restores the waiting requests from the store after a restart.

One node runs the queue (the state machine lives in this process; its durable state is in the store's
queue_requests table, so a restart loses no request and no place).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from signaling import queue as q
from signaling import queue_messages as qm
from signaling.messages import ErrorMessage
from signaling.tokens import Claims
from tickets.records import HelpLinkRecord, QueueRequestRecord
from tickets.store import TicketStore

log = logging.getLogger(__name__)

TICK_S = 2.0  # estimated waits refresh, breaches and admission are checked this often
ANSWER_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
HANDLE_BUCKETS = (60.0, 180.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)


QueueLink = qm.QueueLinkLike


@dataclass
class Histogram:
    """Counts per upper bound, a sum and a count (Prometheus histogram data)."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        """Count one value."""
        self.counts[next((i for i, b in enumerate(self.bounds) if value <= b), len(self.bounds))] += 1
        self.total += value

    @property
    def count(self) -> int:
        """Values observed."""
        return sum(self.counts)


@dataclass
class QueueFigures:
    """Service-level figures since the node started."""

    answered: int = 0
    answered_within_target: int = 0
    abandoned: int = 0
    breached: int = 0
    answer: Histogram = field(default_factory=lambda: Histogram(ANSWER_BUCKETS))
    handle: Histogram = field(default_factory=lambda: Histogram(HANDLE_BUCKETS))
    first_contact: tuple[int, int] = (0, 0)  # (closed help tickets, closed with a single session)


def _request(record: QueueRequestRecord, link: HelpLinkRecord | None) -> q.Request:
    device = q.Device(link.family, link.model, link.serial, link.site) if link else q.Device("unknown")
    return q.Request(id=record.id, session_id=record.session_id, ticket_id=record.ticket_id, device=device,
                     customer_name=record.customer_name, enqueued_at=record.enqueued_at,
                     description=record.description, media="video" if record.media == "video" else "voice",
                     language=record.language, has_photo=bool(record.photo), callback_number=record.callback_number,
                     state=record.state, technician_id=record.technician_id, answered_at=record.answered_at,
                     breached=record.breached)


class HelpQueueService:
    """The queue of this node: sockets of waiting customers and of technicians' consoles around a HelpQueue."""

    def __init__(self, store: TicketStore, *, target_answer_s: float, admitting: Callable[[], bool],
                 clock: Callable[[], float] = time.time, tick_s: float = TICK_S) -> None:
        self._store = store
        self._queue = q.HelpQueue(target_answer_s=target_answer_s)
        self._admitting = admitting
        self._clock = clock
        self._tick_s = tick_s
        self._lock = asyncio.Lock()
        self._customers: dict[str, set[QueueLink]] = {}  # request id -> its pages
        self._consoles: dict[str, set[QueueLink]] = {}  # technician id -> their consoles
        self._watchers: set[QueueLink] = set()  # supervisors' consoles: they see the queue, take nothing
        self._names: dict[str, str] = {}  # technician id -> name, also after they went offline
        self._task: asyncio.Task[None] | None = None
        self.figures = QueueFigures()

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
        await self._refresh_first_contact()
        self._task = asyncio.create_task(self._ticking(), name="help-queue")

    async def stop(self) -> None:
        """Stop the clock (requests stay stored)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _ticking(self) -> None:
        while True:
            await asyncio.sleep(self._tick_s)
            try:
                await self._run(q.Tick())  # also notices a change of admission
                await self._refresh_first_contact()
            except Exception:
                log.exception("help queue tick failed")

    async def _refresh_first_contact(self) -> None:
        self.figures.first_contact = await self._store.help_desk.first_contact_resolution()

    # -- what the endpoints call --------------------------------------------------------------------

    async def enqueue(self, record: QueueRequestRecord, link: HelpLinkRecord) -> None:
        """A new request from a help link."""
        await self._run(q.RequestArrived(_request(record, link)))

    def request_for(self, claims: Claims) -> str | None:
        """The open request a customer token belongs to (by its session), or None."""
        return next((r.id for r in self._queue.requests.values() if r.session_id == claims.session_id), None)

    async def customer_connected(self, link: QueueLink, request_id: str) -> None:
        """A waiting page opened its socket; it hears its place at once."""
        self._customers.setdefault(request_id, set()).add(link)
        req = self._queue.requests.get(request_id)
        if req is not None and req.state == "assigned":
            await link.send(self._assigned_message(req, picked=False))  # answered while the page was away
            return
        await self._run(q.CustomerConnected(request_id))

    async def customer_gone(self, link: QueueLink, request_id: str) -> None:
        """A waiting page's socket closed (the request keeps its place)."""
        pages = self._customers.get(request_id, set())
        pages.discard(link)
        if not pages:
            self._customers.pop(request_id, None)
            if request_id in self._queue.requests:
                await self._run(q.CustomerDisconnected(request_id))

    async def customer_said(self, request_id: str, msg: qm.QueueCallback | qm.QueueCancel) -> None:
        """A waiting customer left a call-back number or gave up."""
        if isinstance(msg, qm.QueueCallback):
            await self._run(q.CallbackLeft(request_id, msg.number))
        else:
            await self._run(q.CustomerCancelled(request_id))

    async def technician_connected(self, link: QueueLink, claims: Claims, hello: qm.QueueHello) -> None:
        """A console opened the queue: the technician is online with these skills."""
        self._consoles.setdefault(claims.subject, set()).add(link)
        self._names[claims.subject] = claims.name or claims.subject
        tech = q.Technician(id=claims.subject, name=claims.name or claims.subject,
                            families=frozenset(f.lower() for f in hello.families),
                            languages=frozenset(lang.lower() for lang in hello.languages), limit=hello.limit,
                            presence=hello.presence)
        await self._run(q.TechnicianOnline(tech))
        await link.send(self.snapshot())

    async def technician_gone(self, link: QueueLink, technician_id: str) -> None:
        """A console closed; with the technician's last one they go offline (their calls go on)."""
        consoles = self._consoles.get(technician_id, set())
        consoles.discard(link)
        if not consoles:
            self._consoles.pop(technician_id, None)
            await self._run(q.TechnicianOffline(technician_id))

    async def watcher_connected(self, link: QueueLink) -> None:
        """A supervisor's console watches the queue."""
        self._watchers.add(link)
        await link.send(self.snapshot())

    async def watcher_gone(self, link: QueueLink) -> None:
        """A watching console closed."""
        self._watchers.discard(link)

    async def technician_said(self, technician_id: str, msg: qm.QueuePresence | qm.QueuePick) -> None:
        """Presence changes and picks."""
        if isinstance(msg, qm.QueuePresence):
            await self._run(q.PresenceSet(technician_id, msg.presence))
        else:
            await self._run(q.Picked(technician_id, msg.request_id))

    async def session_ended(self, session_id: str) -> None:
        """A session ended: if it answered a request, that request's call is over."""
        req = next((r for r in self._queue.requests.values() if r.session_id == session_id), None)
        if req is not None:
            await self._run(q.CallEnded(req.id))

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
        """Service levels since this node started."""
        f = self.figures
        decided = f.answered + f.abandoned
        closed, single = f.first_contact
        return qm.ServiceLevels(
            target_answer_s=self._queue.target_answer_s, waiting=len(self._queue.waiting()), answered=f.answered,
            abandoned=f.abandoned, breached=f.breached,
            mean_answer_s=round(f.answer.total / f.answer.count, 1) if f.answer.count else None,
            mean_handle_s=round(f.handle.total / f.handle.count, 1) if f.handle.count else None,
            answered_within_target=round(f.answered_within_target / f.answered, 3) if f.answered else None,
            abandonment_rate=round(f.abandoned / decided, 3) if decided else None,
            first_contact_resolution=round(single / closed, 3) if closed else None)

    # -- running the state machine ---------------------------------------------------------------------

    async def _run(self, event: q.Event) -> None:
        async with self._lock:
            admitting = self._admitting()  # judged now, not at the last tick: never assign into a full node
            actions = [] if admitting == self._queue.admitting else self._queue.handle(
                q.AdmissionChanged(admitting), self._clock())
            if not isinstance(event, q.AdmissionChanged):
                actions += self._queue.handle(event, self._clock())
            for action in actions:
                try:
                    await self._carry_out(action)
                except Exception:
                    log.exception("help queue: %s failed", type(action).__name__)

    async def _carry_out(self, action: q.Action) -> None:
        if isinstance(action, q.Changed):
            r = action.request
            await self._store.help_desk.save_state(r.id, state=r.state, technician_id=r.technician_id,
                                                   callback_number=r.callback_number, answered_at=r.answered_at,
                                                   breached=r.breached)
            if r.state in ("abandoned", "ended"):
                reason: Literal["cancelled", "ended"] = "cancelled" if r.state == "abandoned" else "ended"
                await self._to_customer(r.id, qm.QueueClosed(request_id=r.id, reason=reason))
        elif isinstance(action, q.Assigned):
            f = self.figures
            f.answered += 1
            f.answer.observe(action.waited_s)
            if action.waited_s <= self._queue.target_answer_s:
                f.answered_within_target += 1
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
            await self._to_consoles(self.snapshot())
        elif isinstance(action, q.Breached):
            self.figures.breached += 1
            await self._store.help_desk.raise_breach(action.request.id, waited_s=action.waited_s,
                                                     target_s=action.target_s)
            breach = qm.QueueBreach(request_id=action.request.id, ticket_id=action.request.ticket_id,
                                    waited_s=round(action.waited_s, 1), target_s=action.target_s)
            await self._to_consoles(breach)
        elif isinstance(action, q.Refused):
            await self._to_technician(action.technician_id, ErrorMessage(code=action.code, message=action.message))
        elif isinstance(action, q.Abandoned):
            self.figures.abandoned += 1
        elif isinstance(action, q.Handled):
            self.figures.handle.observe(action.handle_s)

    def _assigned_message(self, req: q.Request, *, picked: bool) -> qm.QueueAssigned:
        return qm.QueueAssigned(request_id=req.id, session_id=req.session_id, ticket_id=req.ticket_id,
                                technician_id=req.technician_id,
                                technician_name=self._names.get(req.technician_id, req.technician_id),
                                customer_name=req.customer_name, media=req.media,
                                callback_number=req.callback_number, picked=picked)

    async def _to_consoles(self, message: qm.QueueServerMessage) -> None:
        for link in [*(link for consoles in self._consoles.values() for link in consoles), *self._watchers]:
            await link.send(message)

    async def _to_customer(self, request_id: str, message: qm.QueueServerMessage) -> None:
        for link in list(self._customers.get(request_id, ())):
            await link.send(message)

    async def _to_technician(self, technician_id: str, message: qm.QueueServerMessage) -> None:
        for link in list(self._consoles.get(technician_id, ())):
            await link.send(message)
