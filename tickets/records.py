"""Plain records the store hands out and takes in (no SQLAlchemy objects leave the store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from vocabulary import (
    ActorRole,
    ChatState,
    FindingReading,
    ParticipantRole,
    QueueRequestState,
    RecordingStatus,
    SessionStatus,
    TicketFinding,
    TicketStatus,
)

ExampleSource = Literal["dismissed", "manual"]  # a technician dismissed a finding / typed the code of a snapshot
TICKET_STATUSES: tuple[TicketStatus, ...] = get_args(TicketStatus)
OutboxStatus = Literal["pending", "delivered", "dead"]  # an event on its way to the connectors
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = get_args(OutboxStatus)
# What happened in a call, on the record (payload schemas per kind: tickets/session_events.py).
SessionEventKind = Literal["chat", "chat_status", "annotation", "annotation_update", "annotation_clear", "freeze",
                           "resume", "camera_control", "camera_capabilities"]


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """A support ticket."""

    id: str
    title: str
    customer: str
    external_ref: str | None
    status: TicketStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    device_family: str | None = None  # the device the ticket is about, when known
    device_model: str | None = None
    device_serial: str | None = None
    legal_hold: bool = False  # retention and erasure leave it alone while set


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One support call linked to a ticket."""

    id: str
    ticket_id: str
    status: SessionStatus
    created_by: str
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class ParticipantRecord:
    """Someone who joined a session."""

    session_id: str
    participant_id: str
    role: ParticipantRole
    name: str
    joined_at: datetime
    token_family: str | None = None  # the credential family it joined with (revoked when it is removed)


@dataclass(frozen=True, slots=True)
class RevocationRecord:
    """A revoked token family ("token") or all customer tokens of a session ("session")."""

    id: int
    kind: str
    value: str
    expires_at: float
    reason: str
    actor: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NewFinding(FindingReading):
    """What diagnostics (or a technician) found, before it is stored."""

    snapshot_jpeg: bytes
    actor: str = "diagnostics"


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingRecord(TicketFinding):
    """A stored finding; its snapshot is served by snapshot_id, never by path."""

    snapshot_id: str
    snapshot_path: str
    snapshot_type: str


@dataclass(frozen=True, slots=True)
class ExampleRecord:
    """A labelled example from a technician's correction: an image and what it shows (or does not).

    truth is the code the image shows ("" when unknown); not_code is a code it does NOT show (the one a
    dismissed finding claimed; "" for a manual snapshot). The image is a file of its own under data_dir/examples.
    """

    id: str
    finding_id: str
    ticket_id: str
    session_id: str
    source: ExampleSource
    truth: str
    not_code: str
    image_path: str
    image_type: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RecordingRecord:
    """A session recording file and its state."""

    id: str
    session_id: str
    ticket_id: str
    path: str
    status: RecordingStatus
    duration_s: float | None
    size_bytes: int | None
    poster_path: str | None
    created_at: datetime
    finalised_at: datetime | None
    node_id: str | None = None  # the node that writes it (only that node recovers it after a crash)


@dataclass(frozen=True, slots=True)
class SessionEventRecord:
    """One event of a call: who (role, participant id, name), when (wall time; offset_ms into the session's
    recording when one was running), what (kind and its validated payload)."""

    id: int  # increasing: events of a session in id order are in the order they happened
    session_id: str
    ticket_id: str
    kind: SessionEventKind
    payload: dict[str, Any]
    actor_role: ActorRole
    actor: str
    actor_name: str
    at: datetime
    offset_ms: int | None


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One chat message of a session as the ticket shows it; state: how far it got (sent, delivered, read)."""

    id: int  # the message's number in its session (the chat payload's message_id)
    at: datetime
    offset_ms: int | None
    actor_role: ActorRole
    actor: str
    actor_name: str
    text: str
    state: ChatState


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One line of the audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    ticket_id: str | None
    session_id: str | None
    target: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """A ticket event waiting for (or done with) delivery to connectors."""

    id: str
    type: str
    payload: dict[str, Any]
    idempotency_key: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_to: list[str]
    created_at: datetime
    delivered_at: datetime | None


TimelineKind = Literal["session", "finding", "recording", "audit"]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One item of a ticket's timeline; `kind` says which record `item` is."""

    at: datetime
    kind: TimelineKind
    item: SessionRecord | FindingRecord | RecordingRecord | AuditRecord


@dataclass(frozen=True, slots=True)
class Page:
    """A page of results with the cursor for the next one (None at the end)."""

    items: list[Any] = field(default_factory=list)
    next_cursor: str | None = None


CatalogAction = Literal["created", "updated", "deleted"]


@dataclass(frozen=True, slots=True)
class CatalogEditRecord:
    """A technician's catalog entry (or, deleted, a tombstone hiding one); version orders all edits."""

    family: str
    code: str
    vendor: str
    device: str
    title: str
    cause: str
    remedy: str
    severity: str
    deleted: bool
    version: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class UncataloguedCode:
    """A code findings reported that no catalog entry explains yet."""

    code: str
    count: int  # findings (not dismissed, not manual) with this code
    sessions: int
    first_seen: datetime
    last_seen: datetime
    snapshot_id: str  # of the latest such finding
    family_guess: str  # the reader's guess from the code's shape, "" if none




@dataclass(frozen=True, slots=True)
class HelpLinkRecord:
    """A device help link (printed as a QR sticker): the device it asks help for."""

    id: str
    family: str
    model: str
    serial: str
    site: str
    label: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None


@dataclass(frozen=True, slots=True)
class QueueRequestRecord:
    """A customer's request for help as stored (the queue's state survives a restart from these)."""

    id: str
    help_link_id: str
    ticket_id: str
    session_id: str
    customer_name: str
    description: str
    media: str
    language: str
    photo: str | None
    callback_number: str
    state: QueueRequestState
    technician_id: str
    enqueued_at: float
    answered_at: float | None
    ended_at: float | None
    breached: bool
