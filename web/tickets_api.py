"""REST API for tickets (and, via the sibling *_api modules, sessions, findings, snapshots, recordings).

The composition root mounts `build_router(...)` and calls `install_problem_handlers(app)`.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from signaling.policy import POLICY, Action
from signaling.tokens import Claims, TokenService
from tickets.records import FindingRecord, RecordingRecord, SessionRecord
from tickets.store import TicketStore
from vocabulary import FindingView, TicketStatus
from web import (
    evidence_api,
    examples_api,
    findings_api,
    library_api,
    lifecycle_api,
    outbox_api,
    qr_api,
    recordings_api,
    session_events_api,
    sessions_api,
    tokens_api,
)
from web.auth import TokenAuth
from web.common_api import (
    ApiContext,
    AuditOut,
    ClipCutter,
    FindingHook,
    RecordingOut,
    RevokeHook,
    SessionEndedHook,
    SessionOut,
    TicketOut,
    TimelineItem,
    finding_view,
)
from web.problems import not_found

DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class TicketIn(BaseModel):
    """A new ticket."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    customer: str = Field("", max_length=300)
    external_ref: str | None = Field(None, max_length=200, description='e.g. "rt:123" links a Request Tracker ticket')
    device_family: str | None = Field(None, max_length=100, description="vendor family of the device, e.g. acme")
    device_model: str | None = Field(None, max_length=200)
    device_serial: str | None = Field(None, max_length=200)


class TicketPatch(BaseModel):
    """Changes to a ticket."""

    model_config = ConfigDict(extra="forbid")
    status: TicketStatus


class TicketPage(BaseModel):
    """A page of tickets; pass next_cursor as ?cursor= for the next one."""

    items: list[TicketOut]
    next_cursor: str | None


class TicketDetail(TicketOut):
    """A ticket with everything attached to it and its merged timeline (oldest first)."""

    sessions: list[SessionOut]
    findings: list[FindingView]
    recordings: list[RecordingOut]
    timeline: list[TimelineItem]


class MeOut(BaseModel):
    """Who the token belongs to."""

    role: str
    subject: str
    name: str
    session_id: str | None
    expires_at: datetime
    actions: list[str]  # what this role may do (signaling/policy.py): pages show only the controls it allows


def _utc(value: datetime | None) -> datetime | None:
    # a date picker sends no zone: read it as UTC rather than refusing
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def build_router(store: TicketStore, tokens: TokenService, *, base_url: str, join_ttl_s: int,
                 max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES, on_finding_attached: FindingHook | None = None,
                 on_finding_dismissed: FindingHook | None = None,
                 on_session_ended: SessionEndedHook | None = None,
                 recording_offset: Callable[[str], Awaitable[float | None]] | None = None,
                 revoke: RevokeHook | None = None, cut_clip: ClipCutter | None = None,
                 retention_days: int = 0, retention_interval_s: float = 3600.0) -> APIRouter:
    """All ticket REST routes under /api (hooks let the root announce manual findings and dismissals live)."""
    auth = TokenAuth(tokens)
    ctx = ApiContext(store=store, tokens=tokens, auth=auth, base_url=base_url.rstrip("/"), join_ttl_s=join_ttl_s,
                     max_upload_bytes=max_upload_bytes, on_finding_attached=on_finding_attached,
                     on_finding_dismissed=on_finding_dismissed, on_session_ended=on_session_ended,
                     recording_offset=recording_offset, revoke_hook=revoke, cut_clip=cut_clip,
                     retention_days=retention_days, retention_interval_s=retention_interval_s)
    router = APIRouter(prefix="/api")
    Reader = Annotated[Claims, Depends(auth.allow(Action.TICKETS_READ))]
    Writer = Annotated[Claims, Depends(auth.allow(Action.TICKETS_WRITE))]
    AnyRole = Annotated[Claims, Depends(auth.allow(Action.WHOAMI))]

    @router.get("/me", tags=["auth"])
    async def me(claims: AnyRole) -> MeOut:
        """Who the bearer token belongs to."""
        return MeOut(role=claims.role.value, subject=claims.subject, name=claims.name,
                     session_id=claims.session_id, expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
                     actions=sorted(a.value for a in POLICY.get(claims.role, frozenset())))

    @router.post("/tickets", status_code=201, tags=["tickets"])
    async def create_ticket(body: TicketIn, claims: Writer) -> TicketOut:
        """Open a ticket."""
        record = await store.create_ticket(body.title, customer=body.customer, external_ref=body.external_ref,
                                           created_by=claims.subject, device_family=body.device_family,
                                           device_model=body.device_model, device_serial=body.device_serial)
        return TicketOut.of(record)

    @router.get("/tickets", tags=["tickets"])
    async def list_tickets(
        claims: Reader,
        status: Annotated[TicketStatus | None, Query()] = None,
        q: Annotated[str | None, Query(max_length=200, description="Matches title, customer, external ref, id")] = None,
        created_from: Annotated[datetime | None, Query(description="Inclusive; UTC if no zone")] = None,
        created_to: Annotated[datetime | None, Query(description="Exclusive; UTC if no zone")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> TicketPage:
        """Tickets, newest first."""
        page = await store.list_tickets(status=status, q=q, created_from=_utc(created_from),
                                        created_to=_utc(created_to), limit=limit, cursor=cursor)
        return TicketPage(items=[TicketOut.of(t) for t in page.items], next_cursor=page.next_cursor)

    @router.get("/tickets/{ticket_id}", tags=["tickets"])
    async def get_ticket(ticket_id: str, claims: Reader) -> TicketDetail:
        """A ticket with its sessions, findings, recordings and timeline (the view is audited, see /audit)."""
        ticket = await store.get_ticket(ticket_id)
        if ticket is None:
            raise not_found("ticket")
        await store.audit(actor=claims.subject, action="viewed", ticket_id=ticket_id, target=f"ticket:{ticket_id}")
        timeline: list[TimelineItem] = []
        sessions: list[SessionOut] = []
        findings: list[FindingView] = []
        recordings: list[RecordingOut] = []
        for entry in await store.timeline(ticket_id):
            item = entry.item
            if isinstance(item, SessionRecord):
                sessions.append(SessionOut.of(item))
                timeline.append(TimelineItem(at=entry.at, kind="session", session=sessions[-1]))
            elif isinstance(item, FindingRecord):
                findings.append(finding_view(item))
                timeline.append(TimelineItem(at=entry.at, kind="finding", finding=findings[-1]))
            elif isinstance(item, RecordingRecord):
                recordings.append(RecordingOut.of(item))
                timeline.append(TimelineItem(at=entry.at, kind="recording", recording=recordings[-1]))
            else:
                timeline.append(TimelineItem(at=entry.at, kind="audit", audit=AuditOut.of(item)))
        return TicketDetail(**TicketOut.of(ticket).model_dump(), sessions=sessions, findings=findings,
                            recordings=recordings, timeline=timeline)

    @router.get("/tickets/{ticket_id}/audit", tags=["tickets"])
    async def ticket_audit(ticket_id: str, claims: Reader,
                           limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> list[AuditOut]:
        """The ticket's full audit log, views included, oldest first."""
        if await store.get_ticket(ticket_id) is None:
            raise not_found("ticket")
        return [AuditOut.of(a) for a in await store.list_audit(ticket_id=ticket_id, limit=limit)]

    @router.patch("/tickets/{ticket_id}", tags=["tickets"])
    async def patch_ticket(ticket_id: str, body: TicketPatch, claims: Writer) -> TicketOut:
        """Close or reopen a ticket."""
        return TicketOut.of(await store.set_ticket_status(ticket_id, body.status, actor=claims.subject))

    sessions_api.add_routes(router, ctx)
    session_events_api.add_routes(router, ctx)
    tokens_api.add_routes(router, ctx)
    findings_api.add_routes(router, ctx)
    examples_api.add_routes(router, ctx)
    recordings_api.add_routes(router, ctx)
    outbox_api.add_routes(router, ctx)
    qr_api.add_routes(router, ctx)
    library_api.add_routes(router, ctx)
    evidence_api.add_routes(router, ctx)
    lifecycle_api.add_routes(router, ctx)
    return router
