"""Device help links and the requests customers send through them (the help queue's durable side)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from sqlalchemy import ColumnElement, Select, and_, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from atrest.sealed import AtRestKey
from tickets import events
from tickets.errors import ConflictError, InvalidInputError, NotFoundError
from tickets.records import HelpLinkRecord, QueueRequestRecord
from tickets.schema import audit_log, help_links, queue_requests, sessions, tickets, utcnow
from tickets.snapshots import SnapshotFiles
from vocabulary import CallMedia, QueueRequestState

OPEN_STATES: tuple[QueueRequestState, ...] = ("waiting", "assigned")
PHOTO_TYPES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}


def _clean(field: str, value: str, max_len: int, *, required: bool = False) -> str:
    value = " ".join(value.split()) if field != "description" else value.strip()
    if required and not value:
        raise InvalidInputError(field, "must not be empty")
    if len(value) > max_len:
        raise InvalidInputError(field, f"must be at most {max_len} characters")
    return value


def photo_suffix(data: bytes) -> str:
    """.jpg or .png from the file's first bytes; InvalidInputError for anything else."""
    for magic, suffix in PHOTO_TYPES.items():
        if data.startswith(magic):
            return suffix
    raise InvalidInputError("photo", "must be a JPEG or PNG image")


@dataclass
class QueueTally:
    """Counts and sums of one queue's requests over a window (service levels are ratios and means of these)."""

    waiting: int = 0
    answered: int = 0
    answered_within_target: int = 0
    abandoned: int = 0  # given up, or closed before anyone answered
    breached: int = 0
    answer_s: float = 0.0  # summed over the answered
    handled: int = 0  # answered calls that ended
    handle_s: float = 0.0
    closed: int = 0  # their tickets closed ...
    closed_first_contact: int = 0  # ... with a single session

    def count(self, row: Any, target_s: float) -> None:
        """Add one request (a row of HelpDesk.service_levels's query)."""
        answered_at, ended_at = row["answered_at"], row["ended_at"]
        if row["state"] == "waiting":
            self.waiting += 1
        if answered_at is not None:
            waited = answered_at - row["enqueued_at"]
            self.answered += 1
            self.answered_within_target += waited <= target_s
            self.answer_s += waited
            if row["state"] == "ended" and ended_at is not None:
                self.handled += 1
                self.handle_s += ended_at - answered_at
        elif row["state"] in ("abandoned", "ended"):
            self.abandoned += 1
        self.breached += bool(row["breached"])
        if row["status"] == "closed":
            self.closed += 1
            self.closed_first_contact += row["n"] == 1

    def add(self, other: QueueTally) -> None:
        """Add another queue's tally (the total over queues)."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class QueueTotals:
    """What ever happened to the requests in the store (counters for metrics: the same on every node, and across a
    restart or a failover of the node running the queue). Histograms as counts at or below each bound, then all."""

    answered: int
    answered_within_target: int
    abandoned: int
    breached: int
    answer_le: list[int]  # answered within each bound of the answer histogram, then every answered one
    answer_sum_s: float
    handle_le: list[int]  # handled (answered calls that ended) within each bound, then all of them
    handle_sum_s: float


class HelpDesk:
    """help_links and queue_requests; the same database as the tickets (a request creates its ticket and session)."""

    def __init__(self, engine: AsyncEngine, data_dir: Path, event_queued: Callable[[], None] = lambda: None,
                 at_rest_key: AtRestKey | None = None) -> None:
        self._engine = engine
        self._event_queued = event_queued  # wakes the outbox worker after a commit that queued an event
        # Customers' photos, sealed at rest like snapshots when LENSDESK_RECORDING_KEY is set; unguessable names.
        self.photos = SnapshotFiles(data_dir / "help_photos", at_rest_key)
        self._totals_queries: dict[tuple[float, tuple[float, ...], tuple[float, ...]], Select[Any]] = {}

    # --- help links ------------------------------------------------------------------------------

    async def create_link(self, *, family: str, model: str, serial: str = "", site: str = "", label: str = "",
                          actor: str) -> HelpLinkRecord:
        """A new help link for a device (serial given) or a product line (audited)."""
        now = utcnow()
        record = HelpLinkRecord(id=uuid.uuid4().hex[:16], family=_clean("family", family, 100, required=True).lower(),
                                model=_clean("model", model, 200, required=True), serial=_clean("serial", serial, 200),
                                site=_clean("site", site, 200), label=_clean("label", label, 200), created_by=actor,
                                created_at=now)
        async with self._engine.begin() as conn:
            await conn.execute(insert(help_links).values(**_fields(record)))
            await conn.execute(insert(audit_log).values(
                at=now, actor=actor, action="help_link_created", ticket_id=None, session_id=None,
                target=f"help_link:{record.id}", detail={"family": record.family, "model": record.model,
                                                          "serial": record.serial, "site": record.site}))
        return record

    async def get_link(self, link_id: str) -> HelpLinkRecord | None:
        """The link (revoked or not), or None."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(help_links).where(help_links.c.id == link_id))).mappings().first()
        return HelpLinkRecord(**row) if row else None

    async def list_links(self, *, include_revoked: bool = False, limit: int = 500) -> list[HelpLinkRecord]:
        """Links, newest first."""
        query = select(help_links).order_by(help_links.c.created_at.desc(), help_links.c.id).limit(limit)
        if not include_revoked:
            query = query.where(help_links.c.revoked_at.is_(None))
        async with self._engine.connect() as conn:
            return [HelpLinkRecord(**r) for r in (await conn.execute(query)).mappings()]

    async def revoke_link(self, link_id: str, *, actor: str) -> HelpLinkRecord:
        """Revoke a link: its sticker asks for help no more (a second revoke changes nothing)."""
        now = utcnow()
        async with self._engine.begin() as conn:
            result = await conn.execute(update(help_links).where(help_links.c.id == link_id,
                                                                 help_links.c.revoked_at.is_(None))
                                        .values(revoked_at=now, revoked_by=actor))
            if result.rowcount == 1:
                await conn.execute(insert(audit_log).values(at=now, actor=actor, action="help_link_revoked",
                                                            ticket_id=None, session_id=None,
                                                            target=f"help_link:{link_id}", detail={}))
        link = await self.get_link(link_id)
        if link is None:
            raise NotFoundError("help_link", link_id)
        return link

    # --- requests --------------------------------------------------------------------------------

    async def create_request(self, link: HelpLinkRecord, *, customer_name: str, description: str, media: str,
                             language: str = "", photo: bytes | None = None) -> QueueRequestRecord:
        """A request from a help link: its ticket (device context and the customer's words), its session and its
        queue row in one commit; the photo file is written (and fsynced) first."""
        name = _clean("customer_name", customer_name, 100, required=True)
        words = _clean("description", description, 2000)
        if media not in get_args(CallMedia):
            raise InvalidInputError("media", "must be voice or video")
        language = _clean("language", language, 20).lower()
        request_id = uuid.uuid4().hex[:16]
        photo_name = None
        if photo:
            photo_suffix(photo)  # refuses anything but JPEG and PNG with the photo's own field name
            # Sealing and fsync off the event loop; the file is written before the commit and removed if it fails.
            photo_name = (await asyncio.to_thread(self.photos.write, photo)).file_name
        try:
            return await self._insert_request(link, request_id, name, words, media, language, photo_name)
        except BaseException:
            if photo_name is not None:
                self.photos.discard(photo_name)
            raise

    async def _insert_request(self, link: HelpLinkRecord, request_id: str, name: str, words: str, media: str,
                              language: str, photo_name: str | None) -> QueueRequestRecord:
        now = utcnow()
        device = " ".join(p for p in (link.model, link.serial and f"S/N {link.serial}") if p)
        summary = words.splitlines()[0][:120] if words else "no description"
        title = f"{device}: {summary}"[:300]
        ticket_id, session_id = uuid.uuid4().hex, uuid.uuid4().hex
        record = QueueRequestRecord(id=request_id, help_link_id=link.id, ticket_id=ticket_id, session_id=session_id,
                                    customer_name=name, description=words, media=media,
                                    language=language, photo=photo_name,
                                    callback_number="", state="waiting", technician_id="",
                                    enqueued_at=now.timestamp(), answered_at=None, ended_at=None, breached=False)
        actor = f"help:{link.id}"
        detail: dict[str, Any] = {"request": request_id, "family": link.family, "model": link.model,
                                  "serial": link.serial, "site": link.site, "customer": name, "description": words,
                                  "media": media, "photo": bool(photo_name)}
        async with self._engine.begin() as conn:
            await conn.execute(insert(tickets).values(id=ticket_id, title=title, customer=name,
                                                      external_ref=link.site or None, status="open",
                                                      device_family=link.family, device_model=link.model,
                                                      device_serial=link.serial or None,
                                                      created_by=actor, created_at=now, updated_at=now))
            await conn.execute(insert(sessions).values(id=session_id, ticket_id=ticket_id, status="active",
                                                       created_by=actor, created_at=now, ended_at=None))
            await conn.execute(insert(queue_requests).values(**_fields(record)))
            await conn.execute(insert(audit_log).values(at=now, actor=actor, action="help_requested",
                                                        ticket_id=ticket_id, session_id=session_id,
                                                        target=f"ticket:{ticket_id}", detail=detail))
        return record

    async def get_request(self, request_id: str) -> QueueRequestRecord | None:
        """The request, or None."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(queue_requests).where(queue_requests.c.id == request_id))).mappings().first()
        return QueueRequestRecord(**row) if row else None

    def read_photo(self, file_name: str) -> bytes:
        """A request's photo, decrypted if sealed (FileNotFoundError if erased; SealedFileError without the key)."""
        return self.photos.read(file_name)

    async def request_of_session(self, session_id: str) -> QueueRequestRecord | None:
        """The request a session was created for, or None."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(queue_requests).where(queue_requests.c.session_id == session_id))
                   ).mappings().first()
        return QueueRequestRecord(**row) if row else None

    async def open_requests(self) -> list[QueueRequestRecord]:
        """Requests still waiting or in a call, oldest first (what the queue restores after a restart)."""
        query = (select(queue_requests).where(queue_requests.c.state.in_(OPEN_STATES))
                 .order_by(queue_requests.c.enqueued_at))
        async with self._engine.connect() as conn:
            return [QueueRequestRecord(**r) for r in (await conn.execute(query)).mappings()]

    async def save_state(self, request_id: str, *, state: QueueRequestState, technician_id: str,
                         callback_number: str, answered_at: float | None, breached: bool) -> None:
        """Store a request's progress through the queue (audited when it is answered or abandoned); assigning a
        request that is no longer waiting raises ConflictError and changes nothing."""
        values: dict[str, Any] = dict(state=state, technician_id=technician_id, callback_number=callback_number,
                                      answered_at=answered_at, breached=breached)
        if state in ("abandoned", "ended"):
            values["ended_at"] = time.time()
        async with self._engine.begin() as conn:
            old = (await conn.execute(select(queue_requests).where(queue_requests.c.id == request_id))).mappings().first()
            if old is None:
                raise NotFoundError("queue_request", request_id)
            query = update(queue_requests).where(queue_requests.c.id == request_id)
            if state == "assigned":
                # Exactly once: a request is assigned only while waiting (or saved again by its own technician); a
                # second engine's stale write finds it taken.
                query = query.where(or_(queue_requests.c.state == "waiting",
                                        and_(queue_requests.c.state == "assigned",
                                             queue_requests.c.technician_id == technician_id)))
            if (await conn.execute(query.values(**values))).rowcount != 1:
                raise ConflictError("queue_request", f"{request_id} is no longer waiting")
            if old["state"] != state and state in ("assigned", "abandoned"):
                await conn.execute(insert(audit_log).values(
                    at=utcnow(), actor=technician_id or f"help:{old['help_link_id']}",
                    action="help_answered" if state == "assigned" else "help_abandoned",
                    ticket_id=old["ticket_id"], session_id=old["session_id"], target=f"queue_request:{request_id}",
                    detail={"waited_s": round((answered_at or time.time()) - old["enqueued_at"], 1)}))

    async def raise_breach(self, request_id: str, *, waited_s: float, target_s: float) -> None:
        """Queue a queue.breach ticket event (webhook/RT) for a request waiting past the target time to answer."""
        now = utcnow()
        async with self._engine.begin() as conn:
            req = (await conn.execute(select(queue_requests).where(queue_requests.c.id == request_id))).mappings().first()
            if req is None:
                raise NotFoundError("queue_request", request_id)
            ticket = (await conn.execute(select(tickets).where(tickets.c.id == req["ticket_id"]))).mappings().first()
            assert ticket is not None
            payload = {"ticket": {k: ticket[k] for k in ("id", "title", "customer", "external_ref", "status")},
                       "session_id": req["session_id"], "request_id": request_id,
                       "waited_s": round(waited_s, 1), "target_s": target_s}
            await conn.execute(events.outbox_insert(events.QUEUE_BREACH, request_id, payload, now))
            await conn.execute(insert(audit_log).values(at=now, actor="server", action="help_target_breached",
                                                        ticket_id=req["ticket_id"], session_id=req["session_id"],
                                                        target=f"queue_request:{request_id}",
                                                        detail={"waited_s": round(waited_s, 1),
                                                                "target_s": target_s}))
        self._event_queued()

    async def service_levels(self, since: float, target_s: float) -> dict[str, QueueTally]:
        """Per device family (the queue a request waits in), what happened to the requests made since `since`
        (epoch seconds): the same figures on every node, and after any restart."""
        sessions_per_ticket = (select(sessions.c.ticket_id, func.count(sessions.c.id).label("n"))
                               .group_by(sessions.c.ticket_id)).subquery()
        query = (select(help_links.c.family, queue_requests.c.state, queue_requests.c.enqueued_at,
                        queue_requests.c.answered_at, queue_requests.c.ended_at, queue_requests.c.breached,
                        tickets.c.status, sessions_per_ticket.c.n)
                 .join(help_links, help_links.c.id == queue_requests.c.help_link_id)
                 .join(tickets, tickets.c.id == queue_requests.c.ticket_id)
                 .join(sessions_per_ticket, sessions_per_ticket.c.ticket_id == queue_requests.c.ticket_id)
                 .where(queue_requests.c.enqueued_at >= since))
        tallies: dict[str, QueueTally] = {}
        async with self._engine.connect() as conn:
            for row in (await conn.execute(query)).mappings():
                tally = tallies.setdefault(row["family"], QueueTally())
                tally.count(row, target_s)
        return tallies

    async def totals(self, target_s: float, answer_bounds: tuple[float, ...],
                     handle_bounds: tuple[float, ...]) -> QueueTotals:
        """Counts over every stored request (one aggregate query): answered (within the target), abandoned (given up,
        or ended before an answer), breached, and the answer and handle times bucketed by the bounds given."""
        key = (target_s, answer_bounds, handle_bounds)
        query = self._totals_queries.get(key)
        if query is None:  # built once: every node runs it every 2 s, and building its ~20 CASEs was most of its CPU
            query = self._totals_queries[key] = self._totals_query(target_s, answer_bounds, handle_bounds)
        async with self._engine.connect() as conn:
            row = list((await conn.execute(query)).one())
        answered, within, abandoned, breached, answer_sum, n_handled, handle_sum = row[:7]
        answer_le = [int(n) for n in row[7:7 + len(answer_bounds)]] + [int(answered)]
        handle_le = [int(n) for n in row[7 + len(answer_bounds):]] + [int(n_handled)]
        return QueueTotals(answered=int(answered), answered_within_target=int(within), abandoned=int(abandoned),
                           breached=int(breached), answer_le=answer_le, answer_sum_s=float(answer_sum),
                           handle_le=handle_le, handle_sum_s=float(handle_sum))

    @staticmethod
    def _totals_query(target_s: float, answer_bounds: tuple[float, ...],
                      handle_bounds: tuple[float, ...]) -> Select[Any]:
        qr = queue_requests.c
        waited = qr.answered_at - qr.enqueued_at
        handled = and_(qr.state == "ended", qr.answered_at.is_not(None), qr.ended_at.is_not(None))
        handle = qr.ended_at - qr.answered_at

        def how_many(cond: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

        columns = [how_many(qr.answered_at.is_not(None)), how_many(waited <= target_s),
                   how_many(and_(qr.answered_at.is_(None), qr.state.in_(("abandoned", "ended")))),
                   how_many(qr.breached.is_(True)), func.coalesce(func.sum(waited), 0.0),
                   how_many(handled), func.coalesce(func.sum(case((handled, handle), else_=0.0)), 0.0),
                   *(how_many(waited <= b) for b in answer_bounds),
                   *(how_many(and_(handled, handle <= b)) for b in handle_bounds)]
        return select(*columns)

    async def first_contact_resolution(self) -> tuple[int, int]:
        """(closed tickets from help requests, those closed with a single session): first-contact resolution."""
        per_ticket = (select(tickets.c.id, func.count(sessions.c.id).label("n"))
                      .join(sessions, sessions.c.ticket_id == tickets.c.id)
                      .where(tickets.c.status == "closed",
                             tickets.c.id.in_(select(queue_requests.c.ticket_id)))
                      .group_by(tickets.c.id)).subquery()
        async with self._engine.connect() as conn:
            closed = (await conn.execute(select(func.count()).select_from(per_ticket))).scalar_one()
            single = (await conn.execute(select(func.count()).select_from(per_ticket)
                                         .where(per_ticket.c.n == 1))).scalar_one()
        return int(closed), int(single)


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}
