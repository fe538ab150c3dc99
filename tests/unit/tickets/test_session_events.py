"""Session events: payload validation per kind, storage with audit lines, listing, transcripts to the outbox."""

from __future__ import annotations

from typing import Any

import pytest

from tickets import events
from tickets.errors import ConflictError, InvalidInputError, NotFoundError
from tickets.session_events import MAX_CHAT_CHARS, chat_states, validate_payload
from tickets.store import TicketStore


@pytest.mark.parametrize(("kind", "payload", "field"), [
    ("chat", {"message_id": 1, "text": ""}, "payload.text"),
    ("chat", {"message_id": 1, "text": "x" * (MAX_CHAT_CHARS + 1)}, "payload.text"),
    ("chat", {"message_id": 1, "text": "hi", "html": "<b>"}, "payload.html"),
    ("chat", {"message_id": 0, "text": "hi"}, "payload.message_id"),
    ("chat_status", {"message_id": 3, "state": "sent"}, "payload.state"),
    ("annotation", {"mark_id": "m1", "shape": "arrow", "points": [[0.2, 1.5]]}, "payload.points.0.1"),
    ("annotation", {"mark_id": "m1", "shape": "arrow", "points": []}, "payload.points"),
    ("annotation", {"mark_id": "m 1", "shape": "box", "points": [[0, 0]]}, "payload.mark_id"),
    ("annotation", {"mark_id": "m1", "shape": "star", "points": [[0, 0]]}, "payload.shape"),
    ("annotation", {"mark_id": "m1", "shape": "box", "points": [[0, 0]], "colour": "red;x"}, "payload.colour"),
    ("annotation", {"mark_id": "m1", "shape": "box", "points": [[0, 0]] * 513}, "payload.points"),
    ("annotation_clear", {"mark_ids": ["ok", "<script>"]}, "payload.mark_ids.1"),
    ("freeze", {"freeze_id": "f1", "width": 0}, "payload.width"),
    ("camera_control", {"control": "zoom", "state": "requested", "value": True}, "payload"),
    ("camera_control", {"control": "torch", "state": "requested", "value": 2.0}, "payload"),
    ("camera_control", {"control": "zoom", "state": "requested", "value": 5000}, "payload"),
    ("camera_control", {"control": "focus", "state": "applied", "value": "blurry"}, "payload.value"),
    ("camera_capabilities", {"zoom": {"min": 1, "max": -2}}, "payload.zoom.max"),
    ("teleport", {}, "kind"),
])
def test_bad_payloads_are_refused_naming_the_field(kind: str, payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        validate_payload(kind, payload)
    assert err.value.field.startswith(field)


def test_good_payloads_come_back_with_defaults_filled() -> None:
    said = {"message_id": 7, "text": "serial SN-4411 <b>"}
    assert validate_payload("chat", said) == said
    mark = validate_payload("annotation", {"mark_id": "m1", "shape": "arrow", "points": [[0.1, 0.2], [0.5, 0.5]]})
    assert mark == {"mark_id": "m1", "shape": "arrow", "points": [[0.1, 0.2], [0.5, 0.5]], "colour": "#ff3b30",
                    "freeze_id": None}
    assert validate_payload("annotation_clear", {}) == {"mark_ids": [], "reason": "clear"}
    focus = validate_payload("camera_control", {"control": "focus", "state": "requested", "value": [0.3, 0.7]})
    assert focus["value"] == [0.3, 0.7]
    zoom = validate_payload("camera_control", {"control": "zoom", "state": "applied", "value": 2.5})
    assert zoom["value"] == 2.5
    torch = validate_payload("camera_control", {"control": "torch", "state": "undone", "value": False})
    assert torch["value"] is False


def test_chat_state_is_the_furthest_receipt_in_any_order() -> None:
    assert chat_states([(1, "read"), (1, "delivered"), (2, "delivered")]) == {1: "read", 2: "delivered"}
    assert chat_states([], {5: "delivered"}) == {5: "delivered"}


async def _session(store: TicketStore) -> tuple[str, str]:
    ticket = await store.create_ticket("Boiler F28", created_by="tech-1")
    session = await store.create_session(ticket.id, created_by="tech-1")
    return ticket.id, session.id


async def test_events_are_stored_in_order_with_audit_lines(store: TicketStore) -> None:
    ticket_id, session_id = await _session(store)
    log = store.session_events
    said = await log.add(session_id, "chat", {"message_id": 1, "text": "The serial is SN-4411"}, actor_role="customer",
                         actor="c-1", actor_name="Ann", offset_ms=1200)
    mark = await log.add(session_id, "annotation", {"mark_id": "m1", "shape": "circle",
                                                    "points": [[0.5, 0.5], [0.6, 0.6]]},
                         actor_role="technician", actor="t-1", actor_name="Tina", offset_ms=2500)
    await log.add(session_id, "annotation_update", {"mark_id": "m1", "points": [[0.4, 0.5]], "visible": False},
                  actor_role="server", actor="server", offset_ms=2600)
    await log.add(session_id, "chat_status", {"message_id": 1, "state": "read"}, actor_role="technician",
                  actor="t-1")
    listed = await log.for_session(session_id)
    assert [e.kind for e in listed] == ["chat", "annotation", "annotation_update", "chat_status"]
    assert listed[0] == said and listed[1] == mark and said.ticket_id == ticket_id
    assert [e.id for e in await log.for_session(session_id, kinds=["annotation"])] == [mark.id]
    assert [e.kind for e in await log.for_session(session_id, after_id=mark.id)] == ["annotation_update", "chat_status"]
    audit = [(a.action, a.target, a.actor) for a in await store.list_audit(session_id=session_id)]
    assert ("chat", f"event:{said.id}", "c-1") in audit and ("annotation", f"event:{mark.id}", "t-1") in audit
    assert not any(action in ("chat_status", "annotation_update") for action, _, _ in audit)
    transcript = await log.transcript(session_id)
    assert [(line.text, line.state, line.actor_name, line.offset_ms) for line in transcript] == [
        ("The serial is SN-4411", "read", "Ann", 1200)]


async def test_refusals_store_nothing(store: TicketStore) -> None:
    _, session_id = await _session(store)
    log = store.session_events
    with pytest.raises(InvalidInputError):
        await log.add(session_id, "chat", {"text": ""}, actor_role="customer", actor="c-1")
    with pytest.raises(InvalidInputError):
        await log.add(session_id, "chat", {"message_id": 1, "text": "hi"}, actor_role="admin", actor="c-1")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        await log.add(session_id, "chat", {"message_id": 1, "text": "hi"}, actor_role="customer", actor="c-1", offset_ms=-1)
    with pytest.raises(InvalidInputError):
        await log.for_session(session_id, kinds=["nope"])
    with pytest.raises(NotFoundError):
        await log.add("missing", "chat", {"message_id": 1, "text": "hi"}, actor_role="customer", actor="c-1")
    assert await log.for_session(session_id) == []
    await store.end_session(session_id, actor="tech-1")
    with pytest.raises(ConflictError):
        await log.add(session_id, "chat", {"message_id": 1, "text": "too late"}, actor_role="customer", actor="c-1")


async def test_ending_a_session_queues_its_transcript_once(store: TicketStore) -> None:
    ticket_id, session_id = await _session(store)
    _, quiet = await _session(store)
    await store.session_events.add(session_id, "chat", {"message_id": 1, "text": "Hold the reset button"},
                                           actor_role="technician", actor="t-1", actor_name="Tina")
    await store.session_events.add(session_id, "chat_status", {"message_id": 1, "state": "delivered"},
                                   actor_role="customer", actor="c-1")
    await store.session_events.add(session_id, "chat", {"message_id": 2, "text": "Done, see https://example.org/x"},
                                   actor_role="customer", actor="c-1", actor_name="Ann", offset_ms=64_000)
    await store.end_session(session_id, actor="tech-1")
    await store.end_session(session_id, actor="tech-1")
    await store.end_session(quiet, actor="tech-1")
    pending = await store.outbox.list(limit=50)
    transcripts = [e for e in pending if e.type == events.SESSION_TRANSCRIPT]
    assert len(transcripts) == 1  # none for the session without chat, one despite the repeated end
    payload = transcripts[0].payload
    assert payload["ticket"]["id"] == ticket_id and payload["session_id"] == session_id
    assert [(m["role"], m["name"], m["text"], m["state"], m["offset_ms"]) for m in payload["messages"]] == [
        ("technician", "Tina", "Hold the reset button", "delivered", None),
        ("customer", "Ann", "Done, see https://example.org/x", "sent", 64_000)]


def test_request_tracker_gets_the_transcript_as_one_plain_comment() -> None:
    from datetime import UTC, datetime

    from tickets.connectors.base import Delivery
    from tickets.connectors.rt import comment_text
    from tickets.records import OutboxEvent

    now = datetime.now(UTC)
    payload = {"ticket": {"id": "t"}, "session_id": "s1", "messages": [
        {"id": 1, "at": now.isoformat(), "offset_ms": 75_000, "role": "customer", "name": "Ann", "text": "SN-4411",
         "state": "read"},
        {"id": 2, "at": now.isoformat(), "offset_ms": None, "role": "technician", "name": "", "text": "Thanks",
         "state": "sent"}]}
    event = OutboxEvent(id="e", type=events.SESSION_TRANSCRIPT, payload=payload,
                        idempotency_key="session.transcript:s1", status="pending", attempts=0, next_attempt_at=now,
                        last_error=None, delivered_to=[], created_at=now, delivered_at=None)
    subject, body = comment_text(Delivery(event))
    assert subject == "lensdesk chat transcript"
    assert "[01:15 into the recording] Ann (customer): SN-4411" in body
    assert "[not recorded] technician (technician): Thanks" in body
    assert body.rstrip().endswith("session.transcript:s1")


def test_request_tracker_gets_a_breach_as_a_sentence() -> None:
    from datetime import UTC, datetime

    from tickets.connectors.base import Delivery
    from tickets.connectors.rt import comment_text
    from tickets.records import OutboxEvent

    now = datetime.now(UTC)
    payload = {"ticket": {"id": "t", "external_ref": "rt:7"}, "session_id": "s1", "request_id": "r1",
               "waited_s": 75.4, "target_s": 60.0}
    event = OutboxEvent(id="e", type=events.QUEUE_BREACH, payload=payload, idempotency_key="queue.breach:r1",
                        status="pending", attempts=0, next_attempt_at=now, last_error=None, delivered_to=[],
                        created_at=now, delivered_at=None)
    subject, body = comment_text(Delivery(event))
    assert "target" in subject
    assert "request r1 has waited 75 s" in body and "target of 60 s" in body
