"""The one definition of each shared vocabulary and of the finding.

tickets, signaling, web and calls all speak of roles, statuses and findings, but the four leaf packages import
nothing of each other; this leaf (pydantic only, nothing of the project) is what they share. Add a word here once,
not one per package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

ParticipantRole = Literal["technician", "customer"]  # who is in a call
ActorRole = Literal["technician", "customer", "server"]  # who put an event on a call's record
TicketStatus = Literal["open", "closed"]
SessionStatus = Literal["active", "ended"]
RecordingStatus = Literal["recording", "finalised", "recovered", "empty", "deleted"]
FindingSource = Literal["live", "manual", "reanalysis", "scan"]
ChatState = Literal["sent", "delivered", "read"]  # stored by the server; reached the other page; shown there
ChatReceiptState = Literal["delivered", "read"]  # what a page says of a chat message it got
VideoPhase = Literal["off", "requested", "accepted", "active"]  # the customer's camera in a call
CallMedia = Literal["voice", "video"]  # how a customer asks to be helped
TechnicianPresence = Literal["available", "busy", "away"]  # a technician in the help queue
QueueRequestState = Literal["waiting", "assigned", "abandoned", "ended"]  # a customer's help request
CameraControl = Literal["torch", "zoom", "focus"]  # what a technician may change of the customer's camera
CameraControlState = Literal["requested", "applied", "unsupported", "failed", "undone"]  # how a change went
FocusMode = Literal["continuous", "single-shot", "manual"]
FreezeSource = Literal["still", "frame"]  # a frozen frame: a full-resolution still, or the decoded video frame

PARTICIPANT_ROLES: tuple[ParticipantRole, ...] = ("technician", "customer")
PLAYABLE_RECORDINGS: tuple[RecordingStatus, ...] = ("finalised", "recovered")  # the states with a file to watch


# The finding, listed once. Each layer adds what is its own: the store's NewFinding and FindingRecord
# (tickets/records.py), the API's and the technicians' WebSocket's FindingView (below), the connectors'
# finding.attached event (tickets.events.AttachedFinding). Standard dataclasses, so the store keeps plain records;
# FindingView is a pydantic dataclass over them, validated at the edge.


@dataclass(frozen=True, kw_only=True)
class FindingReading:
    """What a finding says: the code read, its catalog entry, what was read and how sure, where in the call."""

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
    offset_s: Annotated[float | None, Field(description="Seconds into the session recording")]
    source: FindingSource
    note: str


@dataclass(frozen=True, kw_only=True)
class FindingFacts(FindingReading):
    """A finding once stored: its id, who attached it and when (what the connectors' event carries)."""

    id: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class TicketFinding(FindingFacts):
    """A stored finding on its ticket and session, and whether a technician dismissed it."""

    ticket_id: str
    session_id: str
    dismissed: bool
    dismissed_by: str | None
    dismissed_reason: str | None
    dismissed_at: datetime | None


@pydantic_dataclass(frozen=True, kw_only=True)
class FindingView(TicketFinding):
    """A finding as the REST API and the technicians' WebSocket show it; the image is at snapshot_url (technician
    token, header or ?token=)."""

    snapshot_url: str
