"""The room state machine, driven by events alone (no sockets)."""

from signaling import messages as m
from signaling import room as r


def sends(actions, to=None, kind=None):
    return [a.message for a in actions if isinstance(a, r.Send) and (to is None or a.to == to)
            and (kind is None or isinstance(a.message, kind))]


def rejects(actions):
    return [a for a in actions if isinstance(a, r.Reject)]


def joined_room():
    room = r.Room("s1")
    room.handle(r.Joined("t1", "technician", "Tess"))
    room.handle(r.Joined("c1", "customer", "Carl"))
    return room


def test_join_welcomes_and_announces():
    room = r.Room("s1")
    a1 = room.handle(r.Joined("t1", "technician", "Tess"))
    welcome = sends(a1, "t1", m.Welcome)[0]
    assert welcome.participants == [] and welcome.video == "off" and welcome.recording
    a2 = room.handle(r.Joined("c1", "customer", "Carl"))
    assert [p.id for p in sends(a2, "c1", m.Welcome)[0].participants] == ["t1"]
    assert sends(a2, "t1", m.ParticipantJoined)[0].participant.role == "customer"
    assert not any(isinstance(a, r.Audit) for a in a2)  # the store audits joins with the participant row


def test_second_customer_is_refused_fatally():
    room = joined_room()
    rej = rejects(room.handle(r.Joined("c2", "customer", "Eve")))
    assert rej and rej[0].code == "customer_present" and rej[0].fatal
    assert "c2" not in room.participants


def test_technician_limit():
    room = r.Room("s1")
    for i in range(r.MAX_TECHNICIANS):
        room.handle(r.Joined(f"t{i}", "technician", "T"))
    assert rejects(room.handle(r.Joined("tx", "technician", "T")))[0].code == "room_full"


def test_technician_request_accept_start_stop_restart():
    room = joined_room()
    a = room.handle(r.Said("t1", m.VideoRequest()))
    assert sends(a, "c1", m.VideoRequested)[0].by == "t1"
    assert room.video == "requested"
    room.handle(r.Said("c1", m.VideoAccept()))
    assert room.video == "accepted"
    a = room.handle(r.Said("c1", m.VideoStarted(facing="environment")))
    assert room.video == "active" and r.VideoChanged(True) in a
    # technician asks to stop: the customer is told, the state waits for the customer's confirmation
    a = room.handle(r.Said("t1", m.VideoStop()))
    assert sends(a, "c1", m.StopVideo) and room.video == "active"
    a = room.handle(r.Said("c1", m.VideoStop()))
    assert room.video == "off" and r.VideoChanged(False) in a
    # the customer restarts on their own in the same call
    a = room.handle(r.Said("c1", m.VideoStarted()))
    assert room.video == "active" and r.VideoChanged(True) in a


def test_decline_returns_to_off_and_tells_technicians():
    room = joined_room()
    room.handle(r.Said("t1", m.VideoRequest()))
    a = room.handle(r.Said("c1", m.VideoDecline()))
    assert room.video == "off"
    state = sends(a, "t1", m.VideoState)[0]
    assert state.state == "off" and state.reason == "declined"


def test_customer_initiated_video_without_request():
    room = joined_room()
    a = room.handle(r.Said("c1", m.VideoStarted()))
    assert room.video == "active" and sends(a, "t1", m.VideoState)[0].state == "active"


def test_role_rules_are_enforced():
    room = joined_room()
    assert rejects(room.handle(r.Said("c1", m.VideoRequest())))[0].code == "not_allowed"
    assert rejects(room.handle(r.Said("t1", m.VideoAccept())))[0].code == "not_allowed"
    assert rejects(room.handle(r.Said("c1", m.VideoAccept())))[0].code == "no_request"
    assert rejects(room.handle(r.Said("t1", m.VideoStarted())))[0].code == "not_allowed"
    assert rejects(room.handle(r.Said("c1", m.Bye(end_session=True))))[0].code == "not_allowed"
    assert rejects(room.handle(r.Said("c1", m.VideoStop())))[0].code == "video_off"


def test_request_without_customer_or_with_video_on():
    room = r.Room("s1")
    room.handle(r.Joined("t1", "technician", "T"))
    assert rejects(room.handle(r.Said("t1", m.VideoRequest())))[0].code == "no_customer"
    room.handle(r.Joined("c1", "customer", "C"))
    room.handle(r.Said("c1", m.VideoStarted()))
    assert rejects(room.handle(r.Said("t1", m.VideoRequest())))[0].code == "video_active"


def test_messages_from_strangers_are_refused():
    room = joined_room()
    assert rejects(room.handle(r.Said("zz", m.Mute(muted=True))))[0].code == "not_joined"
    assert room.handle(r.Left("zz")) == []


def test_customer_leaving_turns_video_off():
    room = joined_room()
    room.handle(r.Said("c1", m.VideoStarted()))
    a = room.handle(r.Left("c1"))
    assert room.video == "off" and r.VideoChanged(False) in a
    left = sends(a, "t1", m.ParticipantLeft)[0]
    assert (left.participant_id, left.role) == ("c1", "customer")


def test_technician_ends_session_for_everyone():
    room = joined_room()
    a = room.handle(r.Said("t1", m.Bye(end_session=True)))
    assert room.ended and any(isinstance(x, r.SessionEnded) for x in a)
    assert sends(a, "c1", m.Ended)
    assert rejects(room.handle(r.Joined("c9", "customer", "Late")))[0].code == "session_ended"


def test_mute_is_broadcast_to_others_only():
    room = joined_room()
    a = room.handle(r.Said("c1", m.Mute(muted=True)))
    assert sends(a, "t1", m.ParticipantMuted)[0].muted and not sends(a, "c1")
    assert room.participants["c1"].muted
