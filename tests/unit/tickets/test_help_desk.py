"""Help links and help requests in the store: one commit per request, revocation, states, breach events, FCR."""

from __future__ import annotations

import pytest

from tickets.errors import ConflictError, InvalidInputError
from tickets.schema import utcnow
from tickets.store import TicketStore

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


async def test_a_request_creates_its_ticket_session_and_queue_row_with_the_device_and_words(
        store: TicketStore) -> None:
    desk = store.help_desk
    link = await desk.create_link(family="Printer", model="LaserJet 4000", serial="CN123", site="ACME Leeds",
                                  actor="sup1")
    assert link.family == "printer" and (await desk.get_link(link.id)) == link
    req = await desk.create_request(link, customer_name="Ann", description="Shows E52 and beeps\nsince Monday",
                                    media="video", language="EN", photo=JPEG)
    ticket = await store.get_ticket(req.ticket_id)
    assert ticket is not None and ticket.title == "LaserJet 4000 S/N CN123: Shows E52 and beeps"
    assert ticket.customer == "Ann" and ticket.external_ref == "ACME Leeds"
    assert (ticket.device_family, ticket.device_model, ticket.device_serial) == ("printer", "LaserJet 4000", "CN123")
    session = await store.get_session(req.session_id)
    assert session is not None and session.status == "active" and session.ticket_id == ticket.id
    assert desk.read_photo(str(req.photo)) == JPEG
    audit = [a for a in await store.list_audit(ticket_id=ticket.id) if a.action == "help_requested"]
    assert audit[0].detail["description"] == "Shows E52 and beeps\nsince Monday"
    assert audit[0].detail["serial"] == "CN123"
    assert [r.id for r in await desk.open_requests()] == [req.id]
    assert (await desk.request_of_session(req.session_id)) == req


async def test_bad_input_is_refused_and_leaves_nothing(store: TicketStore) -> None:
    desk = store.help_desk
    link = await desk.create_link(family="boiler", model="B1", actor="sup1")
    with pytest.raises(InvalidInputError, match="JPEG or PNG"):
        await desk.create_request(link, customer_name="Ann", description="", media="voice", photo=b"GIF89a....")
    with pytest.raises(InvalidInputError):
        await desk.create_request(link, customer_name="  ", description="", media="voice")
    with pytest.raises(InvalidInputError):
        await desk.create_request(link, customer_name="Ann", description="", media="fax")
    assert await desk.open_requests() == []
    assert (await store.list_tickets()).items == []


async def test_revoked_links_are_listed_apart(store: TicketStore) -> None:
    desk = store.help_desk
    a = await desk.create_link(family="boiler", model="B1", actor="sup1")
    b = await desk.create_link(family="boiler", model="B2", actor="sup1")
    revoked = await desk.revoke_link(a.id, actor="sup2")
    assert revoked.revoked_at is not None and revoked.revoked_by == "sup2"
    assert (await desk.revoke_link(a.id, actor="sup3")).revoked_by == "sup2"  # a second revoke changes nothing
    assert [link.id for link in await desk.list_links()] == [b.id]
    assert {link.id for link in await desk.list_links(include_revoked=True)} == {a.id, b.id}


async def test_states_breach_event_and_first_contact_resolution(store: TicketStore) -> None:
    desk = store.help_desk
    link = await desk.create_link(family="boiler", model="B1", actor="sup1")
    one = await desk.create_request(link, customer_name="Ann", description="cold", media="voice")
    two = await desk.create_request(link, customer_name="Bob", description="noisy", media="voice")
    await desk.raise_breach(one.id, waited_s=75.0, target_s=60.0)
    pending = await store.outbox.due(utcnow())
    assert [(e.type, e.payload["waited_s"], e.payload["ticket"]["id"]) for e in pending] == [
        ("queue.breach", 75.0, one.ticket_id)]
    await desk.save_state(one.id, state="assigned", technician_id="t1", callback_number="",
                          answered_at=one.enqueued_at + 80, breached=True)
    await desk.save_state(two.id, state="abandoned", technician_id="", callback_number="+1 555", answered_at=None,
                          breached=False)
    assert [r.id for r in await desk.open_requests()] == [one.id]
    actions = [a.action for a in await store.list_audit(ticket_id=one.ticket_id)]
    assert "help_target_breached" in actions and "help_answered" in actions
    await store.set_ticket_status(one.ticket_id, "closed", actor="t1")
    assert await desk.first_contact_resolution() == (1, 1)
    await store.create_session(two.ticket_id, created_by="t1")  # a second contact was needed
    await store.set_ticket_status(two.ticket_id, "closed", actor="t1")
    assert await desk.first_contact_resolution() == (2, 1)


async def test_erasing_the_ticket_erases_the_request_words_number_and_photo(store: TicketStore) -> None:
    desk = store.help_desk
    link = await desk.create_link(family="printer", model="P1", actor="sup1")
    req = await desk.create_request(link, customer_name="Ann", description="my flat is 4B", media="voice", photo=JPEG)
    await desk.save_state(req.id, state="waiting", technician_id="", callback_number="+44 20 7946 0000",
                          answered_at=None, breached=False)
    photo = desk.photos.path_of(str(req.photo))
    assert photo.exists()
    await store.lifecycle.erase_ticket(req.ticket_id, actor="sup1", reason="customer asked")
    erased = await desk.get_request(req.id)
    assert erased is not None and (erased.description, erased.callback_number, erased.photo) == ("", "", None)
    assert erased.customer_name != "Ann" and not photo.exists()
    requested = [a for a in await store.list_audit(ticket_id=req.ticket_id) if a.action == "help_requested"]
    assert requested and requested[0].detail == {}


async def test_a_request_is_assigned_once_a_second_assignment_is_a_conflict(store: TicketStore) -> None:
    desk = store.help_desk
    link = await desk.create_link(family="printer", model="P1", actor="sup1")
    req = await desk.create_request(link, customer_name="Ann", description="", media="voice")
    await desk.save_state(req.id, state="assigned", technician_id="t1", callback_number="",
                          answered_at=req.enqueued_at + 5, breached=False)
    # What a stale engine on another node would write: refused, and the first answer stays.
    with pytest.raises(ConflictError):
        await desk.save_state(req.id, state="assigned", technician_id="t2", callback_number="",
                              answered_at=req.enqueued_at + 6, breached=False)
    stored = await desk.get_request(req.id)
    assert stored is not None and stored.technician_id == "t1"
    assert [a.action for a in await store.list_audit(ticket_id=req.ticket_id)].count("help_answered") == 1


async def test_service_levels_per_queue_over_a_window_from_the_store(store: TicketStore) -> None:
    desk = store.help_desk
    printer = await desk.create_link(family="printer", model="P1", actor="sup1")
    boiler = await desk.create_link(family="boiler", model="B1", actor="sup1")
    fast = await desk.create_request(printer, customer_name="Ann", description="", media="voice")
    slow = await desk.create_request(printer, customer_name="Bob", description="", media="voice")
    gave_up = await desk.create_request(boiler, customer_name="Cem", description="", media="voice")
    await desk.create_request(boiler, customer_name="Dee", description="", media="voice")  # still waiting
    await desk.save_state(fast.id, state="assigned", technician_id="t1", callback_number="",
                          answered_at=fast.enqueued_at, breached=False)
    await desk.save_state(slow.id, state="assigned", technician_id="t2", callback_number="",
                          answered_at=slow.enqueued_at + 90, breached=True)
    await desk.save_state(fast.id, state="ended", technician_id="t1", callback_number="",
                          answered_at=fast.enqueued_at, breached=False)
    await desk.save_state(gave_up.id, state="abandoned", technician_id="", callback_number="", answered_at=None,
                          breached=False)
    await store.set_ticket_status(fast.ticket_id, "closed", actor="t1")
    tallies = await desk.service_levels(since=fast.enqueued_at - 1, target_s=60)
    p, b = tallies["printer"], tallies["boiler"]
    assert (p.answered, p.answered_within_target, p.breached, p.abandoned, p.waiting) == (2, 1, 1, 0, 0)
    assert p.answer_s == pytest.approx(90) and p.handled == 1 and p.handle_s >= 0
    assert (p.closed, p.closed_first_contact) == (1, 1)
    assert (b.answered, b.abandoned, b.waiting) == (0, 1, 1)
    assert await desk.service_levels(since=fast.enqueued_at + 3600, target_s=60) == {}  # outside the window
