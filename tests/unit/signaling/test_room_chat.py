"""The room's chat rules, driven by events alone: numbering, echo, relay, receipts, history, refusals."""

import pytest
from pydantic import ValidationError

from signaling import messages as m
from signaling import room as r
from signaling.chat import MAX_KEPT, ChatLog, ChatRefused, clean_text


def sends(actions, to=None, kind=None):
    return [a.message for a in actions if isinstance(a, r.Send) and (to is None or a.to == to)
            and (kind is None or isinstance(a.message, kind))]


def records(actions):
    return [(a.kind, a.payload, a.actor) for a in actions if isinstance(a, r.Record)]


def room_with(*people):
    room = r.Room("s1", clock=lambda: 1_700_000_000.0)
    for pid, role, name in people:
        room.handle(r.Joined(pid, role, name))
    return room


def call():
    return room_with(("t1", "technician", "Tess"), ("c1", "customer", "Carl"), ("t2", "technician", "Tom"))


def test_a_message_is_recorded_first_then_echoed_to_its_sender_and_relayed_to_the_others():
    room = call()
    actions = room.handle(r.Said("c1", m.ChatSend(text="  Serial SN-4411\r\nphone +44 20 7946 0000 ", client_id="k1")))
    assert isinstance(actions[0], r.Record)
    assert records(actions) == [("chat", {"message_id": 1, "text": "Serial SN-4411\nphone +44 20 7946 0000"}, "c1")]
    echo = sends(actions, "c1", m.ChatMessage)[0]
    assert echo.client_id == "k1" and echo.message.state == "sent" and echo.message.at == 1_700_000_000.0
    for tech in ("t1", "t2"):
        relayed = sends(actions, tech, m.ChatMessage)[0]
        assert relayed.client_id is None  # only the sender learns its own client id back
        assert (relayed.message.message_id, relayed.message.role, relayed.message.name) == (1, "customer", "Carl")
    second = room.handle(r.Said("t1", m.ChatSend(text="Thanks", client_id="a")))
    assert sends(second, "c1", m.ChatMessage)[0].message.message_id == 2


@pytest.mark.parametrize(("text", "code"), [
    (" \n\t ", "empty_message"), ("\u200b\u202e", "empty_message"), ("x\n" * 41, "message_too_long")])
def test_refused_messages_get_an_error_and_leave_no_trace(text, code):
    room = call()
    actions = room.handle(r.Said("c1", m.ChatSend(text=text, client_id="k")))
    assert [(a.to, a.code, a.fatal) for a in actions if isinstance(a, r.Reject)] == [("c1", code, False)]
    assert not records(actions) and not sends(actions) and room.chat.history() == []
    accepted = room.handle(r.Said("c1", m.ChatSend(text="ok", client_id="k")))
    assert records(accepted)[0][1]["message_id"] == 1  # a refusal uses up no number


def test_wire_bounds_are_enforced_by_the_message_model():
    with pytest.raises(ValidationError):
        m.ChatSend(text="x" * (m.MAX_CHAT_CHARS + 1), client_id="k")
    with pytest.raises(ValidationError):
        m.ChatSend(text="hi", client_id="<b>")
    with pytest.raises(ValidationError):
        m.ChatReceipt(message_ids=[], state="read")


def test_invisible_characters_cannot_disguise_a_message():
    assert clean_text("call \u202e1234\u202c now\x07") == "call 1234 now"
    with pytest.raises(ChatRefused):
        clean_text("\x00\x01")


def test_receipts_advance_delivery_state_and_reach_the_others():
    room = call()
    room.handle(r.Said("t1", m.ChatSend(text="Press reset", client_id="k")))
    delivered = room.handle(r.Said("c1", m.ChatReceipt(message_ids=[1], state="delivered")))
    assert records(delivered) == [("chat_status", {"message_id": 1, "state": "delivered"}, "c1")]
    status = sends(delivered, "t1", m.ChatStatus)[0]
    assert (status.message_ids, status.state) == ([1], "delivered")
    assert not sends(delivered, "c1")
    read = room.handle(r.Said("c1", m.ChatReceipt(message_ids=[1, 1, 99], state="read")))
    assert records(read) == [("chat_status", {"message_id": 1, "state": "read"}, "c1")]
    # late or repeated receipts never move a message back, and are not recorded again
    assert room.handle(r.Said("c1", m.ChatReceipt(message_ids=[1], state="delivered"))) == []
    assert room.chat.entries[1].state == "read"


def test_only_the_other_side_can_deliver_or_read_a_message():
    room = call()
    room.handle(r.Said("t1", m.ChatSend(text="Note for Tom", client_id="k")))
    assert room.handle(r.Said("t2", m.ChatReceipt(message_ids=[1], state="read"))) == []
    assert room.chat.entries[1].state == "sent"


def test_rejoining_pages_get_the_history_with_states():
    room = call()
    room.handle(r.Said("t1", m.ChatSend(text="Hello", client_id="k")))
    room.handle(r.Said("c1", m.ChatReceipt(message_ids=[1], state="read")))
    room.handle(r.Said("c1", m.ChatSend(text="Hi", client_id="k")))
    room.handle(r.Left("c1"))
    actions = room.handle(r.Joined("c9", "customer", "Carl"))
    history = sends(actions, "c9", m.ChatHistory)[0].messages
    assert [(e.message_id, e.text, e.state, e.role) for e in history] == [
        (1, "Hello", "read", "technician"), (2, "Hi", "sent", "customer")]
    assert not sends(room_with(("t1", "technician", "T")).handle(r.Joined("c1", "customer", "C")), "c1", m.ChatHistory)


def test_a_seeded_log_continues_numbering_and_keeps_a_bounded_window():
    log = ChatLog()
    log.seed([m.ChatEntry(message_id=7, from_id="c-old", role="customer", name="Carl", text="earlier", state="read",
                          at=1.0)])
    assert log.post("t1", "technician", "Tess", "next", 2.0).message_id == 8
    for i in range(MAX_KEPT + 5):
        log.post("t1", "technician", "Tess", f"m{i}", 3.0)
    assert len(log.history()) == MAX_KEPT and log.history()[-1].text == f"m{MAX_KEPT + 4}"


def test_chat_after_the_session_ended_is_refused():
    room = call()
    room.handle(r.Said("t1", m.Bye(end_session=True)))
    actions = room.handle(r.Said("c1", m.ChatSend(text="hello?", client_id="k")))
    assert [a.code for a in actions if isinstance(a, r.Reject)] == ["session_ended"]


def test_a_participant_sending_too_fast_is_told_to_wait_and_nothing_is_stored():
    now = [1000.0]
    room = r.Room("s1", clock=lambda: now[0])
    room.handle(r.Joined("t1", "technician", "Tess"))
    room.handle(r.Joined("c1", "customer", "Carl"))
    burst = [room.handle(r.Said("c1", m.ChatSend(text=f"line {i}", client_id="k"))) for i in range(9)]
    assert all(records(a) for a in burst[:8])
    assert [(a.code, a.fatal) for a in burst[8] if isinstance(a, r.Reject)] == [("chat_rate_limited", False)]
    assert not records(burst[8]) and len(room.chat.history()) == 8
    assert records(room.handle(r.Said("t1", m.ChatSend(text="others still can", client_id="k"))))
    now[0] += 1.5
    assert records(room.handle(r.Said("c1", m.ChatSend(text="after a moment", client_id="k"))))


def test_a_message_that_could_not_be_recorded_is_forgotten():
    room = call()
    room.handle(r.Said("c1", m.ChatSend(text="kept", client_id="k")))
    room.handle(r.Said("c1", m.ChatSend(text="lost", client_id="k")))
    room.chat.forget(2)  # what the call manager does when the store refused message 2
    assert [e.text for e in room.chat.history()] == ["kept"]
    assert records(room.handle(r.Said("c1", m.ChatSend(text="next", client_id="k"))))[0][1]["message_id"] == 3
