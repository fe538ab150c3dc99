"""Full-resolution scans in the room state machine: who may ask, one at a time, how each scan ends."""

import pytest

from signaling import messages as m
from signaling import room as r
from tests.unit.signaling.test_room import joined_room, rejects, sends


def video_room() -> r.Room:
    room = joined_room()
    room.handle(r.Said("c1", m.VideoStarted(facing="environment")))
    assert room.video == "active"
    return room


def audits(actions, name):
    return [a for a in actions if isinstance(a, r.Audit) and a.action == name]


def test_technician_scan_asks_the_customer_page_and_tells_technicians():
    room = video_room()
    actions = room.handle(r.ScanAsked("t1", "sc1", "technician"))
    ask = sends(actions, "c1", m.TakeStill)[0]
    assert ask.scan_id == "sc1" and ask.reason == "technician"
    assert ask.upload_path == "/api/sessions/s1/scans/sc1/still"
    status = sends(actions, "t1", m.ScanStatus)[0]
    assert status.state == "requested" and status.reason == "technician"
    assert not sends(actions, "c1", m.ScanStatus)  # the customer sees the hint, not the technician's status
    assert audits(actions, "scan_requested")[0].detail == {"scan": "sc1", "reason": "technician"}
    assert [a.scan_id for a in actions if isinstance(a, r.ScanStarted)] == ["sc1"]


def test_scan_lifecycle_upload_then_result():
    room = video_room()
    room.handle(r.ScanAsked("t1", "sc1", "technician"))
    got = room.handle(r.StillReceived("sc1", {"bytes": "1000", "size": "1920x1080", "source": "takePhoto"}))
    assert sends(got, "t1", m.ScanStatus)[0].state == "reading"
    assert audits(got, "scan_uploaded")[0].detail["size"] == "1920x1080"
    again = room.handle(r.StillReceived("sc1", {}))
    assert rejects(again)[0].code == "still_already_received"
    assert room.handle(r.ScanTimedOut("sc1")) == []  # being read: the timer no longer ends it
    done = room.handle(r.ScanEnded("sc1", "found", ("E-204",)))
    status = sends(done, "t1", m.ScanStatus)[0]
    assert status.state == "found" and status.codes == ["E-204"] and status.message == "Scan read E-204."
    assert audits(done, "scan_result")[0].detail == {"scan": "sc1", "outcome": "found", "codes": "E-204"}
    assert room.scan is None
    assert sends(room.handle(r.ScanEnded("sc1", "no_code")), kind=m.ScanStatus) == []  # ended once only


@pytest.mark.parametrize(("outcome", "codes", "text"), [
    ("no_code", (), "Scan found no code."),
    ("already_reported", ("E-204",), "Scan read E-204 (already on the ticket)."),
])
def test_outcome_sentences(outcome, codes, text):
    room = video_room()
    room.handle(r.ScanAsked("t1", "sc1", "technician"))
    room.handle(r.StillReceived("sc1", {}))
    assert sends(room.handle(r.ScanEnded("sc1", outcome, codes)), "t1", m.ScanStatus)[0].message == text


def test_refusals_for_a_technician_and_silence_for_the_server():
    room = joined_room()
    assert rejects(room.handle(r.ScanAsked("t1", "sc1", "technician")))[0].code == "video_off"
    assert room.handle(r.ScanAsked(r.SERVER, "sc2", "automatic")) == []
    room.handle(r.Said("c1", m.VideoStarted()))
    assert rejects(room.handle(r.ScanAsked("c1", "sc3", "technician")))[0].code == "not_allowed"
    room.handle(r.ScanAsked("t1", "sc4", "technician"))
    assert rejects(room.handle(r.ScanAsked("t1", "sc5", "technician")))[0].code == "scan_running"
    assert room.handle(r.ScanAsked(r.SERVER, "sc6", "automatic")) == []  # none while one runs
    assert room.scan is not None and room.scan.id == "sc4"


def test_upload_without_a_waiting_scan_is_refused():
    room = video_room()
    assert rejects(room.handle(r.StillReceived("nope", {})))[0].code == "no_scan_requested"
    room.handle(r.ScanAsked("t1", "sc1", "technician"))
    assert rejects(room.handle(r.StillReceived("other", {})))[0].code == "no_scan_requested"


def test_timeout_customer_failure_leaving_and_camera_off_end_a_waiting_scan():
    room = video_room()
    room.handle(r.ScanAsked("t1", "sc1", "technician"))
    timed = sends(room.handle(r.ScanTimedOut("sc1")), "t1", m.ScanStatus)[0]
    assert timed.state == "failed" and "no photo" in timed.message
    room.handle(r.ScanAsked("t1", "sc2", "technician"))
    assert rejects(room.handle(r.Said("t1", m.ScanFailed(scan_id="sc2", reason="x"))))[0].code == "not_allowed"
    failed = sends(room.handle(r.Said("c1", m.ScanFailed(scan_id="sc2", reason="no ImageCapture"))), "t1",
                   m.ScanStatus)[0]
    assert failed.state == "failed" and failed.message.endswith("could not take the photo: no ImageCapture")
    room.handle(r.ScanAsked("t1", "sc3", "technician"))
    stopped = room.handle(r.Said("c1", m.VideoStop()))
    assert sends(stopped, "t1", m.ScanStatus)[0].state == "failed" and room.scan is None
    room.handle(r.Said("c1", m.VideoStarted()))
    room.handle(r.ScanAsked(r.SERVER, "sc4", "automatic"))
    assert sends(room.handle(r.Left("c1")), "t1", m.ScanStatus)[0].state == "failed"


def test_scan_messages_parse_and_refuse_bad_input():
    assert isinstance(m.parse_client_message('{"type": "scan_request"}', 1000), m.ScanRequest)
    failed = m.parse_client_message('{"type": "scan_failed", "scan_id": "a", "reason": "no camera"}', 1000)
    assert isinstance(failed, m.ScanFailed) and failed.reason == "no camera"
    with pytest.raises(m.ProtocolError) as exc:
        m.parse_client_message('{"type": "scan_failed", "scan_id": ""}', 1000)
    assert exc.value.code == "invalid_message"
