"""Ticket events written to the outbox, and the payloads connectors receive."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, insert

from tickets.records import FindingRecord, RecordingRecord, SessionRecord, TicketRecord, TranscriptLine
from tickets.schema import outbox
from vocabulary import FindingFacts

FINDING_ATTACHED = "finding.attached"
SESSION_ENDED = "session.ended"
RECORDING_READY = "recording.ready"
SESSION_TRANSCRIPT = "session.transcript"
QUEUE_BREACH = "queue.breach"  # a help request waited past the target time to answer
TICKET_ERASED = "ticket.erased"  # personal data erased on request: receivers should erase their copies too
EVENT_TYPES = (FINDING_ATTACHED, SESSION_ENDED, RECORDING_READY, SESSION_TRANSCRIPT, QUEUE_BREACH, TICKET_ERASED)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_part(ticket: TicketRecord) -> dict[str, Any]:
    """The ticket as every event carries it."""
    return {"id": ticket.id, "title": ticket.title, "customer": ticket.customer,
            "external_ref": ticket.external_ref, "status": ticket.status}


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachedFinding(FindingFacts):
    """The finding in a finding.attached event: the snapshot travels by id (connectors load the bytes)."""

    snapshot_id: str
    snapshot_type: str


def finding_attached(ticket: TicketRecord, finding: FindingRecord) -> dict[str, Any]:
    """Payload of finding.attached."""
    # the record's fields by the event's names: what the store adds (path, ticket, dismissal) stays out
    fields = {f.name: getattr(finding, f.name) for f in dataclasses.fields(AttachedFinding)}
    return {"ticket": ticket_part(ticket), "session_id": finding.session_id,
            "finding": {k: _iso(v) if isinstance(v, datetime) else v for k, v in fields.items()}}


def session_ended(ticket: TicketRecord, session: SessionRecord, findings_count: int) -> dict[str, Any]:
    """Payload of session.ended."""
    return {
        "ticket": ticket_part(ticket),
        "session": {"id": session.id, "created_by": session.created_by, "created_at": _iso(session.created_at),
                    "ended_at": _iso(session.ended_at)},
        "findings_count": findings_count,
    }


def recording_ready(ticket: TicketRecord, recording: RecordingRecord) -> dict[str, Any]:
    """Payload of recording.ready."""
    return {
        "ticket": ticket_part(ticket),
        "session_id": recording.session_id,
        "recording": {"id": recording.id, "status": recording.status, "duration_s": recording.duration_s,
                      "size_bytes": recording.size_bytes, "finalised_at": _iso(recording.finalised_at)},
    }


def session_transcript(ticket: TicketRecord, session: SessionRecord, lines: list[TranscriptLine]) -> dict[str, Any]:
    """Payload of session.transcript: the chat of a session that ended (queued with session.ended)."""
    return {
        "ticket": ticket_part(ticket),
        "session_id": session.id,
        "messages": [{"id": line.id, "at": _iso(line.at), "offset_ms": line.offset_ms, "role": line.actor_role,
                      "name": line.actor_name, "text": line.text, "state": line.state} for line in lines],
    }


def outbox_insert(event_type: str, subject_id: str, payload: dict[str, Any], now: datetime) -> Insert:
    """The INSERT that queues one event; the key is stable so receivers can drop repeats."""
    return insert(outbox).values(
        id=uuid.uuid4().hex, type=event_type, payload=payload,
        idempotency_key=f"{event_type}:{subject_id}", status="pending", attempts=0,
        next_attempt_at=now, last_error=None, delivered_to=[], created_at=now, delivered_at=None,
    )
