"""Session routes: create a session (with the customer's join link), read its state, end it."""

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from signaling.policy import Action
from signaling.revocation import Revocation
from signaling.tokens import Claims, Role
from tickets.records import SessionRecord
from vocabulary import SessionStatus
from web.common_api import ApiContext, SessionOut
from web.problems import Problem, not_found


class SessionIn(BaseModel):
    """Options for a new session."""

    model_config = ConfigDict(extra="forbid")
    customer_name: str = Field("", max_length=100, description="Shown to the technician; default: the ticket's customer")


class SessionCreated(BaseModel):
    """A new session and the link the customer opens (token in the fragment, so proxies never log it)."""

    session: SessionOut
    join_link: str
    join_token: str
    join_expires_at: datetime


class ParticipantOut(BaseModel):
    """Someone who joined."""

    participant_id: str
    role: str
    name: str
    joined_at: datetime


class SessionDetail(SessionOut):
    """A session as technicians see it."""

    participants: list[ParticipantOut]


class CustomerSessionView(BaseModel):
    """All a customer learns about their own session."""

    id: str
    status: SessionStatus
    created_at: datetime
    ended_at: datetime | None


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the session routes on the /api router."""
    store = ctx.store
    Writer = Annotated[Claims, Depends(ctx.auth.allow(Action.TICKETS_WRITE))]
    SessionReader = Annotated[Claims, Depends(ctx.auth.allow(Action.SESSION_READ))]

    async def join(session: SessionRecord, name: str, actor: str) -> SessionCreated:
        """A new join link for the session; the previous one (and its rejoin tokens) is revoked."""
        token = ctx.tokens.issue_customer(session.id, name=name or "Customer", ttl_s=ctx.join_ttl_s)
        claims = ctx.tokens.verify(token)
        expires = datetime.fromtimestamp(claims.expires_at, UTC)
        await store.audit(actor=actor, action="join_link_issued", ticket_id=session.ticket_id, session_id=session.id,
                          target=f"session:{session.id}", detail={"expires_at": expires.isoformat()})
        previous = await store.replace_join_link(session.id, token_id=claims.family, expires_at=claims.expires_at,
                                                 issued_by=actor)
        if previous is not None:
            # Its rejoin tokens live up to the rejoin bound past the link's own expiry.
            until = max(previous[1], time.time()) + ctx.tokens.longest_lifetime_s
            await ctx.revoke(Revocation("token", previous[0], until, "new_link"), actor, session.id)
        return SessionCreated(session=SessionOut.of(session), join_link=f"{ctx.base_url}/join#token={token}",
                              join_token=token, join_expires_at=datetime.fromtimestamp(claims.expires_at, UTC))

    @router.post("/tickets/{ticket_id}/sessions", status_code=201, tags=["sessions"])
    async def create_session(ticket_id: str, claims: Writer, body: SessionIn | None = None) -> SessionCreated:
        """Start a support session for the ticket and get the customer's join link."""
        ticket = await store.get_ticket(ticket_id)
        if ticket is None:
            raise not_found("ticket")
        session = await store.create_session(ticket_id, created_by=claims.subject)
        return await join(session, (body.customer_name if body else "") or ticket.customer, claims.subject)

    @router.post("/sessions/{session_id}/join-link", tags=["sessions"])
    async def new_join_link(session_id: str, claims: Writer, body: SessionIn | None = None) -> SessionCreated:
        """A fresh customer link for an active session; the previous link stops working (on every node)."""
        session = await store.get_session(session_id)
        if session is None:
            raise not_found("session")
        if session.status != "active":
            raise Problem(409, "session-ended", "Conflict", "The session has ended; start a new one.")
        return await join(session, body.customer_name if body else "", claims.subject)

    @router.get("/sessions/{session_id}", tags=["sessions"], response_model=SessionDetail | CustomerSessionView)
    async def get_session(session_id: str, claims: SessionReader) -> SessionDetail | CustomerSessionView:
        """Session state: technicians see it all, a customer only their own session's status."""
        if claims.role is Role.CUSTOMER and claims.session_id != session_id:
            raise not_found("session")  # the same answer as for a session that does not exist
        session = await store.get_session(session_id)
        if session is None:
            raise not_found("session")
        if claims.role is Role.CUSTOMER:
            return CustomerSessionView(id=session.id, status=session.status, created_at=session.created_at,
                                       ended_at=session.ended_at)
        participants = [ParticipantOut(participant_id=p.participant_id, role=p.role, name=p.name,
                                       joined_at=p.joined_at) for p in await store.list_participants(session_id)]
        return SessionDetail(**SessionOut.of(session).model_dump(), participants=participants)

    @router.delete("/sessions/{session_id}/participants/{participant_id}", status_code=204, tags=["sessions"])
    async def remove_participant(session_id: str, participant_id: str, claims: Writer) -> None:
        """Remove someone from the call: their connection closes and the credential they joined with is revoked."""
        participant = await store.get_participant(session_id, participant_id)
        if participant is None:
            raise not_found("participant")
        if participant.token_family is None:
            raise Problem(409, "participant-unrevocable", "Conflict",
                          "This participant joined before credentials were revocable; end the session instead.")
        if participant.role == "technician" and participant.token_family == claims.family:
            raise Problem(409, "remove-self", "Conflict", "You cannot remove yourself; leave the call instead.")
        until = time.time() + ctx.tokens.longest_lifetime_s
        await ctx.revoke(Revocation("token", participant.token_family, until, "removed"), claims.subject, session_id)

    @router.post("/sessions/{session_id}/end", tags=["sessions"])
    async def end_session(session_id: str, claims: Writer) -> SessionOut:
        """End the session (repeating it is harmless); every customer token for it stops working."""
        await store.end_session(session_id, actor=claims.subject)
        await ctx.revoke(Revocation("session", session_id, time.time() + ctx.tokens.longest_lifetime_s,
                                    "session_ended"), claims.subject, session_id)
        if ctx.on_session_ended is not None:
            await ctx.on_session_ended(session_id, claims.subject)
        session = await store.get_session(session_id)
        assert session is not None
        return SessionOut.of(session)
