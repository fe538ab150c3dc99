"""Shared pieces of the ticket REST API: response models, record->model converters, router context."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from pydantic import BaseModel

from signaling.revocation import Revocation
from signaling.tokens import TokenService
from tickets.records import (
    AuditRecord,
    FindingRecord,
    RecordingRecord,
    SessionRecord,
    TicketRecord,
    TimelineKind,
)
from tickets.store import TicketStore
from vocabulary import FindingView, RecordingStatus, SessionStatus, TicketFinding, TicketStatus
from web.auth import TokenAuth

FindingHook = Callable[[FindingRecord], Awaitable[None]]
SessionEndedHook = Callable[[str, str], Awaitable[None]]  # (session id, actor): close the live call
RevokeHook = Callable[[Revocation, str, str | None], Awaitable[None]]  # (revocation, actor, session id)
# (recording plaintext, clip out, start s, end s, webm?) -> where the clip really starts (a keyframe); blocking;
# ValueError when the range holds nothing. The root passes media's stream-copy cutter.
ClipCutter = Callable[[BinaryIO, BinaryIO, float, float, bool], float]


@dataclass(frozen=True, slots=True)
class ApiContext:
    """What every sub-router needs."""

    store: TicketStore
    tokens: TokenService
    auth: TokenAuth
    base_url: str
    join_ttl_s: int
    max_upload_bytes: int
    on_finding_attached: FindingHook | None
    on_finding_dismissed: FindingHook | None
    on_session_ended: SessionEndedHook | None = None
    recording_offset: Callable[[str], Awaitable[float | None]] | None = None  # session -> seconds into its live recording
    revoke_hook: RevokeHook | None = None  # store + apply on every node; None: store and apply in this process
    cut_clip: ClipCutter | None = None
    retention_days: int = 0  # the retention policy the root runs (0: keep everything)
    retention_interval_s: float = 3600.0

    async def revoke(self, revocation: Revocation, actor: str, session_id: str | None = None) -> None:
        """Revoke a token family or a session's customer tokens."""
        if self.revoke_hook is not None:
            await self.revoke_hook(revocation, actor, session_id)
            return
        await self.store.add_revocation(kind=revocation.kind, value=revocation.value,
                                        expires_at=revocation.expires_at, reason=revocation.reason, actor=actor,
                                        session_id=session_id)
        self.tokens.revocations.add(revocation)


class TicketOut(BaseModel):
    """A ticket."""

    id: str
    title: str
    customer: str
    external_ref: str | None
    status: TicketStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    device_family: str | None = None
    device_model: str | None = None
    device_serial: str | None = None
    legal_hold: bool = False

    @classmethod
    def of(cls, r: TicketRecord) -> TicketOut:
        """From a store record."""
        return cls.model_validate(r, from_attributes=True)  # by field name


class SessionOut(BaseModel):
    """A support session as technicians see it."""

    id: str
    ticket_id: str
    status: SessionStatus
    created_by: str
    created_at: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, r: SessionRecord) -> SessionOut:
        """From a store record."""
        return cls.model_validate(r, from_attributes=True)  # by field name


def finding_view(r: FindingRecord) -> FindingView:
    """A stored finding as the API and the technicians' WebSocket show it (the file path stays on the server)."""
    # the record's fields by name (the snapshot's path and id are not in the view and stay out)
    fields = {f.name: getattr(r, f.name) for f in dataclasses.fields(TicketFinding)}
    return FindingView(**fields, snapshot_url=f"/api/snapshots/{r.snapshot_id}")


class RecordingOut(BaseModel):
    """Recording metadata; the media is at file_url (technician token, Range requests supported)."""

    id: str
    session_id: str
    ticket_id: str
    status: RecordingStatus
    duration_s: float | None
    size_bytes: int | None
    file_url: str
    poster_url: str | None
    created_at: datetime
    finalised_at: datetime | None

    @classmethod
    def of(cls, r: RecordingRecord) -> RecordingOut:
        """From a store record."""
        return cls(id=r.id, session_id=r.session_id, ticket_id=r.ticket_id, status=r.status,
                   duration_s=r.duration_s, size_bytes=r.size_bytes, file_url=f"/api/recordings/{r.id}/file",
                   poster_url=f"/api/recordings/{r.id}/poster" if r.poster_path else None,
                   created_at=r.created_at, finalised_at=r.finalised_at)


class AuditOut(BaseModel):
    """One audit line."""

    id: int
    at: datetime
    actor: str
    action: str
    session_id: str | None
    target: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, r: AuditRecord) -> AuditOut:
        """From a store record."""
        return cls.model_validate(r, from_attributes=True)  # by field name


class TimelineItem(BaseModel):
    """One entry of a ticket's timeline; exactly the field named by `kind` is set."""

    at: datetime
    kind: TimelineKind
    session: SessionOut | None = None
    finding: FindingView | None = None
    recording: RecordingOut | None = None
    audit: AuditOut | None = None
