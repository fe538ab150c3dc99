"""The one definition of each shared vocabulary and of the finding as pages see it.

tickets, signaling, web and calls all speak of roles, statuses and findings, but the four leaf packages import
nothing of each other; this leaf (pydantic only, nothing of the project) is what they share. Add a word here once,
not one per package.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

ParticipantRole = Literal["technician", "customer"]  # who is in a call
ActorRole = Literal["technician", "customer", "server"]  # who put an event on a call's record
TicketStatus = Literal["open", "closed"]
SessionStatus = Literal["active", "ended"]
RecordingStatus = Literal["recording", "finalised", "recovered", "empty", "deleted"]
FindingSource = Literal["live", "manual", "reanalysis", "scan"]
ChatState = Literal["sent", "delivered", "read"]  # stored by the server; reached the other page; shown there
VideoPhase = Literal["off", "requested", "accepted", "active"]  # the customer's camera in a call

PARTICIPANT_ROLES: tuple[ParticipantRole, ...] = ("technician", "customer")


class FindingFacts(BaseModel):
    """What a finding says, the same for every reader outside the store: the API and the technicians' WebSocket
    (`FindingView`) and the connectors' finding.attached event (`tickets.events.AttachedFinding`), which each add
    where the snapshot is and their own context. Built from the store's record by attribute names."""

    id: str
    code: str
    family: str
    title: str
    cause: str
    remedy: str
    severity: str
    known: bool
    text: str
    confidence: float
    frame_time: float | None
    offset_s: float | None = Field(description="Seconds into the session recording")
    source: FindingSource
    note: str
    created_by: str
    created_at: datetime


class FindingView(FindingFacts):
    """A finding as the REST API and the technicians' WebSocket show it; the image is at snapshot_url (technician
    token, header or ?token=)."""

    ticket_id: str
    session_id: str
    snapshot_url: str
    dismissed: bool
    dismissed_by: str | None
    dismissed_reason: str | None
    dismissed_at: datetime | None
