"""Reads and updates of the outbox table, used by the OutboxWorker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from tickets.records import OutboxEvent, OutboxStatus
from tickets.schema import outbox


def _event(row: RowMapping) -> OutboxEvent:
    data = dict(row)
    data["delivered_to"] = list(data["delivered_to"] or [])
    return OutboxEvent(**data)


class OutboxTable:
    """Delivery state of ticket events; lives in the same database as the tickets."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def due(self, now: datetime, limit: int = 50) -> list[OutboxEvent]:
        """Pending events whose next attempt time has come, oldest first."""
        query = (select(outbox).where(outbox.c.status == "pending", outbox.c.next_attempt_at <= now)
                 .order_by(outbox.c.created_at, outbox.c.id).limit(limit))
        async with self._engine.connect() as conn:
            return [_event(r) for r in (await conn.execute(query)).mappings()]

    async def claim(self, event: OutboxEvent, now: datetime, lease_until: datetime) -> bool:
        """Take the event for one attempt; False if another worker took it first."""
        stmt = (update(outbox)
                .where(outbox.c.id == event.id, outbox.c.status == "pending",
                       outbox.c.attempts == event.attempts, outbox.c.next_attempt_at <= now)
                .values(next_attempt_at=lease_until))
        async with self._engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def record_attempt(self, event_id: str, *, attempts: int, delivered_to: Sequence[str],
                             status: OutboxStatus, next_attempt_at: datetime, last_error: str | None,
                             delivered_at: datetime | None) -> None:
        """Store the outcome of one attempt."""
        stmt = (update(outbox).where(outbox.c.id == event_id)
                .values(attempts=attempts, delivered_to=list(delivered_to), status=status,
                        next_attempt_at=next_attempt_at, last_error=last_error, delivered_at=delivered_at))
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def list(self, *, status: OutboxStatus | None = None, event_type: str | None = None,
                   limit: int = 100) -> list[OutboxEvent]:
        """Events, oldest first, optionally filtered (for operators and tests)."""
        conds = []
        if status is not None:
            conds.append(outbox.c.status == status)
        if event_type is not None:
            conds.append(outbox.c.type == event_type)
        query = select(outbox).where(and_(True, *conds)).order_by(outbox.c.created_at, outbox.c.id).limit(limit)
        async with self._engine.connect() as conn:
            return [_event(r) for r in (await conn.execute(query)).mappings()]

    async def counts(self) -> dict[str, int]:
        """Number of events per status."""
        query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
        async with self._engine.connect() as conn:
            return {str(s): int(n) for s, n in (await conn.execute(query)).all()}

    async def retry_dead(self, event_id: str, now: datetime) -> bool:
        """Put a dead-lettered event back in the queue with a fresh attempt budget."""
        stmt = (update(outbox).where(outbox.c.id == event_id, outbox.c.status == "dead")
                .values(status="pending", attempts=0, next_attempt_at=now))
        async with self._engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1
