"""The session-event table: append validated events (with an audit line), list them, build transcripts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tickets.errors import ConflictError, InvalidInputError, NotFoundError
from tickets.records import SessionEventKind, SessionEventRecord, TranscriptLine
from tickets.schema import audit_log, session_events, sessions, utcnow
from tickets.session_events import UNAUDITED_KINDS, chat_states, is_kind, validate_payload
from vocabulary import ActorRole

ACTOR_ROLES: tuple[ActorRole, ...] = get_args(ActorRole)
MAX_LIST = 5000


class SessionEventLog:
    """Session events in the tickets database (TicketStore.session_events)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, session_id: str, kind: SessionEventKind | str, payload: Any, *, actor_role: ActorRole,
                  actor: str, actor_name: str = "", offset_ms: int | None = None,
                  at: datetime | None = None) -> SessionEventRecord:
        """Validate and store one event of an active session (audited as its kind, except receipts/positions)."""
        if not is_kind(kind):
            validate_payload(kind, payload)  # raises the error naming the known kinds
        stored = validate_payload(kind, payload)
        if actor_role not in ACTOR_ROLES:
            raise InvalidInputError("actor_role", f"must be one of {', '.join(ACTOR_ROLES)}")
        if offset_ms is not None and offset_ms < 0:
            raise InvalidInputError("offset_ms", "must not be negative")
        if not actor or len(actor) > 200:
            raise InvalidInputError("actor", "must be 1 to 200 characters")
        now = at or utcnow()
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(sessions.c.ticket_id, sessions.c.status)
                                      .where(sessions.c.id == session_id))).first()
            if row is None:
                raise NotFoundError("session", session_id)
            if row.status != "active":
                raise ConflictError(f"session {session_id!r} has ended; nothing more is recorded for it")
            values = {"session_id": session_id, "ticket_id": row.ticket_id, "kind": kind, "payload": stored,
                      "actor_role": actor_role, "actor": actor, "actor_name": actor_name[:200], "at": now,
                      "offset_ms": offset_ms}
            result = await conn.execute(insert(session_events).values(**values))
            event_id = int(result.inserted_primary_key[0]) if result.inserted_primary_key else 0
            if kind not in UNAUDITED_KINDS:
                await conn.execute(insert(audit_log).values(
                    at=now, actor=actor, action=kind, ticket_id=row.ticket_id, session_id=session_id,
                    target=f"event:{event_id}", detail={"role": actor_role, "offset_ms": offset_ms}))
        return SessionEventRecord(id=event_id, **values)

    async def for_session(self, session_id: str, *, kinds: Iterable[str] = (), after_id: int = 0,
                   limit: int = MAX_LIST) -> list[SessionEventRecord]:
        """A session's events in the order they happened (only `kinds` if given; ids after `after_id`)."""
        wanted = list(kinds)
        for kind in wanted:
            if not is_kind(kind):
                validate_payload(kind, {})  # raises the error naming the known kinds
        if not 1 <= limit <= MAX_LIST:
            raise InvalidInputError("limit", f"must be between 1 and {MAX_LIST}")
        query = select(session_events).where(session_events.c.session_id == session_id,
                                             session_events.c.id > after_id)
        if wanted:
            query = query.where(session_events.c.kind.in_(wanted))
        async with self._engine.connect() as conn:
            return await _rows(conn, query.order_by(session_events.c.id).limit(limit))

    async def transcript(self, session_id: str) -> list[TranscriptLine]:
        """The session's chat, oldest first, each message with its furthest delivery state."""
        async with self._engine.connect() as conn:
            return await transcript_of(conn, session_id)


async def transcript_of(conn: AsyncConnection, session_id: str) -> list[TranscriptLine]:
    """The chat of a session inside an open connection (the store queues it with session.ended)."""
    query = (select(session_events).where(session_events.c.session_id == session_id,
                                          session_events.c.kind.in_(("chat", "chat_status")))
             .order_by(session_events.c.id))
    rows = await _rows(conn, query)
    states = chat_states([(int(e.payload["message_id"]), str(e.payload["state"]))
                          for e in rows if e.kind == "chat_status"])
    return [TranscriptLine(id=int(e.payload["message_id"]), at=e.at, offset_ms=e.offset_ms, actor_role=e.actor_role, actor=e.actor,
                           actor_name=e.actor_name, text=str(e.payload["text"]),
                           state=states.get(int(e.payload["message_id"]), "sent"))
            for e in rows if e.kind == "chat"]


async def _rows(conn: AsyncConnection, query: Any) -> list[SessionEventRecord]:
    return [SessionEventRecord(**r) for r in (await conn.execute(query)).mappings()]
