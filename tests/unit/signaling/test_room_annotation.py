"""Annotation in the room state machine: who may draw, what everyone sees, what a rejoiner gets, freeze."""

import pytest
from pydantic import ValidationError

from signaling import annotation as a
from signaling import messages as m
from signaling import room as r


def sends(actions, to=None, kind=None):
    return [x.message for x in actions if isinstance(x, r.Send) and (to is None or x.to == to)
            and (kind is None or isinstance(x.message, kind))]


def rejects(actions):
    return [x for x in actions if isinstance(x, r.Reject)]


def of(actions, kind):
    return [x for x in actions if isinstance(x, kind)]


def live_room():
    room = r.Room("s1")
    room.handle(r.Joined("t1", "technician", "Tess"))
    room.handle(r.Joined("c1", "customer", "Carl"))
    room.handle(r.Said("c1", m.VideoStarted(facing="environment")))
    return room


ARROW = m.Mark(id="m1", shape="arrow", points=[(0.2, 0.3), (0.5, 0.5)], colour="#00ff00")


def test_technician_arrow_reaches_everyone_is_tracked_and_recorded():
    room = live_room()
    actions = room.handle(r.Said("t1", m.MarkAdd(mark=ARROW)))
    for pid in ("t1", "c1"):
        added = sends(actions, pid, m.MarkAdded)
        assert added and added[0].mark == ARROW and added[0].layer == "live" and added[0].by == "t1"
    assert of(actions, a.TrackMarks)[0].marks == (ARROW,)
    record = of(actions, r.Record)[0]
    assert record.kind == "annotation" and record.payload["shape"] == "arrow"
    assert record.payload["points"] == [[0.2, 0.3], [0.5, 0.5]]


def test_customer_cannot_draw_point_or_freeze():
    room = live_room()
    for msg in (m.MarkAdd(mark=ARROW), m.PointerMove(x=0.1, y=0.1), m.Freeze(), m.MarksClear()):
        actions = room.handle(r.Said("c1", msg))
        assert [x.code for x in rejects(actions)] == ["not_allowed"] and not sends(actions)
    assert not room.board.live


def test_pointer_goes_to_the_others_only_and_is_not_kept():
    room = live_room()
    actions = room.handle(r.Said("t1", m.PointerMove(x=0.25, y=0.75, colour="yellow")))
    assert not sends(actions, "t1")
    assert sends(actions, "c1", m.PointerAt)[0] == m.PointerAt(by="t1", x=0.25, y=0.75, visible=True, colour="yellow")
    assert not of(actions, r.Record)


def test_undo_and_clear():
    room = live_room()
    room.handle(r.Said("t1", m.MarkAdd(mark=ARROW)))
    box = m.Mark(id="m2", shape="box", points=[(0.1, 0.1), (0.3, 0.4)])
    room.handle(r.Said("t1", m.MarkAdd(mark=box)))
    actions = room.handle(r.Said("t1", m.MarkRemove(id="m2")))
    assert sends(actions, "c1", m.MarkRemoved)[0].id == "m2"
    assert of(actions, a.TrackMarks)[0].marks == (ARROW,)
    assert rejects(room.handle(r.Said("t1", m.MarkRemove(id="m2"))))[0].code == "mark_not_found"
    assert rejects(room.handle(r.Said("t1", m.MarkAdd(mark=ARROW))))[0].code == "duplicate_mark"
    actions = room.handle(r.Said("t1", m.MarksClear()))
    assert sends(actions, "c1", m.MarksCleared)[0].layer == "live"
    assert of(actions, r.Record)[0].payload == {"mark_ids": ["m1"], "reason": "clear"}
    assert of(actions, a.TrackMarks)[0].marks == () and not room.board.live


def test_marks_are_bounded():
    room = live_room()
    for i in range(a.MAX_MARKS):
        room.handle(r.Said("t1", m.MarkAdd(mark=m.Mark(id=f"k{i}", shape="circle", points=[(0.5, 0.5), (0.6, 0.5)]))))
    extra = m.Mark(id="extra", shape="circle", points=[(0.5, 0.5), (0.6, 0.5)])
    assert rejects(room.handle(r.Said("t1", m.MarkAdd(mark=extra))))[0].code == "too_many_marks"


def test_rejoining_customer_gets_marks_positions_and_the_frozen_frame():
    room = live_room()
    room.handle(r.Said("t1", m.MarkAdd(mark=ARROW)))
    moved = m.MarkPosition(id="m1", h=[1, 0, 0.1, 0, 1, 0, 0, 0, 1], visible=True)
    room.handle(a.MarksTracked((moved,)))
    room.handle(r.Left("c1"))
    actions = room.handle(r.Joined("c2", "customer", "Carl"))
    state = sends(actions, "c2", m.MarksState)[0]
    assert state.live == [ARROW] and state.positions == [moved] and state.still == []
    assert not sends(actions, "c2", m.FreezeState)
    room.handle(r.Said("c2", m.VideoStarted()))
    room.handle(r.Said("t1", m.Freeze()))
    room.handle(a.FreezeCaptured("f1", "anBn", 640, 480, "frame"))
    note = m.Mark(id="n1", shape="freehand", points=[(0.1, 0.1), (0.2, 0.2), (0.3, 0.1)])
    room.handle(r.Said("t1", m.MarkAdd(mark=note)))
    room.handle(r.Left("c2"))
    actions = room.handle(r.Joined("c3", "customer", "Carl"))
    assert sends(actions, "c3", m.MarksState)[0].still == [note]
    shown = sends(actions, "c3", m.FreezeState)[0]
    assert shown.frozen and shown.image_jpeg_b64 == "anBn" and shown.width == 640


def test_tracker_positions_are_sent_and_visibility_changes_recorded():
    room = live_room()
    room.handle(r.Said("t1", m.MarkAdd(mark=ARROW)))
    shift = [1, 0, 0.1, 0, 1, 0.05, 0, 0, 1]
    actions = room.handle(a.MarksTracked((m.MarkPosition(id="m1", h=shift, visible=True),
                                          m.MarkPosition(id="gone", h=shift, visible=True))))
    sent = sends(actions, "c1", m.MarkPositions)[0]
    assert [p.id for p in sent.positions] == ["m1"]  # a removed mark's late position is dropped
    update = of(actions, r.Record)[0]
    assert update.kind == "annotation_update" and update.payload["visible"] is True
    assert [c for pt in update.payload["points"] for c in pt] == pytest.approx([0.3, 0.35, 0.6, 0.55])
    # same visibility: sent, not recorded again; out of view: recorded
    assert not of(room.handle(a.MarksTracked((m.MarkPosition(id="m1", h=shift, visible=True),))), r.Record)
    lost = of(room.handle(a.MarksTracked((m.MarkPosition(id="m1", h=shift, visible=False),))), r.Record)
    assert lost[0].payload == {"mark_id": "m1", "points": [], "visible": False}


def test_freeze_annotate_resume():
    room = live_room()
    room.handle(r.Said("t1", m.MarkAdd(mark=ARROW)))
    actions = room.handle(r.Said("t1", m.Freeze()))
    capture = of(actions, a.CaptureFreeze)[0]
    assert not sends(actions)
    assert rejects(room.handle(r.Said("t1", m.Freeze())))[0].code == "already_frozen"
    assert rejects(room.handle(r.Said("t1", m.MarkAdd(mark=m.Mark(id="x", shape="box", points=[(0, 0), (1, 1)])))))[0].code == "freeze_pending"
    actions = room.handle(a.FreezeCaptured(capture.freeze_id, "anBn", 1280, 720, "still"))
    for pid in ("t1", "c1"):
        shown = sends(actions, pid, m.FreezeState)[0]
        assert shown.frozen and shown.source == "still" and shown.freeze_id == capture.freeze_id
    assert of(actions, r.Record)[0].payload["freeze_id"] == capture.freeze_id
    circle = m.Mark(id="c", shape="circle", points=[(0.5, 0.5), (0.55, 0.5)])
    actions = room.handle(r.Said("t1", m.MarkAdd(mark=circle)))
    assert sends(actions, "c1", m.MarkAdded)[0].layer == "still"
    assert of(actions, r.Record)[0].payload["freeze_id"] == capture.freeze_id
    assert not of(actions, a.TrackMarks)  # a mark on a still is not followed in the video
    actions = room.handle(r.Said("t1", m.Resume()))
    assert sends(actions, "c1", m.FreezeState)[0].frozen is False
    assert of(actions, r.Record)[0].kind == "resume"
    assert room.board.freeze is None and list(room.board.live) == ["m1"]  # live marks come back
    assert rejects(room.handle(r.Said("t1", m.Resume())))[0].code == "not_frozen"


def test_freeze_needs_video_and_a_failed_capture_tells_the_technician():
    room = r.Room("s1")
    room.handle(r.Joined("t1", "technician", "Tess"))
    assert rejects(room.handle(r.Said("t1", m.Freeze())))[0].code == "video_off"
    room = live_room()
    capture = of(room.handle(r.Said("t1", m.Freeze())), a.CaptureFreeze)[0]
    actions = room.handle(a.FreezeFailed(capture.freeze_id, "no video decoded yet"))
    assert rejects(actions)[0].to == "t1" and rejects(actions)[0].code == "freeze_failed"
    assert room.board.freeze is None
    # a late capture after a resume is ignored
    capture = of(room.handle(r.Said("t1", m.Freeze())), a.CaptureFreeze)[0]
    assert room.handle(r.Said("t1", m.Resume())) == []
    assert room.handle(a.FreezeCaptured(capture.freeze_id, "anBn", 1, 1, "frame")) == []


@pytest.mark.parametrize("raw", [
    '{"type":"mark_add","mark":{"id":"a","shape":"arrow","points":[[0.1,0.1]]}}',
    '{"type":"mark_add","mark":{"id":"a","shape":"arrow","points":[[0.1,0.1],[0.2,0.2],[0.3,0.3]]}}',
    '{"type":"mark_add","mark":{"id":"a","shape":"box","points":[[0.1,1.5],[0.2,0.2]]}}',
    '{"type":"mark_add","mark":{"id":"a b","shape":"box","points":[[0.1,0.1],[0.2,0.2]]}}',
    '{"type":"mark_add","mark":{"id":"a","shape":"box","points":[[0.1,0.1],[0.2,0.2]],"colour":"pink"}}',
    '{"type":"mark_add","mark":{"id":"a","shape":"blob","points":[[0.1,0.1],[0.2,0.2]]}}',
    '{"type":"pointer","x":-0.1,"y":0.5}',
    '{"type":"pointer","x":NaN,"y":0.5}',
])
def test_bad_annotation_messages_are_refused_with_a_sentence(raw):
    with pytest.raises(m.ProtocolError) as err:
        m.parse_client_message(raw, 64 * 1024)
    assert err.value.code == "invalid_message" and err.value.message


def test_freehand_point_count_is_bounded():
    points = [(i / 1000, 0.5) for i in range(m.MAX_MARK_POINTS + 1)]
    with pytest.raises(ValidationError):
        m.Mark(id="f", shape="freehand", points=points)
    assert m.parse_client_message(
        '{"type":"mark_add","mark":{"id":"a","shape":"box","points":[[0.1,0.1],[0.2,0.2]],"colour":"#A0b0C0"}}',
        4096).mark.colour == "#A0b0C0"


def test_a_join_to_a_call_without_marks_gets_no_marks_state():
    room = live_room()
    room.handle(r.Left("c1"))
    actions = room.handle(r.Joined("c2", "customer", "Carl"))
    assert not sends(actions, "c2", m.MarksState) and not sends(actions, "c2", m.FreezeState)
