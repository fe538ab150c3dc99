"""Placement of new rooms: least pressure wins, draining/overloaded nodes get none, near-ties stay local."""

from __future__ import annotations

import pytest

from signaling.placement import Limits, NodeLoad, choose_node, pressure, refusals

LIMITS = Limits(max_calls=10, max_cpu_load=0.9, max_analysis_backlog=100)


def load(node: str, calls: int = 0, cpu: float = 0.0, backlog: int = 0, draining: bool = False,
         limits: Limits = LIMITS) -> NodeLoad:
    return NodeLoad(node, calls, cpu, backlog, draining, limits)


def test_the_least_loaded_node_gets_the_room():
    assert choose_node([load("a", calls=5), load("b", calls=1), load("c", calls=3)], here="a") == "b"


def test_the_receiving_node_keeps_a_room_on_a_near_tie():
    assert choose_node([load("a", calls=1), load("b", calls=1)], here="a") == "a"
    assert choose_node([load("a", calls=1), load("b", calls=1)], here="b") == "b"
    # a node that is not among the candidates (it does not heartbeat) gets nothing by being here
    assert choose_node([load("a", calls=1), load("b", calls=2)], here="z") == "a"


def test_every_published_measure_counts():
    assert choose_node([load("a", cpu=0.8), load("b", cpu=0.1)], here="a") == "b"
    assert choose_node([load("a", backlog=80), load("b", backlog=5)], here="a") == "b"
    # the highest fraction of any limit is the node's pressure
    assert pressure(load("a", calls=2, cpu=0.45, backlog=10)) == pytest.approx(0.5)


def test_draining_and_overloaded_nodes_get_no_new_rooms_and_say_why():
    loads = [load("a", draining=True), load("b", calls=10), load("c", cpu=0.95), load("d", backlog=100)]
    assert choose_node(loads, here="a") is None
    assert [refusals(x) for x in loads] == [["draining"], ["overloaded_calls"], ["overloaded_cpu"],
                                            ["overloaded_analysis"]]
    assert choose_node([*loads, load("e", calls=9, cpu=0.89, backlog=99)], here="a") == "e"


def test_unset_limits_never_refuse_and_still_rank_by_calls():
    free = Limits()
    assert refusals(load("a", calls=10_000, cpu=50.0, backlog=10**6, limits=free)) == []
    assert choose_node([load("a", calls=30, limits=free), load("b", calls=2, limits=free)], here="a") == "b"


def test_a_placement_counts_before_the_next_heartbeat():
    a, b = load("a", calls=1), load("b", calls=0)
    b = b.with_one_more_call().with_one_more_call()
    assert choose_node([a, b], here="b") == "a"


def test_the_heartbeat_payload_round_trips():
    original = load("node-1", calls=3, cpu=0.25, backlog=7, draining=True)
    assert NodeLoad.from_json(original.to_json()) == original
    with pytest.raises((ValueError, KeyError, TypeError)):
        NodeLoad.from_json('{"node_id": "x"}')
