"""Session-event routes: a session's events (chat, marks, freezes, camera changes) and a ticket's chat transcript."""

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from signaling.policy import Action
from signaling.tokens import Claims
from tickets.errors import InvalidInputError
from tickets.records import SessionEventKind, SessionEventRecord, TranscriptLine
from tickets.session_event_log import MAX_LIST
from vocabulary import ActorRole, ChatState, SessionStatus
from web.common_api import ApiContext
from web.problems import not_found
from web.sealed_media import private_image


class SessionEventOut(BaseModel):
    """One event of a call; offset_ms is its moment in the session's recording (null: nothing was recording)."""

    id: int
    session_id: str
    kind: SessionEventKind
    payload: dict[str, Any]
    actor_role: ActorRole
    actor: str
    actor_name: str
    at: datetime
    offset_ms: int | None = Field(description="Milliseconds into the session recording")

    @classmethod
    def of(cls, r: SessionEventRecord) -> "SessionEventOut":
        """From a store record."""
        return cls.model_validate(r, from_attributes=True)  # by field name


class TranscriptMessage(BaseModel):
    """One chat message: who wrote it, when, and how far it got (sent, delivered, read)."""

    id: int
    at: datetime
    offset_ms: int | None
    role: ActorRole
    name: str
    text: str = Field(description="Plain text: render it as text, never as HTML")
    state: ChatState

    @classmethod
    def of(cls, line: TranscriptLine) -> "TranscriptMessage":
        """From a store record."""
        return cls(id=line.id, at=line.at, offset_ms=line.offset_ms, role=line.actor_role, name=line.actor_name,
                   text=line.text, state=line.state)


class SessionTranscript(BaseModel):
    """The chat of one session."""

    session_id: str
    status: SessionStatus
    messages: list[TranscriptMessage]


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the session-event routes on the /api router."""
    store = ctx.store
    Reader = Annotated[Claims, Depends(ctx.auth.allow(Action.TICKETS_READ))]
    MediaReader = Annotated[Claims, Depends(ctx.auth.allow(Action.MEDIA_READ, media=True))]

    @router.get("/sessions/{session_id}/events", tags=["sessions"])
    async def session_events(
        session_id: str,
        claims: Reader,
        kind: Annotated[list[SessionEventKind] | None, Query(description="Only these kinds (repeat the parameter)")]
        = None,
        after: Annotated[int, Query(ge=0, description="Only events with a larger id (for polling)")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = MAX_LIST,
    ) -> list[SessionEventOut]:
        """The session's events in the order they happened (the view is audited)."""
        session = await store.get_session(session_id)
        if session is None:
            raise not_found("session")
        found = await store.session_events.for_session(session_id, kinds=kind or (), after_id=after, limit=limit)
        await store.audit(actor=claims.subject, action="viewed", ticket_id=session.ticket_id, session_id=session_id,
                          target=f"session_events:{session_id}")
        return [SessionEventOut.of(e) for e in found]

    @router.get("/sessions/{session_id}/freezes/{freeze_id}/image", tags=["sessions"], response_class=Response,
                responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
    async def freeze_image(session_id: str, freeze_id: str, claims: MediaReader) -> Response:
        """The image a freeze showed (its full-resolution still once that replaced the video frame), for the
        review; technician token in the header or ?token=; the view is audited."""
        session = await store.get_session(session_id)
        if session is None:
            raise not_found("session")
        shown = [e for e in await store.session_events.for_session(session_id, kinds=("freeze",))
                 if e.payload.get("freeze_id") == freeze_id and e.payload.get("image_file")]
        if not shown:
            raise not_found("freeze image")
        file_name = str(shown[-1].payload["image_file"])  # the latest: the still, if one replaced the frame
        try:
            path = store.freezes.path_of(file_name)
        except InvalidInputError:
            raise not_found("freeze image") from None
        if not await asyncio.to_thread(path.is_file):
            raise not_found("freeze image")
        await store.audit(actor=claims.subject, action="viewed", ticket_id=session.ticket_id, session_id=session_id,
                          target=f"freeze:{session_id}/{freeze_id}")
        media_type = "image/png" if file_name.endswith(".png") else "image/jpeg"
        return await private_image(path, store.at_rest_key, media_type)

    @router.get("/tickets/{ticket_id}/transcript", tags=["tickets"])
    async def ticket_transcript(ticket_id: str, claims: Reader) -> list[SessionTranscript]:
        """The chat of each of the ticket's sessions, oldest session first (the view is audited)."""
        if await store.get_ticket(ticket_id) is None:
            raise not_found("ticket")
        out = [SessionTranscript(session_id=s.id, status=s.status,
                                 messages=[TranscriptMessage.of(line)
                                           for line in await store.session_events.transcript(s.id)])
               for s in await store.list_sessions(ticket_id)]
        await store.audit(actor=claims.subject, action="viewed", ticket_id=ticket_id,
                          target=f"transcript:{ticket_id}")
        return out
