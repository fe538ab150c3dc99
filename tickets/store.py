"""TicketStore: tickets, sessions, findings, recordings and audit in one SQL database.

Every state change that matters to the outside world (finding attached, session ended, recording
ready) writes its outbox event in the same transaction, so an event exists iff the change committed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from atrest.sealed import AtRestKey
from tickets import events, migrate
from tickets.catalog_edits import CatalogEdits
from tickets.engine import create_engine
from tickets.errors import ConflictError, InvalidInputError, NotFoundError
from tickets.evidence_shares import EvidenceShares
from tickets.help_desk import HelpDesk
from tickets.library import SessionLibrary
from tickets.lifecycle import DataLifecycle
from tickets.outbox_table import OutboxTable
from tickets.paging import after_cursor, check_limit, encode_cursor
from tickets.participant_rows import ParticipantRow, ParticipantRows
from tickets.records import (
    TICKET_STATUSES,
    AuditRecord,
    ExampleRecord,
    ExampleSource,
    FindingRecord,
    NewFinding,
    Page,
    ParticipantRecord,
    RecordingRecord,
    RevocationRecord,
    SessionRecord,
    TicketRecord,
    TimelineEntry,
)
from tickets.schema import (
    audit_log,
    examples,
    findings,
    join_links,
    participants,
    recordings,
    revocations,
    sessions,
    tickets,
    utcnow,
)
from tickets.session_event_log import SessionEventLog, transcript_of
from tickets.snapshots import SnapshotFiles
from vocabulary import PLAYABLE_RECORDINGS, FindingReading, FindingSource

FINDING_SOURCES: tuple[FindingSource, ...] = get_args(FindingSource)


def _new_id() -> str:
    return uuid.uuid4().hex


def _text(field: str, value: str, *, max_len: int, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInputError(field, "must not be empty")
    if len(value) > max_len:
        raise InvalidInputError(field, f"must be at most {max_len} characters")
    return value


class TicketStore:
    """The tickets database plus the snapshot files under data_dir/snapshots."""

    def __init__(self, database_url: str, data_dir: Path, at_rest_key: AtRestKey | None = None) -> None:
        self._engine = create_engine(database_url)
        self.data_dir = data_dir
        self.at_rest_key = at_rest_key  # snapshots, examples (and the node's recordings) are sealed with it
        self.snapshots = SnapshotFiles(data_dir / "snapshots", at_rest_key)
        # the images frozen frames showed (full-resolution stills when the phone sent one), for the review
        self.freezes = SnapshotFiles(data_dir / "freezes", at_rest_key)
        # labelled images, kept apart from findings' snapshots
        self.examples = SnapshotFiles(data_dir / "examples", at_rest_key)
        self.outbox = OutboxTable(self._engine)
        self.participant_rows = ParticipantRows(self._engine)  # joins' rows, committed in groups
        self.catalog = CatalogEdits(self._engine)
        self.session_events = SessionEventLog(self._engine)  # chat, annotations, freezes, camera changes
        self.library = SessionLibrary(self._engine)  # the session library's search and trends (read-only)
        self.help_desk = HelpDesk(self._engine, data_dir, self._event_queued, at_rest_key)  # help links, help requests
        self.shares = EvidenceShares(self._engine)  # signed links to sessions' evidence bundles
        self.lifecycle = DataLifecycle(self._engine, data_dir, self.snapshots.path_of, self.examples.path_of,
                                       self._event_queued)  # retention, legal holds, erasure, orphans
        self._outbox_listeners: list[Callable[[], None]] = []

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (alembic upgrade head)."""
        await migrate.upgrade(self._engine)

    async def close(self) -> None:
        """Release database connections."""
        await self._engine.dispose()

    def add_outbox_listener(self, callback: Callable[[], None]) -> None:
        """Call `callback` after each commit that queued an outbox event (wakes the worker)."""
        self._outbox_listeners.append(callback)

    def _event_queued(self) -> None:
        for callback in self._outbox_listeners:
            callback()

    # --- tickets -------------------------------------------------------------------------------

    async def create_ticket(self, title: str, *, customer: str = "", external_ref: str | None = None,
                            created_by: str, device_family: str | None = None, device_model: str | None = None,
                            device_serial: str | None = None) -> TicketRecord:
        """A new open ticket (audited as "created"), about a device when one is named."""
        now = utcnow()
        ref = _text("external_ref", external_ref or "", max_len=200) or None
        record = TicketRecord(id=_new_id(), title=_text("title", title, max_len=300, required=True),
                              customer=_text("customer", customer, max_len=300), external_ref=ref,
                              status="open", created_by=created_by, created_at=now, updated_at=now,
                              device_family=_text("device_family", device_family or "", max_len=100) or None,
                              device_model=_text("device_model", device_model or "", max_len=200) or None,
                              device_serial=_text("device_serial", device_serial or "", max_len=200) or None)
        async with self._engine.begin() as conn:
            await conn.execute(insert(tickets).values(**_fields(record)))
            await self._audit(conn, actor=created_by, action="created", ticket_id=record.id,
                              target=f"ticket:{record.id}", detail={"title": record.title}, at=now)
        return record

    async def get_ticket(self, ticket_id: str) -> TicketRecord | None:
        """The ticket, or None."""
        async with self._engine.connect() as conn:
            return await _ticket(conn, ticket_id)

    async def set_ticket_status(self, ticket_id: str, status: str, *, actor: str) -> TicketRecord:
        """Open or close a ticket (audited as "status_changed")."""
        if status not in TICKET_STATUSES:
            raise InvalidInputError("status", f"must be one of {', '.join(TICKET_STATUSES)}")
        now = utcnow()
        async with self._engine.begin() as conn:
            ticket = await _ticket(conn, ticket_id)
            if ticket is None:
                raise NotFoundError("ticket", ticket_id)
            if ticket.status != status:
                await conn.execute(update(tickets).where(tickets.c.id == ticket_id)
                                   .values(status=status, updated_at=now))
                await self._audit(conn, actor=actor, action="status_changed", ticket_id=ticket_id,
                                  target=f"ticket:{ticket_id}", detail={"from": ticket.status, "to": status},
                                  at=now)
            updated = await _ticket(conn, ticket_id)
        assert updated is not None
        return updated

    async def list_tickets(self, *, status: str | None = None, q: str | None = None,
                           created_from: datetime | None = None, created_to: datetime | None = None,
                           limit: int = 50, cursor: str | None = None) -> Page:
        """Tickets newest first, filtered; `q` matches title, customer, external ref or id."""
        check_limit(limit)
        conds: list[ColumnElement[bool]] = []
        if status is not None:
            if status not in TICKET_STATUSES:
                raise InvalidInputError("status", f"must be one of {', '.join(TICKET_STATUSES)}")
            conds.append(tickets.c.status == status)
        if q:
            needle = q.strip().lower()
            conds.append(or_(func.lower(tickets.c.title).contains(needle, autoescape=True),
                             func.lower(tickets.c.customer).contains(needle, autoescape=True),
                             func.lower(tickets.c.external_ref).contains(needle, autoescape=True),
                             tickets.c.id == q.strip()))
        for name, value in (("created_from", created_from), ("created_to", created_to)):
            if value is not None and value.tzinfo is None:
                raise InvalidInputError(name, "must include a time zone")
        if created_from is not None:
            conds.append(tickets.c.created_at >= created_from)
        if created_to is not None:
            conds.append(tickets.c.created_at < created_to)
        if cursor:
            conds.append(after_cursor(tickets, cursor))
        query = (select(tickets).where(and_(True, *conds))
                 .order_by(tickets.c.created_at.desc(), tickets.c.id.desc()).limit(limit + 1))
        async with self._engine.connect() as conn:
            rows = [TicketRecord(**r) for r in (await conn.execute(query)).mappings()]
        return _page(rows, limit)

    async def timeline(self, ticket_id: str, *, include_views: bool = False) -> list[TimelineEntry]:
        """Sessions, findings, recordings and audit lines of a ticket, oldest first ("viewed" lines only on request)."""
        async with self._engine.connect() as conn:
            if await _ticket(conn, ticket_id) is None:
                raise NotFoundError("ticket", ticket_id)
            entries: list[TimelineEntry] = []
            for s in await _sessions_of(conn, ticket_id):
                entries.append(TimelineEntry(at=s.created_at, kind="session", item=s))
            for f in await _findings_of(conn, ticket_id):
                entries.append(TimelineEntry(at=f.created_at, kind="finding", item=f))
            for r in await _recordings_of(conn, ticket_id):
                entries.append(TimelineEntry(at=r.created_at, kind="recording", item=r))
            query = select(audit_log).where(audit_log.c.ticket_id == ticket_id).order_by(audit_log.c.id)
            if not include_views:
                query = query.where(audit_log.c.action != "viewed")
            for a in (await conn.execute(query)).mappings():
                entries.append(TimelineEntry(at=a["at"], kind="audit", item=AuditRecord(**a)))
        return sorted(entries, key=lambda e: e.at)

    # --- sessions ------------------------------------------------------------------------------

    async def create_session(self, ticket_id: str, *, created_by: str) -> SessionRecord:
        """A new active support session for the ticket (audited as "created")."""
        now = utcnow()
        record = SessionRecord(id=_new_id(), ticket_id=ticket_id, status="active", created_by=created_by,
                               created_at=now, ended_at=None)
        async with self._engine.begin() as conn:
            if await _ticket(conn, ticket_id) is None:
                raise NotFoundError("ticket", ticket_id)
            await conn.execute(insert(sessions).values(**_fields(record)))
            await self._audit(conn, actor=created_by, action="created", ticket_id=ticket_id,
                              session_id=record.id, target=f"session:{record.id}", detail={}, at=now)
        return record

    async def get_session(self, session_id: str) -> SessionRecord | None:
        """The session, or None."""
        async with self._engine.connect() as conn:
            return await _session(conn, session_id)

    async def list_sessions(self, ticket_id: str) -> list[SessionRecord]:
        """Sessions of a ticket, oldest first."""
        async with self._engine.connect() as conn:
            return await _sessions_of(conn, ticket_id)

    async def end_session(self, session_id: str, *, actor: str) -> None:
        """End the session; a second call does nothing. Queues session.ended in the same commit."""
        now = utcnow()
        async with self._engine.begin() as conn:
            session = await _session(conn, session_id)
            if session is None:
                raise NotFoundError("session", session_id)
            result = await conn.execute(update(sessions)
                                        .where(sessions.c.id == session_id, sessions.c.status == "active")
                                        .values(status="ended", ended_at=now))
            if result.rowcount != 1:
                return  # already ended (possibly by a concurrent call): nothing more to record
            ended = await _session(conn, session_id)
            ticket = await _ticket(conn, session.ticket_id)
            assert ended is not None and ticket is not None
            count = (await conn.execute(select(func.count()).select_from(findings)
                                        .where(findings.c.session_id == session_id))).scalar_one()
            await self._audit(conn, actor=actor, action="ended", ticket_id=ticket.id, session_id=session_id,
                              target=f"session:{session_id}", detail={"findings": count}, at=now)
            await conn.execute(events.outbox_insert(events.SESSION_ENDED, session_id,
                                                    events.session_ended(ticket, ended, count), now))
            transcript = await transcript_of(conn, session_id)
            if transcript:  # the ticket gets the call's chat once, when it can no longer grow
                await conn.execute(events.outbox_insert(events.SESSION_TRANSCRIPT, session_id,
                                                        events.session_transcript(ticket, ended, transcript), now))
        self._event_queued()

    async def add_participant(self, session_id: str, *, participant_id: str, role: str, name: str,
                              token_family: str | None = None, ticket_id: str | None = None) -> None:
        """Record that someone joined (audited as "joined"); re-joining updates the name. ticket_id: the session's
        ticket when the caller knows it (a live call does): no read, and the rows share a commit with the joins
        made meanwhile (returns once committed)."""
        now = utcnow()
        if ticket_id is not None:
            await self.participant_rows.add(ParticipantRow(session_id, ticket_id, participant_id, role, name,
                                                           token_family, now))
            return
        async with self._engine.begin() as conn:
            session = await _session(conn, session_id)
            if session is None:
                raise NotFoundError("session", session_id)
            ticket_id = session.ticket_id
            exists = (await conn.execute(select(participants.c.participant_id).where(
                participants.c.session_id == session_id,
                participants.c.participant_id == participant_id))).first()
            if exists:
                await conn.execute(update(participants).where(
                    participants.c.session_id == session_id, participants.c.participant_id == participant_id)
                    .values(name=name, role=role, token_family=token_family))
            else:
                await conn.execute(insert(participants).values(session_id=session_id,
                                                               participant_id=participant_id, role=role,
                                                               name=name, joined_at=now, token_family=token_family))
            await self._audit(conn, actor=participant_id, action="joined", ticket_id=ticket_id,
                              session_id=session_id, target=f"session:{session_id}",
                              detail={"role": role, "name": name}, at=now)

    async def list_participants(self, session_id: str) -> list[ParticipantRecord]:
        """Who joined the session, in join order."""
        query = (select(participants).where(participants.c.session_id == session_id)
                 .order_by(participants.c.joined_at))
        async with self._engine.connect() as conn:
            return [ParticipantRecord(**r) for r in (await conn.execute(query)).mappings()]

    # --- audit ---------------------------------------------------------------------------------

    async def audit(self, *, actor: str, action: str, session_id: str | None = None,
                    ticket_id: str | None = None, detail: dict[str, Any] | None = None,
                    target: str | None = None) -> None:
        """Append one audit line (the ticket is looked up from the session when not given)."""
        async with self._engine.begin() as conn:
            if ticket_id is None and session_id is not None:
                session = await _session(conn, session_id)
                ticket_id = session.ticket_id if session else None
            await self._audit(conn, actor=actor, action=action, ticket_id=ticket_id, session_id=session_id,
                              target=target, detail=detail or {}, at=utcnow())

    async def list_audit(self, *, ticket_id: str | None = None, session_id: str | None = None,
                         limit: int = 200) -> list[AuditRecord]:
        """Audit lines, oldest first."""
        conds: list[ColumnElement[bool]] = []
        if ticket_id is not None:
            conds.append(audit_log.c.ticket_id == ticket_id)
        if session_id is not None:
            conds.append(audit_log.c.session_id == session_id)
        query = select(audit_log).where(and_(True, *conds)).order_by(audit_log.c.id).limit(limit)
        async with self._engine.connect() as conn:
            return [AuditRecord(**r) for r in (await conn.execute(query)).mappings()]

    @staticmethod
    async def _audit(conn: AsyncConnection, *, actor: str, action: str, ticket_id: str | None,
                     session_id: str | None = None, target: str | None, detail: dict[str, Any],
                     at: datetime) -> None:
        await conn.execute(insert(audit_log).values(at=at, actor=actor, action=action, ticket_id=ticket_id,
                                                    session_id=session_id, target=target, detail=detail))

    # --- findings ------------------------------------------------------------------------------

    async def attach_finding(self, session_id: str, new: NewFinding) -> FindingRecord:
        """Store a finding: snapshot file fsynced first, then row + audit + outbox event in one commit."""
        if new.source not in FINDING_SOURCES:
            raise InvalidInputError("source", f"must be one of {', '.join(FINDING_SOURCES)}")
        if not 0.0 <= new.confidence <= 1.0:
            raise InvalidInputError("confidence", "must be between 0 and 1")
        if new.offset_s is not None and new.offset_s < 0:
            raise InvalidInputError("offset_s", "must not be negative")
        if new.source != "manual":
            _text("code", new.code, max_len=100, required=True)
        note = _text("note", new.note, max_len=2000)
        session = await self.get_session(session_id)
        if session is None:
            raise NotFoundError("session", session_id)
        # Re-reading a finished recording (lensdesk analyze --attach) is the one way in after the end: it adds
        # what the live analysis missed, to the session that recorded it.
        if session.status == "ended" and new.source != "reanalysis":
            raise ConflictError(f"session {session_id!r} has ended; findings can no longer be added to it")
        stored = await asyncio.to_thread(self.snapshots.write, new.snapshot_jpeg)
        # A manual snapshot whose code the technician typed is a labelled example: the image shows that code.
        labelled = new.source == "manual" and bool(new.code.strip())
        try:
            example_file = await asyncio.to_thread(self.examples.write, new.snapshot_jpeg) if labelled else None
        except BaseException:
            self.snapshots.discard(stored.file_name)
            raise
        now = utcnow()
        reading = {f.name: getattr(new, f.name) for f in dataclasses.fields(FindingReading)}
        record = FindingRecord(
            **{**reading, "code": new.code.strip()[:100], "family": new.family[:100], "title": new.title[:300],
               "severity": new.severity[:20], "note": note},
            id=_new_id(), ticket_id=session.ticket_id, session_id=session_id, snapshot_id=stored.snapshot_id,
            snapshot_path=stored.file_name, snapshot_type=stored.content_type, created_by=new.actor,
            created_at=now, dismissed=False, dismissed_by=None, dismissed_reason=None, dismissed_at=None)
        try:
            async with self._engine.begin() as conn:
                ticket = await _ticket(conn, session.ticket_id)
                assert ticket is not None
                await conn.execute(insert(findings).values(**_fields(record)))
                await self._audit(conn, actor=new.actor, action="attached", ticket_id=ticket.id,
                                  session_id=session_id, target=f"finding:{record.id}",
                                  detail={"code": record.code, "source": record.source}, at=now)
                await conn.execute(events.outbox_insert(events.FINDING_ATTACHED, record.id,
                                                        events.finding_attached(ticket, record), now))
                if example_file is not None:
                    await conn.execute(insert(examples).values(**_fields(_example(
                        record, "manual", record.code, "", example_file.file_name, example_file.content_type,
                        new.actor, now))))
        except BaseException:
            await self._discard_unless_committed(stored.file_name)
            if example_file is not None:
                await self._discard_example_unless_committed(example_file.file_name)
            raise
        self._event_queued()
        return record

    async def _discard_unless_committed(self, file_name: str) -> None:
        # A failure (or cancellation) during COMMIT leaves its outcome unknown: delete the file only when
        # no row points at it; if even that cannot be checked, sweep_orphan_snapshots cleans up later.
        try:
            async with self._engine.connect() as conn:
                row = (await conn.execute(select(findings.c.id).where(findings.c.snapshot_path == file_name))).first()
        except Exception:
            return
        if row is None:
            self.snapshots.discard(file_name)

    async def get_finding(self, finding_id: str) -> FindingRecord | None:
        """The finding, or None."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(findings).where(findings.c.id == finding_id))).mappings().first()
        return FindingRecord(**row) if row else None

    async def list_findings(self, ticket_id: str, *, include_dismissed: bool = True) -> list[FindingRecord]:
        """Findings of a ticket, oldest first."""
        async with self._engine.connect() as conn:
            rows = await _findings_of(conn, ticket_id)
        return [f for f in rows if include_dismissed or not f.dismissed]

    async def search_findings(self, code: str, *, include_dismissed: bool = False, limit: int = 50,
                              cursor: str | None = None) -> Page:
        """Findings with this code (case-insensitive) across all tickets, newest first."""
        check_limit(limit)
        code = _text("code", code, max_len=100, required=True)
        conds: list[ColumnElement[bool]] = [func.upper(findings.c.code) == code.upper()]
        if not include_dismissed:
            conds.append(findings.c.dismissed.is_(False))
        if cursor:
            conds.append(after_cursor(findings, cursor))
        query = (select(findings).where(*conds)
                 .order_by(findings.c.created_at.desc(), findings.c.id.desc()).limit(limit + 1))
        async with self._engine.connect() as conn:
            rows = [FindingRecord(**r) for r in (await conn.execute(query)).mappings()]
        return _page(rows, limit)

    async def dismiss_finding(self, finding_id: str, *, actor: str, reason: str,
                              correct_code: str = "") -> FindingRecord:
        """Mark a finding wrong (kept, flagged, audited as "dismissed") and keep its image as a labelled example.

        The example says the image does not show the dismissed code, and shows correct_code if one is given.
        """
        reason = _text("reason", reason, max_len=2000, required=True)
        correct_code = _text("correct_code", correct_code, max_len=100)
        finding = await self.get_finding(finding_id)
        if finding is None:
            raise NotFoundError("finding", finding_id)
        if finding.dismissed:
            raise ConflictError(f"finding {finding_id} is already dismissed")
        if correct_code and correct_code.upper() == finding.code.strip().upper():
            raise InvalidInputError("correct_code", "must differ from the code being dismissed")
        example_file = None
        if finding.code.strip() or correct_code:
            image = await asyncio.to_thread(_read_or_none, self.snapshots, finding.snapshot_path)
            if image is not None:  # a snapshot lost on disk still lets the finding be dismissed
                example_file = await asyncio.to_thread(self.examples.write, image)
        now = utcnow()
        replaced: list[str] = []
        try:
            async with self._engine.begin() as conn:
                row = (await conn.execute(select(findings).where(findings.c.id == finding_id))).mappings().first()
                if row is None:
                    raise NotFoundError("finding", finding_id)
                if row["dismissed"]:
                    raise ConflictError(f"finding {finding_id} is already dismissed")
                await conn.execute(update(findings).where(findings.c.id == finding_id).values(
                    dismissed=True, dismissed_by=actor, dismissed_reason=reason, dismissed_at=now))
                detail = {"code": row["code"], "reason": reason} | ({"correct_code": correct_code} if correct_code else {})
                await self._audit(conn, actor=actor, action="dismissed", ticket_id=row["ticket_id"],
                                  session_id=row["session_id"], target=f"finding:{finding_id}", detail=detail, at=now)
                if example_file is not None:
                    # A manual snapshot's earlier label (its typed code) is what is being dismissed: replace it.
                    old = select(examples.c.image_path).where(examples.c.finding_id == finding_id)
                    replaced = list((await conn.execute(old)).scalars())
                    await conn.execute(delete(examples).where(examples.c.finding_id == finding_id))
                    await conn.execute(insert(examples).values(**_fields(_example(
                        finding, "dismissed", correct_code, finding.code.strip(), example_file.file_name,
                        example_file.content_type, actor, now))))
        except BaseException:
            if example_file is not None:
                await self._discard_example_unless_committed(example_file.file_name)
            raise
        for name in replaced:
            await asyncio.to_thread(self.examples.discard, name)
        found = await self.get_finding(finding_id)
        assert found is not None
        return found

    # --- labelled examples -----------------------------------------------------------------------

    async def _discard_example_unless_committed(self, file_name: str) -> None:
        try:
            async with self._engine.connect() as conn:
                row = (await conn.execute(select(examples.c.id).where(examples.c.image_path == file_name))).first()
        except Exception:
            return
        if row is None:
            self.examples.discard(file_name)

    async def list_examples(self, *, limit: int = 50, cursor: str | None = None) -> Page:
        """Labelled examples, newest first."""
        check_limit(limit)
        query = select(examples)
        if cursor:
            query = query.where(after_cursor(examples, cursor))
        query = query.order_by(examples.c.created_at.desc(), examples.c.id.desc()).limit(limit + 1)
        async with self._engine.connect() as conn:
            rows = [ExampleRecord(**r) for r in (await conn.execute(query)).mappings()]
        return _page(rows, limit)

    async def all_examples(self) -> list[ExampleRecord]:
        """Every labelled example, oldest first (for export)."""
        query = select(examples).order_by(examples.c.created_at, examples.c.id)
        async with self._engine.connect() as conn:
            return [ExampleRecord(**r) for r in (await conn.execute(query)).mappings()]

    async def example_image(self, example_id: str) -> tuple[ExampleRecord, Path] | None:
        """An example and its image file's path, or None if either is missing."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(examples).where(examples.c.id == example_id))).mappings().first()
        if row is None:
            return None
        example = ExampleRecord(**row)
        path = self.examples.path_of(example.image_path)
        return (example, path) if path.is_file() else None

    async def sweep_orphan_snapshots(self, *, min_age_s: float = 3600.0) -> int:
        """Delete snapshot files no finding points at (a crash between fsync and commit leaves them)."""
        async with self._engine.connect() as conn:
            referenced = set((await conn.execute(select(findings.c.snapshot_path))).scalars())
        # young files may belong to an attach_finding that has not committed yet
        orphans = [name for name, age in await asyncio.to_thread(self.snapshots.list_files)
                   if name not in referenced and age >= min_age_s]
        for name in orphans:
            await asyncio.to_thread(self.snapshots.discard, name)
        return len(orphans)

    async def find_snapshot(self, snapshot_id: str) -> tuple[FindingRecord, Path] | None:
        """The finding owning a snapshot and the file's path, or None if either is missing."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(findings).where(findings.c.snapshot_id == snapshot_id))
                   ).mappings().first()
        if row is None:
            return None
        finding = FindingRecord(**row)
        if not finding.snapshot_path:  # removed by retention or erasure; the finding stays
            return None
        path = self.snapshots.path_of(finding.snapshot_path)
        return (finding, path) if path.is_file() else None

    # --- recordings ----------------------------------------------------------------------------

    async def add_recording(self, session_id: str, path: str, node_id: str | None = None) -> RecordingRecord:
        """Register a recording that node_id has started (status "recording")."""
        now = utcnow()
        async with self._engine.begin() as conn:
            session = await _session(conn, session_id)
            if session is None:
                raise NotFoundError("session", session_id)
            record = RecordingRecord(id=_new_id(), session_id=session_id, ticket_id=session.ticket_id,
                                     path=_text("path", path, max_len=1000, required=True), status="recording",
                                     duration_s=None, size_bytes=None, poster_path=None, created_at=now,
                                     finalised_at=None, node_id=node_id)
            await conn.execute(insert(recordings).values(**_fields(record)))
        return record

    async def finalise_recording(self, recording_id: str, *, duration_s: float, size_bytes: int,
                                 poster_path: str | None, status: str = "finalised", path: str | None = None) -> None:
        """Mark a recording finished ("finalised" or "recovered"); queues recording.ready once.

        `path` replaces the stored path when the final file's name is only known at the end (the recorder
        writes segments into a folder and picks .webm or .mkv when it finalises)."""
        if status not in PLAYABLE_RECORDINGS:
            raise InvalidInputError("status", "must be 'finalised' or 'recovered'")
        if duration_s < 0 or size_bytes < 0:
            raise InvalidInputError("duration_s", "duration and size must not be negative")
        now = utcnow()
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(recordings).where(recordings.c.id == recording_id, recordings.c.status == "recording")
                .values(status=status, duration_s=duration_s, size_bytes=size_bytes, poster_path=poster_path,
                        finalised_at=now, **({"path": path} if path is not None else {})))
            if result.rowcount != 1:
                if await _recording(conn, recording_id) is None:
                    raise NotFoundError("recording", recording_id)
                return  # already final: the event was queued the first time
            recording = await _recording(conn, recording_id)
            assert recording is not None
            ticket = await _ticket(conn, recording.ticket_id)
            assert ticket is not None
            await conn.execute(events.outbox_insert(events.RECORDING_READY, recording_id,
                                                    events.recording_ready(ticket, recording), now))
        self._event_queued()

    async def mark_recording_empty(self, recording_id: str) -> None:
        """Close a recording that captured no media (no recording.ready event: there is nothing to review)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(recordings).where(recordings.c.id == recording_id, recordings.c.status == "recording")
                .values(status="empty", duration_s=0.0, size_bytes=0, finalised_at=utcnow()))

    async def recording_by_path(self, path: str) -> RecordingRecord | None:
        """The recording stored at this file path, if any."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(recordings).where(recordings.c.path == path))).mappings().first()
        return RecordingRecord(**row) if row else None

    async def unfinished_recordings(self, node_id: str | None = None) -> list[RecordingRecord]:
        """Recordings still marked "recording"; with node_id, only that node's (and those no node claims).

        At a node's start-up its own are left by a crash; another node's may be live."""
        query = select(recordings).where(recordings.c.status == "recording")
        if node_id is not None:
            query = query.where(or_(recordings.c.node_id == node_id, recordings.c.node_id.is_(None)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [RecordingRecord(**row) for row in rows]

    async def get_recording(self, recording_id: str) -> RecordingRecord | None:
        """The recording, or None."""
        async with self._engine.connect() as conn:
            return await _recording(conn, recording_id)

    async def list_recordings(self, ticket_id: str) -> list[RecordingRecord]:
        """Recordings of a ticket, oldest first."""
        async with self._engine.connect() as conn:
            return await _recordings_of(conn, ticket_id)

    # --- credentials -----------------------------------------------------------------------------

    async def add_revocation(self, *, kind: str, value: str, expires_at: float, reason: str, actor: str,
                             session_id: str | None = None) -> RevocationRecord:
        """Store a revocation (audited as "revoked"); nodes pick it up from the bus or their next poll."""
        now = utcnow()
        async with self._engine.begin() as conn:
            result = await conn.execute(insert(revocations).values(kind=kind, value=value, expires_at=expires_at,
                                                                   reason=reason, actor=actor, created_at=now))
            ticket_id = None
            if session_id is not None:
                session = await _session(conn, session_id)
                ticket_id = session.ticket_id if session is not None else None
            await self._audit(conn, actor=actor, action="revoked", ticket_id=ticket_id, session_id=session_id,
                              target=f"{kind}:{value}", detail={"reason": reason}, at=now)
        row_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
        return RevocationRecord(int(row_id), kind, value, expires_at, reason, actor, now)

    async def revocations_after(self, last_id: int, *, not_expired_at: float) -> list[RevocationRecord]:
        """Revocations stored after `last_id` that still cover unexpired tokens, oldest first."""
        query = (select(revocations).where(revocations.c.id > last_id, revocations.c.expires_at >= not_expired_at)
                 .order_by(revocations.c.id))
        async with self._engine.connect() as conn:
            return [RevocationRecord(**r) for r in (await conn.execute(query)).mappings()]

    async def last_revocation_id(self) -> int:
        """The newest revocation's id (0 when there is none)."""
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.max(revocations.c.id)))).scalar_one() or 0)

    async def replace_join_link(self, session_id: str, *, token_id: str, expires_at: float,
                                issued_by: str) -> tuple[str, float] | None:
        """Make token_id the session's join link; returns the previous one's (id, expiry)."""
        now = utcnow()
        async with self._engine.begin() as conn:
            session = await _session(conn, session_id)
            if session is None:
                raise NotFoundError("session", session_id)
            row = (await conn.execute(select(join_links).where(join_links.c.session_id == session_id))).first()
            values = {"token_id": token_id, "expires_at": expires_at, "issued_by": issued_by, "issued_at": now}
            if row is None:
                await conn.execute(insert(join_links).values(session_id=session_id, **values))
            else:
                await conn.execute(update(join_links).where(join_links.c.session_id == session_id).values(**values))
        return (str(row.token_id), float(row.expires_at)) if row is not None else None

    async def get_participant(self, session_id: str, participant_id: str) -> ParticipantRecord | None:
        """One participant of a session."""
        query = select(participants).where(participants.c.session_id == session_id,
                                           participants.c.participant_id == participant_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return ParticipantRecord(**row) if row else None


# --- row helpers -------------------------------------------------------------------------------

def _example(finding: FindingRecord, source: ExampleSource, truth: str, not_code: str, image_path: str,
             image_type: str, actor: str, now: datetime) -> ExampleRecord:
    return ExampleRecord(id=_new_id(), finding_id=finding.id, ticket_id=finding.ticket_id,
                         session_id=finding.session_id, source=source, truth=truth, not_code=not_code,
                         image_path=image_path, image_type=image_type, created_by=actor, created_at=now)


def _read_or_none(files: SnapshotFiles, file_name: str) -> bytes | None:
    if not file_name:  # removed by retention or erasure
        return None
    try:
        return files.read(file_name)
    except FileNotFoundError:
        return None


def _fields(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def _page(rows: list[Any], limit: int) -> Page:
    if len(rows) <= limit:
        return Page(items=rows, next_cursor=None)
    last = rows[limit - 1]
    return Page(items=rows[:limit], next_cursor=encode_cursor(last.created_at, last.id))


async def _ticket(conn: AsyncConnection, ticket_id: str) -> TicketRecord | None:
    row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).mappings().first()
    return TicketRecord(**row) if row else None


# what a SessionRecord holds (search_key belongs to the full-text index, migration 0011; the ticket's customer and
# title and the recorded flag are the library's copies, kept by triggers, migration 0013)
_LIBRARY_KEYS = {"search_key", "ticket_customer", "ticket_title", "recorded"}
_SESSION_FIELDS = [c for c in sessions.c if c.name not in _LIBRARY_KEYS]


async def _session(conn: AsyncConnection, session_id: str) -> SessionRecord | None:
    row = (await conn.execute(select(*_SESSION_FIELDS).where(sessions.c.id == session_id))).mappings().first()
    return SessionRecord(**row) if row else None


async def _recording(conn: AsyncConnection, recording_id: str) -> RecordingRecord | None:
    row = (await conn.execute(select(recordings).where(recordings.c.id == recording_id))).mappings().first()
    return RecordingRecord(**row) if row else None


async def _sessions_of(conn: AsyncConnection, ticket_id: str) -> list[SessionRecord]:
    query = select(*_SESSION_FIELDS).where(sessions.c.ticket_id == ticket_id).order_by(sessions.c.created_at)
    return [SessionRecord(**r) for r in (await conn.execute(query)).mappings()]


async def _findings_of(conn: AsyncConnection, ticket_id: str) -> list[FindingRecord]:
    query = (select(findings).where(findings.c.ticket_id == ticket_id)
             .order_by(findings.c.created_at, findings.c.id))
    return [FindingRecord(**r) for r in (await conn.execute(query)).mappings()]


async def _recordings_of(conn: AsyncConnection, ticket_id: str) -> list[RecordingRecord]:
    query = select(recordings).where(recordings.c.ticket_id == ticket_id).order_by(recordings.c.created_at)
    return [RecordingRecord(**r) for r in (await conn.execute(query)).mappings()]
