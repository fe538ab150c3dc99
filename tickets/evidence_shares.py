"""Evidence share links: who shared which session's bundle, until when, whether revoked, how often downloaded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tickets.errors import InvalidInputError, NotFoundError
from tickets.schema import audit_log, evidence_shares, sessions, utcnow

MAX_SHARE_DAYS = 90


@dataclass(frozen=True, slots=True)
class ShareRecord:
    """One share link."""

    id: str
    session_id: str
    ticket_id: str
    note: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    downloads: int

    def usable(self, now: datetime) -> bool:
        """Not revoked and not expired."""
        return self.revoked_at is None and now < self.expires_at


class EvidenceShares:
    """The evidence_shares table; every change and every download writes an audit line in the same commit."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, session_id: str, *, ttl: timedelta, note: str, actor: str) -> ShareRecord:
        """A new share link of the session's bundle, valid for ttl (at most MAX_SHARE_DAYS)."""
        if not timedelta(minutes=1) <= ttl <= timedelta(days=MAX_SHARE_DAYS):
            raise InvalidInputError("ttl", f"must be between a minute and {MAX_SHARE_DAYS} days")
        if len(note) > 300:
            raise InvalidInputError("note", "must be at most 300 characters")
        now = utcnow()
        async with self._engine.begin() as conn:
            session = (await conn.execute(select(sessions).where(sessions.c.id == session_id))).mappings().first()
            if session is None:
                raise NotFoundError("session", session_id)
            record = ShareRecord(id=uuid.uuid4().hex, session_id=session_id, ticket_id=session["ticket_id"],
                                 note=note.strip(), created_by=actor, created_at=now, expires_at=now + ttl,
                                 revoked_at=None, revoked_by=None, downloads=0)
            await conn.execute(insert(evidence_shares).values(**{f: getattr(record, f) for f in record.__slots__}))
            await conn.execute(insert(audit_log).values(
                at=now, actor=actor, action="bundle_shared", ticket_id=record.ticket_id, session_id=session_id,
                target=f"share:{record.id}", detail={"expires_at": record.expires_at.isoformat(), "note": record.note}))
        return record

    async def get(self, share_id: str) -> ShareRecord | None:
        """The share, or None."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(evidence_shares).where(evidence_shares.c.id == share_id))
                   ).mappings().first()
        return ShareRecord(**row) if row else None

    async def of_session(self, session_id: str) -> list[ShareRecord]:
        """A session's shares, oldest first."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(evidence_shares).where(evidence_shares.c.session_id == session_id)
                                       .order_by(evidence_shares.c.created_at))).mappings()
            return [ShareRecord(**r) for r in rows]

    async def revoke(self, share_id: str, *, actor: str) -> ShareRecord:
        """Revoke a share (a second revoke changes nothing)."""
        now = utcnow()
        async with self._engine.begin() as conn:
            done = await conn.execute(update(evidence_shares).where(evidence_shares.c.id == share_id,
                                                                    evidence_shares.c.revoked_at.is_(None))
                                      .values(revoked_at=now, revoked_by=actor))
            row = (await conn.execute(select(evidence_shares).where(evidence_shares.c.id == share_id))
                   ).mappings().first()
            if row is None:
                raise NotFoundError("share", share_id)
            if done.rowcount == 1:
                await conn.execute(insert(audit_log).values(
                    at=now, actor=actor, action="bundle_share_revoked", ticket_id=row["ticket_id"],
                    session_id=row["session_id"], target=f"share:{share_id}", detail={}))
        return ShareRecord(**row)

    async def count_download(self, share: ShareRecord, *, client: str) -> None:
        """Audit one download through the share (and count it)."""
        async with self._engine.begin() as conn:
            await conn.execute(update(evidence_shares).where(evidence_shares.c.id == share.id)
                               .values(downloads=evidence_shares.c.downloads + 1))
            await conn.execute(insert(audit_log).values(
                at=utcnow(), actor=f"share:{share.id}", action="bundle_downloaded", ticket_id=share.ticket_id,
                session_id=share.session_id, target=f"share:{share.id}", detail={"client": client[:100]}))
