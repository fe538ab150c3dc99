"""Participant rows and their "joined" audit lines, committed in groups: joins that arrive while a commit is under
way share the next one. Each join still returns only once its own rows are committed (the durability of one
transaction per join), but a burst of joins costs one transaction, not one each (measured: the database work was
the largest part of a join's CPU)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tickets.schema import audit_log, participants

log = logging.getLogger(__name__)

MAX_GROUP = 64  # rows per commit: a larger group only makes its first join wait longer


@dataclass
class ParticipantRow:
    """One join to record: its participant row and audit line."""

    session_id: str
    ticket_id: str
    participant_id: str
    role: str
    name: str
    token_family: str | None
    at: datetime
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class ParticipantRows:
    """Group commits of joins' rows (a re-join of the same participant id updates its name, role and family)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pending: list[ParticipantRow] = []
        self._writer: asyncio.Task[None] | None = None
        self.commits = 0  # transactions made, for the tests and the bench

    async def add(self, row: ParticipantRow) -> None:
        """Record the join; returns once it is committed (raises what its own insert raised)."""
        self._pending.append(row)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="participant-rows")
        await asyncio.shield(row.done)

    async def _write(self) -> None:
        while self._pending:
            group, self._pending = self._pending[:MAX_GROUP], self._pending[MAX_GROUP:]
            try:
                async with self._engine.begin() as conn:
                    await self._insert(conn, group)
                self.commits += 1
            except Exception:
                # One bad row (e.g. its session is gone) must not fail the others: each on its own.
                for row in group:
                    try:
                        async with self._engine.begin() as conn:
                            await self._insert(conn, [row])
                        self.commits += 1
                    except Exception as exc:
                        if not row.done.done():
                            row.done.set_exception(exc)
                            row.done.exception()  # retrieved here too: its caller may have gone
                for row in group:
                    if not row.done.done():
                        row.done.set_result(None)
                continue
            for row in group:
                if not row.done.done():
                    row.done.set_result(None)

    async def _insert(self, conn: AsyncConnection, group: list[ParticipantRow]) -> None:
        upsert: Any = postgresql.insert(participants) if conn.dialect.name == "postgresql" \
            else sqlite.insert(participants)
        upsert = upsert.on_conflict_do_update(
            index_elements=[participants.c.session_id, participants.c.participant_id],
            set_={"name": upsert.excluded.name, "role": upsert.excluded.role,
                  "token_family": upsert.excluded.token_family})
        await conn.execute(upsert, [{"session_id": r.session_id, "participant_id": r.participant_id, "role": r.role,
                                     "name": r.name, "joined_at": r.at, "token_family": r.token_family}
                                    for r in group])
        await conn.execute(insert(audit_log), [{"at": r.at, "actor": r.participant_id, "action": "joined",
                                                "ticket_id": r.ticket_id, "session_id": r.session_id,
                                                "target": f"session:{r.session_id}",
                                                "detail": {"role": r.role, "name": r.name}} for r in group])
