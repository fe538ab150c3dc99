"""The room's camera-control rules, driven by events alone: capabilities, checked changes, results, undo."""

import pytest
from pydantic import ValidationError

from signaling import messages as m
from signaling import room as r

CAPS = m.CameraCaps(torch=True, zoom=m.ZoomRange(min=1, max=4, step=0.1), focus_modes=["continuous", "single-shot"],
                    points_of_interest=True)


def sends(actions, to=None, kind=None):
    return [a.message for a in actions if isinstance(a, r.Send) and (to is None or a.to == to)
            and (kind is None or isinstance(a.message, kind))]


def rejects(actions):
    return [(a.to, a.code) for a in actions if isinstance(a, r.Reject)]


def records(actions):
    return [(a.kind, a.payload, a.actor) for a in actions if isinstance(a, r.Record)]


def live_call(caps=CAPS):
    room = r.Room("s1")
    room.handle(r.Joined("t1", "technician", "Tess"))
    room.handle(r.Joined("c1", "customer", "Carl"))
    room.handle(r.Said("c1", m.VideoStarted(facing="environment")))
    if caps is not None:
        room.handle(r.Said("c1", m.CameraCapabilities(caps=caps)))
    return room


def test_capabilities_reach_technicians_now_and_on_join_and_are_recorded():
    room = r.Room("s1")
    room.handle(r.Joined("t1", "technician", "Tess"))
    room.handle(r.Joined("c1", "customer", "Carl"))
    room.handle(r.Said("c1", m.VideoStarted()))
    actions = room.handle(r.Said("c1", m.CameraCapabilities(caps=CAPS)))
    assert sends(actions, "t1", m.CameraState)[0].caps == CAPS
    assert records(actions)[0][0] == "camera_capabilities" and records(actions)[0][1]["torch"] is True
    late = room.handle(r.Joined("t2", "technician", "Tom"))
    assert sends(late, "t2", m.CameraState)[0].caps == CAPS
    # the camera stops: nothing is left to control, and the consoles grey everything out
    off = room.handle(r.Said("c1", m.VideoStop()))
    assert sends(off, "t1", m.CameraState)[0].caps is None and room.camera.caps is None


@pytest.mark.parametrize(("control", "value"), [("torch", True), ("zoom", 2.5), ("focus", (0.4, 0.6)),
                                                ("focus", "single-shot")])
def test_a_supported_change_goes_to_the_customer_and_on_the_record(control, value):
    room = live_call()
    actions = room.handle(r.Said("t1", m.CameraSet(control=control, value=value)))
    command = sends(actions, "c1", m.CameraCommand)[0]
    assert (command.control, command.value, command.by_name) == (control, value, "Tess")
    stored = list(value) if isinstance(value, tuple) else value
    assert records(actions) == [("camera_control", {"control": control, "state": "requested", "value": stored,
                                                    "message": ""}, "t1")]
    assert sends(actions, "t1", m.CameraChanged)[0].state == "requested"
    applied = room.handle(r.Said("c1", m.CameraResult(command_id=command.command_id, state="applied")))
    assert sends(applied, "t1", m.CameraChanged)[0].state == "applied"
    assert records(applied)[0][1]["state"] == "applied" and records(applied)[0][2] == "c1"


def test_the_customer_can_undo_a_change():
    room = live_call()
    command = sends(room.handle(r.Said("t1", m.CameraSet(control="torch", value=True))), "c1", m.CameraCommand)[0]
    undone = room.handle(r.Said("c1", m.CameraResult(command_id=command.command_id, state="undone", value=False)))
    changed = sends(undone, "t1", m.CameraChanged)[0]
    assert (changed.state, changed.value, changed.by) == ("undone", False, "c1")
    assert records(undone) == [("camera_control", {"control": "torch", "state": "undone", "value": False,
                                                   "message": ""}, "c1")]


@pytest.mark.parametrize(("caps", "control", "value", "code"), [
    (m.CameraCaps(), "torch", True, "camera_unsupported"),
    (m.CameraCaps(), "zoom", 2.0, "camera_unsupported"),
    (CAPS, "zoom", 8.0, "camera_out_of_range"),
    (m.CameraCaps(focus_modes=["continuous"]), "focus", (0.5, 0.5), "camera_unsupported"),
    (m.CameraCaps(focus_modes=["continuous"]), "focus", "manual", "camera_unsupported"),
    (None, "torch", True, "video_off"),
])
def test_what_the_camera_cannot_do_is_refused_to_the_technician(caps, control, value, code):
    room = live_call(caps)
    actions = room.handle(r.Said("t1", m.CameraSet(control=control, value=value)))
    assert rejects(actions) == [("t1", code)] and not sends(actions, "c1") and not records(actions)


def test_roles_and_states_are_enforced():
    room = live_call()
    assert rejects(room.handle(r.Said("c1", m.CameraSet(control="torch", value=True)))) == [("c1", "not_allowed")]
    assert rejects(room.handle(r.Said("t1", m.CameraCapabilities(caps=CAPS)))) == [("t1", "not_allowed")]
    assert rejects(room.handle(r.Said("c1", m.CameraResult(command_id="k99", state="applied")))) == [
        ("c1", "unknown_command")]
    room.handle(r.Said("c1", m.VideoStop()))
    assert rejects(room.handle(r.Said("t1", m.CameraSet(control="torch", value=True)))) == [("t1", "video_off")]


def test_wire_values_must_fit_their_control():
    with pytest.raises(ValidationError):
        m.CameraSet(control="torch", value=2.0)
    with pytest.raises(ValidationError):
        m.CameraSet(control="zoom", value=True)
    with pytest.raises(ValidationError):
        m.CameraSet(control="zoom", value=5000.0)
    with pytest.raises(ValidationError):
        m.CameraSet(control="focus", value=(1.5, 0.2))
    with pytest.raises(ValidationError):
        m.CameraSet(control="focus", value="blurry")  # type: ignore[arg-type]  # the model must refuse it
    assert m.parse_client_message('{"type": "camera_set", "control": "zoom", "value": 2}', 4096).value == 2.0
    assert m.parse_client_message('{"type": "camera_set", "control": "torch", "value": false}', 4096).value is False


def test_what_the_room_records_is_valid_on_the_record():
    from tickets.session_events import validate_payload  # the store's schema for each kind

    room = live_call()
    actions = room.handle(r.Said("c1", m.CameraCapabilities(caps=CAPS)))
    controls: dict[type, m.CameraControlName] = {bool: "torch", float: "zoom", tuple: "focus", str: "focus"}
    for value in (True, 3.0, (0.2, 0.9), "continuous"):
        control = controls[type(value)]
        actions += room.handle(r.Said("t1", m.CameraSet(control=control, value=value)))
    actions += room.handle(r.Said("c1", m.CameraResult(command_id="k1", state="failed", message="NotReadableError")))
    actions += room.handle(r.Said("c1", m.ChatSend(text="hello", client_id="x")))
    actions += room.handle(r.Said("t1", m.ChatReceipt(message_ids=[1], state="read")))
    recorded = records(actions)
    assert len(recorded) == 8
    for kind, payload, _ in recorded:
        assert validate_payload(kind, payload) == payload
