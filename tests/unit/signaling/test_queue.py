"""The help queue state machine: assignment, limits, skills, places, estimated waits, breaches (no sockets)."""

from __future__ import annotations

import pytest

from signaling import queue as q
from vocabulary import TechnicianPresence


def _req(rid: str, at: float, family: str = "printer", *, language: str = "", connected: bool = True) -> q.Request:
    return q.Request(id=rid, session_id=f"s-{rid}", ticket_id=f"t-{rid}", device=q.Device(family, "M1", "SN1"),
                     customer_name=f"C {rid}", enqueued_at=at, language=language, connected=connected)


def _tech(tid: str, families: tuple[str, ...] = ("*",), *, limit: int = 1, languages: tuple[str, ...] = (),
          presence: TechnicianPresence = "available") -> q.Technician:
    return q.Technician(id=tid, name=tid.upper(), families=frozenset(families), languages=frozenset(languages),
                        limit=limit, presence=presence)


def _assigned(actions: list[q.Action]) -> list[tuple[str, str]]:
    return [(a.request.id, a.technician_id) for a in actions if isinstance(a, q.Assigned)]


def _arrive(queue: q.HelpQueue, req: q.Request, now: float | None = None) -> list[q.Action]:
    return queue.handle(q.RequestArrived(req), req.enqueued_at if now is None else now)


def test_longest_wait_first_among_requests_the_technician_is_skilled_for() -> None:
    queue = q.HelpQueue()
    _arrive(queue, _req("a", 1.0, "printer"))
    _arrive(queue, _req("b", 2.0, "boiler"))
    _arrive(queue, _req("c", 3.0, "boiler"))
    actions = queue.handle(q.TechnicianOnline(_tech("t1", ("boiler",))), 10.0)
    assert _assigned(actions) == [("b", "t1")]  # a waited longer but t1 does not know printers
    assert [r.id for r in queue.waiting()] == ["a", "c"]
    assigned = next(a for a in actions if isinstance(a, q.Assigned))
    assert assigned.waited_s == pytest.approx(8.0) and not assigned.picked


def test_never_more_calls_than_the_limit_and_a_freed_slot_takes_the_next() -> None:
    queue = q.HelpQueue()
    queue.handle(q.TechnicianOnline(_tech("t1", limit=2)), 0.0)
    for i, rid in enumerate("abc", 1):
        _arrive(queue, _req(rid, float(i)))
    assert len(queue.technicians["t1"].calls) == 2
    assert [r.id for r in queue.waiting()] == ["c"]
    actions = queue.handle(q.CallEnded("a"), 100.0)
    assert _assigned(actions) == [("c", "t1")]
    handled = next(a for a in actions if isinstance(a, q.Handled))
    assert handled.handle_s == pytest.approx(99.0)
    assert queue.handle_times[-1] == pytest.approx(99.0)


def test_least_loaded_technician_gets_the_request_and_languages_count() -> None:
    queue = q.HelpQueue()
    queue.handle(q.TechnicianOnline(_tech("t1", limit=3, languages=("en",))), 0.0)
    queue.handle(q.TechnicianOnline(_tech("t2", limit=3, languages=("de", "en"))), 0.0)
    assert _assigned(_arrive(queue, _req("a", 1.0, language="de"))) == [("a", "t2")]
    assert _assigned(_arrive(queue, _req("b", 2.0, language="en"))) == [("b", "t1")]  # t2 already has one
    assert _assigned(_arrive(queue, _req("c", 3.0, language="fr"))) == []  # nobody speaks French
    assert queue.position("c") == 1


def test_away_and_busy_technicians_get_nothing_until_available() -> None:
    queue = q.HelpQueue()
    queue.handle(q.TechnicianOnline(_tech("t1", presence="away")), 0.0)
    assert _assigned(_arrive(queue, _req("a", 1.0))) == []
    assert queue.handle(q.PresenceSet("t1", "busy"), 2.0) and queue.position("a") == 1
    assert _assigned(queue.handle(q.PresenceSet("t1", "available"), 3.0)) == [("a", "t1")]


def test_manual_pick_refuses_above_limit_and_for_requests_not_waiting() -> None:
    queue = q.HelpQueue()
    queue.handle(q.TechnicianOnline(_tech("t1", presence="busy")), 0.0)
    _arrive(queue, _req("a", 1.0))
    _arrive(queue, _req("b", 2.0))
    actions = queue.handle(q.Picked("t1", "b"), 5.0)  # busy: no automatic work, but a pick is allowed
    assert _assigned(actions) == [("b", "t1")]
    assert next(a for a in actions if isinstance(a, q.Assigned)).picked
    refused = queue.handle(q.Picked("t1", "a"), 6.0)
    assert [(r.code) for r in refused if isinstance(r, q.Refused)] == ["at_limit"]
    refused = queue.handle(q.Picked("t1", "zzz"), 6.0)
    assert [(r.code) for r in refused if isinstance(r, q.Refused)] == ["not_waiting"]
    assert [(r.code) for r in queue.handle(q.Picked("nobody", "a"), 6.0) if isinstance(r, q.Refused)] == [
        "not_online"]


def test_a_customer_who_drops_keeps_their_place_and_is_assigned_when_back() -> None:
    queue = q.HelpQueue()
    _arrive(queue, _req("a", 1.0))
    _arrive(queue, _req("b", 2.0))
    queue.handle(q.CustomerDisconnected("a"), 3.0)
    assert _assigned(queue.handle(q.TechnicianOnline(_tech("t1")), 4.0)) == [("b", "t1")]  # a is not there
    queue.handle(q.CallEnded("b"), 50.0)
    assert queue.position("a") == 1  # still first
    assert _assigned(queue.handle(q.CustomerConnected("a"), 60.0)) == [("a", "t1")]


def test_a_callback_number_keeps_an_absent_customer_assignable() -> None:
    queue = q.HelpQueue()
    _arrive(queue, _req("a", 1.0))
    queue.handle(q.CallbackLeft("a", "+44 20 7946 0000"), 2.0)
    queue.handle(q.CustomerDisconnected("a"), 3.0)
    actions = queue.handle(q.TechnicianOnline(_tech("t1")), 4.0)
    assert _assigned(actions) == [("a", "t1")]
    assert next(a for a in actions if isinstance(a, q.Assigned)).request.callback_number == "+44 20 7946 0000"


def test_cancel_is_abandonment_with_its_wait() -> None:
    queue = q.HelpQueue()
    _arrive(queue, _req("a", 1.0))
    actions = queue.handle(q.CustomerCancelled("a"), 31.0)
    abandoned = [a for a in actions if isinstance(a, q.Abandoned)]
    assert len(abandoned) == 1 and abandoned[0].waited_s == pytest.approx(30.0)
    assert queue.waiting() == [] and abandoned[0].request.state == "abandoned"


def test_no_assignment_while_the_node_admits_no_calls() -> None:
    queue = q.HelpQueue()
    queue.handle(q.AdmissionChanged(False), 0.0)
    queue.handle(q.TechnicianOnline(_tech("t1")), 0.0)
    assert _assigned(_arrive(queue, _req("a", 1.0))) == []
    refused = queue.handle(q.Picked("t1", "a"), 2.0)
    assert [r.code for r in refused if isinstance(r, q.Refused)] == ["node_busy"]
    assert _assigned(queue.handle(q.AdmissionChanged(True), 3.0)) == [("a", "t1")]


def test_positions_and_estimated_waits_follow_handle_times() -> None:
    queue = q.HelpQueue()
    queue.handle(q.TechnicianOnline(_tech("t1", limit=1)), 0.0)
    _arrive(queue, _req("x", 0.5))  # t1 takes it
    queue.handle(q.CallEnded("x"), 120.5)  # a 120 s call
    queue.handle(q.PresenceSet("t1", "busy"), 121.0)
    positions: dict[str, tuple[int, float | None]] = {}
    for rid, at in (("a", 130.0), ("b", 131.0), ("c", 132.0)):
        for a in _arrive(queue, _req(rid, at)):
            if isinstance(a, q.PositionChanged):
                positions[a.request_id] = (a.position, a.eta_s)
    assert {k: v[0] for k, v in positions.items()} == {"a": 1, "b": 2, "c": 3}
    assert positions["a"][1] == pytest.approx(60.0)  # half a call of the one technician
    assert positions["c"][1] == pytest.approx(300.0)  # two full calls and a half
    # nobody able to take it online: no estimate rather than a wrong one
    queue.handle(q.TechnicianOffline("t1"), 140.0)
    assert queue.eta_s(queue.requests["a"], 140.0) is None
    # the first one leaves: the others move up and are told
    moved = [a for a in queue.handle(q.CustomerCancelled("a"), 141.0) if isinstance(a, q.PositionChanged)]
    assert {(a.request_id, a.position) for a in moved} == {("b", 1), ("c", 2)}


def test_target_breach_is_raised_once_per_request() -> None:
    queue = q.HelpQueue(target_answer_s=60.0)
    _arrive(queue, _req("a", 0.0))
    assert not [a for a in queue.handle(q.Tick(), 59.0) if isinstance(a, q.Breached)]
    breached = [a for a in queue.handle(q.Tick(), 61.0) if isinstance(a, q.Breached)]
    assert [(b.request.id, b.target_s) for b in breached] == [("a", 60.0)]
    assert not [a for a in queue.handle(q.Tick(), 90.0) if isinstance(a, q.Breached)]
    assert queue.requests["a"].breached


def test_restored_requests_keep_their_place_and_assignment() -> None:
    queue = q.HelpQueue()
    waiting = _req("a", 5.0, connected=False)
    assigned = _req("b", 1.0, connected=False)
    assigned.state, assigned.technician_id, assigned.answered_at = "assigned", "t1", 3.0
    restored = queue.handle(q.RequestArrived(assigned, restored=True), 100.0)
    assert not [a for a in restored if isinstance(a, q.Changed)]  # already stored as it is
    queue.handle(q.RequestArrived(waiting, restored=True), 100.0)
    queue.handle(q.TechnicianOnline(_tech("t1", limit=1)), 101.0)
    assert queue.technicians["t1"].calls == {"b"}  # its call from before the restart counts against the limit
    assert _assigned(queue.handle(q.CustomerConnected("a"), 102.0)) == []
    assert _assigned(queue.handle(q.CallEnded("b"), 103.0)) == [("a", "t1")]
