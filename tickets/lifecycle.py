"""The data lifecycle: retention (recordings and snapshots older than N days are deleted; findings stay), legal
holds that stop every deletion of a ticket, and erasure on request of a ticket or of all of a customer's tickets
(recordings, snapshots, chat, personal fields), audited and announced to the connectors through the outbox.

Crash-safe by construction: one transaction changes the rows (the database no longer points at the files) and
writes an erasure job listing the files to remove; the files are removed after it commits; the job is marked done
last. A job still pending after a crash is finished by `resume()` at the next start (removing is idempotent), so no
file the database forgot about stays behind, and `orphans()` reports any that did (check-orphans).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tickets import events
from tickets.errors import ConflictError, InvalidInputError, NotFoundError
from tickets.schema import (
    audit_log,
    erasure_jobs,
    examples,
    findings,
    participants,
    queue_requests,
    recordings,
    session_events,
    sessions,
    tickets,
    utcnow,
)
from vocabulary import PLAYABLE_RECORDINGS

ERASED = "[erased]"


@dataclass(frozen=True, slots=True)
class ErasureJob:
    """One deletion: what it was for and the files it has still to remove."""

    id: str
    kind: str
    target: str
    requested_by: str
    reason: str
    requested_at: datetime
    state: str
    files: list[str]
    finished_at: datetime | None


def _remove(path: str) -> None:
    """Remove a file; already gone is fine (a resumed job removes again what it had removed)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    folder = os.path.dirname(path)
    with contextlib.suppress(OSError):  # an emptied recording folder goes too
        if folder and not os.listdir(folder):
            os.rmdir(folder)


class DataLifecycle:
    """Retention, legal holds, erasure and the orphan check over one store's database and data folder."""

    def __init__(self, engine: AsyncEngine, data_dir: Path, snapshot_path: Callable[[str], Path],
                 example_path: Callable[[str], Path], on_event_queued: Callable[[], None]) -> None:
        self._engine = engine
        self._data_dir = data_dir
        self._snapshot_path = snapshot_path
        self._example_path = example_path
        self._event_queued = on_event_queued
        self.pause_between_files_s = 0.0  # tests: time to kill the process in the middle of a job

    # --- legal hold ----------------------------------------------------------------------------

    async def set_legal_hold(self, ticket_id: str, hold: bool, *, actor: str, reason: str = "") -> None:
        """Put a ticket on legal hold (nothing of it is deleted) or release it; audited."""
        async with self._engine.begin() as conn:
            done = await conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(legal_hold=hold))
            if done.rowcount != 1:
                raise NotFoundError("ticket", ticket_id)
            await _audit(conn, actor, "legal_hold_set" if hold else "legal_hold_released", ticket_id, None,
                         {"reason": reason[:300]})

    # --- erasure on request --------------------------------------------------------------------

    async def erase_ticket(self, ticket_id: str, *, actor: str, reason: str) -> ErasureJob:
        """Erase a ticket's recordings, snapshots, chat and personal fields (codes and findings' catalog data stay)."""
        async with self._engine.begin() as conn:
            ticket = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).mappings().first()
            if ticket is None:
                raise NotFoundError("ticket", ticket_id)
            if ticket["legal_hold"]:
                raise ConflictError("ticket", "is on legal hold: release the hold before erasing it")
            files = await self._erase_rows(conn, [ticket_id], actor=actor, reason=reason)
            job = await _new_job(conn, "ticket", ticket_id, actor, reason, files)
        self._event_queued()
        await self.finish(job)
        return job

    async def erase_customer(self, customer: str, *, actor: str, reason: str) -> ErasureJob:
        """Erase every ticket of a customer (matched exactly); refused while any of them is on legal hold."""
        name = customer.strip()
        if not name:
            raise InvalidInputError("customer", "must not be empty")
        async with self._engine.begin() as conn:
            rows = (await conn.execute(select(tickets.c.id, tickets.c.legal_hold)
                                       .where(tickets.c.customer == name))).all()
            if not rows:
                raise NotFoundError("customer", name)
            held = [r.id for r in rows if r.legal_hold]
            if held:
                raise ConflictError("customer", f"has {len(held)} ticket(s) on legal hold: release them first")
            files = await self._erase_rows(conn, [r.id for r in rows], actor=actor, reason=reason)
            job = await _new_job(conn, "customer", f"{len(rows)} ticket(s)", actor, reason, files)
        self._event_queued()
        await self.finish(job)
        return job

    async def _erase_rows(self, conn: AsyncConnection, ticket_ids: list[str], *, actor: str,
                          reason: str) -> list[str]:
        """Change the rows of the tickets; the files they pointed at (to remove once this commits)."""
        files: list[str] = []
        now = utcnow()
        for rec in (await conn.execute(select(recordings).where(recordings.c.ticket_id.in_(ticket_ids)))).mappings():
            files += [p for p in (rec["path"], rec["poster_path"]) if p]
        for f in (await conn.execute(select(findings.c.snapshot_path).where(findings.c.ticket_id.in_(ticket_ids)))
                  ).scalars():
            if f:
                files.append(str(self._snapshot_path(f)))
        for e in (await conn.execute(select(examples.c.image_path).where(examples.c.ticket_id.in_(ticket_ids)))
                  ).scalars():
            files.append(str(self._example_path(e)))
        for photo in (await conn.execute(select(queue_requests.c.photo).where(
                queue_requests.c.ticket_id.in_(ticket_ids), queue_requests.c.photo.is_not(None)))).scalars():
            files.append(str(self._data_dir / "help_photos" / photo))  # a help request's photo (tickets/help_desk.py)
        await conn.execute(update(queue_requests).where(queue_requests.c.ticket_id.in_(ticket_ids))
                           .values(customer_name=ERASED, description="", callback_number="", photo=None))
        files += [str(self._freeze_path(name)) for _, name in await self._freeze_images(
            conn, session_events.c.ticket_id.in_(ticket_ids))]
        session_ids = select(sessions.c.id).where(sessions.c.ticket_id.in_(ticket_ids))
        await conn.execute(update(recordings).where(recordings.c.ticket_id.in_(ticket_ids))
                           .values(status="deleted", poster_path=None))
        await conn.execute(update(findings).where(findings.c.ticket_id.in_(ticket_ids))
                           .values(snapshot_path="", text=ERASED, note=""))
        await conn.execute(delete(examples).where(examples.c.ticket_id.in_(ticket_ids)))
        await conn.execute(delete(session_events).where(session_events.c.ticket_id.in_(ticket_ids)))
        await conn.execute(update(participants).where(participants.c.session_id.in_(session_ids))
                           .values(name=ERASED))
        await conn.execute(update(tickets).where(tickets.c.id.in_(ticket_ids))
                           .values(title=ERASED, customer=ERASED, device_serial=None, updated_at=now))
        # audit lines keep what happened, not what was said: chat text and titles go from their details
        await conn.execute(update(audit_log).where(audit_log.c.ticket_id.in_(ticket_ids),
                                                   audit_log.c.action.in_(("created", "chat", "help_requested")))
                           .values(detail={}))
        for ticket_id in ticket_ids:
            await _audit(conn, actor, "erased", ticket_id, None, {"reason": reason[:300], "files": len(files)})
            await conn.execute(events.outbox_insert(events.TICKET_ERASED, ticket_id,
                                                    {"ticket_id": ticket_id, "reason": reason[:300],
                                                     "erased_at": now.isoformat()}, now))
        return files

    # --- retention -----------------------------------------------------------------------------

    async def apply_retention(self, days: int, *, actor: str = "retention",
                              now: datetime | None = None) -> ErasureJob | None:
        """Delete recordings and snapshots older than `days` (tickets on legal hold excepted); findings stay."""
        if days < 1:
            raise InvalidInputError("days", "must be at least 1")
        cutoff = (now or utcnow()) - timedelta(days=days)
        held = select(tickets.c.id).where(tickets.c.legal_hold.is_(True))
        async with self._engine.begin() as conn:
            old_recs = (await conn.execute(select(recordings.c.id, recordings.c.path, recordings.c.poster_path).where(
                recordings.c.created_at < cutoff, recordings.c.status.in_((*PLAYABLE_RECORDINGS, "empty")),
                recordings.c.ticket_id.not_in(held)))).all()
            old_snaps = (await conn.execute(select(findings.c.id, findings.c.snapshot_path).where(
                findings.c.created_at < cutoff, findings.c.snapshot_path != "",
                findings.c.ticket_id.not_in(held)))).all()
            old_freezes = await self._freeze_images(conn, and_(session_events.c.at < cutoff,
                                                               session_events.c.ticket_id.not_in(held)))
            if not old_recs and not old_snaps and not old_freezes:
                return None
            files = [p for r in old_recs for p in (r.path, r.poster_path) if p]
            files += [str(self._snapshot_path(f.snapshot_path)) for f in old_snaps]
            files += [str(self._freeze_path(name)) for _, name in old_freezes]
            for event_id, _ in old_freezes:  # the freeze stays on the record, without its image
                payload = (await conn.execute(select(session_events.c.payload)
                                              .where(session_events.c.id == event_id))).scalar_one()
                await conn.execute(update(session_events).where(session_events.c.id == event_id).values(
                    payload={k: v for k, v in dict(payload).items() if k != "image_file"}))
            if old_recs:
                await conn.execute(update(recordings).where(recordings.c.id.in_([r.id for r in old_recs]))
                                   .values(status="deleted", poster_path=None))
            if old_snaps:
                await conn.execute(update(findings).where(findings.c.id.in_([f.id for f in old_snaps]))
                                   .values(snapshot_path=""))
            job = await _new_job(conn, "retention", cutoff.isoformat(), actor, f"older than {days} days", files)
            await _audit(conn, actor, "retention_applied", None, None,
                         {"days": days, "recordings": len(old_recs), "snapshots": len(old_snaps),
                          "freeze_images": len(old_freezes), "job": job.id})
        await self.finish(job)
        return job

    def _freeze_path(self, name: str) -> Path:
        # names were checked when the event was stored (session_events.FreezePayload); .name keeps it in the folder
        return self._data_dir / "freezes" / Path(name).name

    @staticmethod
    async def _freeze_images(conn: AsyncConnection, where: Any) -> list[tuple[int, str]]:
        """(event id, image file) of the freeze events matching `where` that still name their stored image."""
        rows = (await conn.execute(select(session_events.c.id, session_events.c.payload)
                                   .where(session_events.c.kind == "freeze", where))).all()
        return [(r.id, str(r.payload["image_file"])) for r in rows
                if isinstance(r.payload, dict) and r.payload.get("image_file")]

    # --- jobs ----------------------------------------------------------------------------------

    async def finish(self, job: ErasureJob) -> None:
        """Remove the job's files (in a thread), then mark it done."""
        for path in job.files:
            await asyncio.to_thread(_remove, path)
            if self.pause_between_files_s:
                await asyncio.sleep(self.pause_between_files_s)
        async with self._engine.begin() as conn:
            await conn.execute(update(erasure_jobs).where(erasure_jobs.c.id == job.id)
                               .values(state="done", files=[], finished_at=utcnow()))

    async def pending(self) -> list[ErasureJob]:
        """Jobs a crash interrupted (or still running), oldest first."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(erasure_jobs).where(erasure_jobs.c.state == "pending")
                                       .order_by(erasure_jobs.c.requested_at))).mappings()
            return [ErasureJob(**r) for r in rows]

    async def jobs(self, limit: int = 50) -> list[ErasureJob]:
        """The latest jobs, newest first."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(erasure_jobs).order_by(erasure_jobs.c.requested_at.desc())
                                       .limit(limit))).mappings()
            return [ErasureJob(**r) for r in rows]

    async def held_tickets(self, limit: int = 200) -> list[tuple[str, str, str]]:
        """Tickets on legal hold (id, title, customer), newest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(tickets.c.id, tickets.c.title, tickets.c.customer)
                                      .where(tickets.c.legal_hold.is_(True))
                                      .order_by(tickets.c.created_at.desc()).limit(limit))
            return [(r.id, r.title, r.customer) for r in rows]

    async def resume(self) -> int:
        """Finish every pending job (at start, before anything else runs); how many there were."""
        jobs = await self.pending()
        for job in jobs:
            await self.finish(job)
        return len(jobs)

    # --- orphans -------------------------------------------------------------------------------

    async def orphans(self, *, min_age_s: float = 0.0) -> list[Path]:
        """Files under recordings/, snapshots/, examples/ and freezes/ that no row knows (nor a pending job removes)."""
        async with self._engine.connect() as conn:
            recs = (await conn.execute(select(recordings.c.path, recordings.c.poster_path, recordings.c.status)
                                       .where(recordings.c.status != "deleted"))).all()
            snaps = list((await conn.execute(select(findings.c.snapshot_path)
                                             .where(findings.c.snapshot_path != ""))).scalars())
            images = list((await conn.execute(select(examples.c.image_path))).scalars())
            stills = [name for _, name in await self._freeze_images(conn, true())]
            pending = [p for files in (await conn.execute(select(erasure_jobs.c.files)
                                                          .where(erasure_jobs.c.state == "pending"))).scalars()
                       for p in files]

        def scan() -> list[Path]:
            known = {os.path.abspath(p) for r in recs for p in (r.path, r.poster_path) if p}
            known |= {os.path.abspath(self._snapshot_path(n)) for n in snaps}
            known |= {os.path.abspath(self._example_path(n)) for n in images}
            known |= {os.path.abspath(self._freeze_path(n)) for n in stills}
            known |= {os.path.abspath(p) for p in pending}
            # a recording still being written: its folder's segments are the recorder's own
            live_folders = {os.path.dirname(os.path.abspath(r.path)) for r in recs if r.status == "recording" and r.path}
            found = []
            now = time.time()
            for folder in ("recordings", "snapshots", "examples", "freezes"):
                root = self._data_dir / folder
                if not root.is_dir():
                    continue
                for path in sorted(root.rglob("*")):
                    absolute = Path(os.path.abspath(path))
                    if (path.is_file() and str(absolute) not in known
                            and not any(str(parent) in live_folders for parent in absolute.parents)
                            and now - path.stat().st_mtime >= min_age_s):
                        found.append(path)
            return found

        return await asyncio.to_thread(scan)


async def _new_job(conn: AsyncConnection, kind: str, target: str, actor: str, reason: str,
                   files: list[str]) -> ErasureJob:
    job = ErasureJob(id=uuid.uuid4().hex, kind=kind, target=target[:300], requested_by=actor, reason=reason[:300],
                     requested_at=utcnow(), state="pending", files=files, finished_at=None)
    await conn.execute(insert(erasure_jobs).values(**{f: getattr(job, f) for f in job.__slots__}))
    return job


async def _audit(conn: AsyncConnection, actor: str, action: str, ticket_id: str | None, session_id: str | None,
                 detail: dict[str, Any]) -> None:
    await conn.execute(insert(audit_log).values(at=utcnow(), actor=actor, action=action, ticket_id=ticket_id,
                                                session_id=session_id, target=f"ticket:{ticket_id}" if ticket_id
                                                else None, detail=detail))

