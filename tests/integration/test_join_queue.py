"""Joins queue instead of failing (issue 17, item 6): two nodes' routing over a real redis-server on loopback.

The room's node (the owner) works on a bounded number of joins at once (`JoinGate`); a relayed join it has taken
is acknowledged at once, so the relay waits for a slow owner (while it heart-beats) and refuses quickly only a
dead one. The nodes' calls are real `signaling.room.Room` state machines behind the owner's gate (no media or
database: a held join stands for a slow one).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from signaling import messages as m
from signaling.bus import RedisBus
from signaling.join_gate import JoinGate, JoinLimits
from signaling.routing import JOIN_REPLY_TIMEOUT_S, RoutedCallService
from signaling.service import ClientLink
from signaling.tokens import Claims
from testkit.polling import eventually
from testkit.servers import RedisServer, running_redis_server
from tests.unit.signaling.test_routing import TOKENS, Page, RoomCalls


class GatedCalls(RoomCalls):
    """A node's calls behind its join gate; a join of a session in `held` waits for `release` (a slow join)."""

    def __init__(self, limits: JoinLimits) -> None:
        super().__init__()
        self.gate = JoinGate(limits)
        self.held: set[str] = set()
        self.release = asyncio.Event()

    async def join(self, link: ClientLink, claims: Claims, join: m.Join) -> str:
        async with self.gate.turn():
            if join.session_id in self.held:
                await self.release.wait()
            return await super().join(link, claims, join)


def tech(session_id: str) -> tuple[Claims, m.Join]:
    return TOKENS.verify_for_session(TOKENS.issue_technician("t1", "Tess"), session_id), \
        m.Join(token="t", session_id=session_id, name="")


def customer(session_id: str) -> tuple[Claims, m.Join]:
    token = TOKENS.issue_customer(session_id)
    return TOKENS.verify_for_session(token, session_id), m.Join(token=token, session_id=session_id, name="")


@asynccontextmanager
async def two_nodes(redis: RedisServer, owner_limits: JoinLimits, relayed_join_wait_s: float = 15.0,
                    node_ttl_s: int = 5) -> AsyncIterator[tuple[RoutedCallService, GatedCalls, RoutedCallService]]:
    """Owner a (its calls behind a gate) and relay b, each with its own Redis connections; both stopped after."""
    buses = [RedisBus(redis.url), RedisBus(redis.url)]
    calls_a = GatedCalls(owner_limits)
    a = RoutedCallService(calls_a, buses[0], TOKENS, node_id="a", node_ttl_s=node_ttl_s)
    b = RoutedCallService(GatedCalls(JoinLimits()), buses[1], TOKENS, node_id="b", node_ttl_s=node_ttl_s,
                          relayed_join_wait_s=relayed_join_wait_s)
    await a.start()
    await b.start()
    try:
        yield a, calls_a, b
    finally:
        for node in (a, b):
            await node.stop()
        for bus in buses:
            await bus.close()


async def hold_the_owners_slot(a: RoutedCallService, calls_a: GatedCalls) -> asyncio.Task[str]:
    """A join on the owner that keeps its only slot until calls_a.release is set."""
    calls_a.held.add("s0")
    blocker = asyncio.create_task(a.join(Page(), *tech("s0")))
    await eventually(lambda: calls_a.gate.running == 1, what="the owner working on the held join")
    return blocker


def run(redis_dir: Path, scenario: Callable[[RedisServer], object]) -> None:
    with running_redis_server(redis_dir) as redis:
        asyncio.run(scenario(redis))  # type: ignore[arg-type]


def test_a_relayed_join_waits_its_turn_on_a_slow_owner_and_gets_in(tmp_path: Path):
    async def scenario(redis: RedisServer) -> None:
        async with two_nodes(redis, JoinLimits(in_flight=1, depth=10, max_wait_s=10)) as (a, calls_a, b):
            owner_page = Page()
            await a.join(owner_page, *tech("s1"))  # the room runs on a
            blocker = await hold_the_owners_slot(a, calls_a)
            relayed = Page()
            joining = asyncio.create_task(b.join(relayed, *customer("s1")))
            await eventually(lambda: calls_a.gate.waiting == 1, what="the relayed join queued on the owner")
            # Past the bound at which a relayed join used to be refused: the owner said it has the join, so b waits.
            await asyncio.sleep(JOIN_REPLY_TIMEOUT_S * 1.5)
            assert not joining.done()
            calls_a.release.set()
            participant = await asyncio.wait_for(joining, 10)
            await blocker
            assert relayed.of(m.Welcome)[0].participant_id == participant
            await eventually(lambda: [p.participant.id for p in owner_page.of(m.ParticipantJoined)] == [participant],
                             what="the technician told the customer joined")

    run(tmp_path / "redis", scenario)


def test_a_full_owner_queue_answers_busy_with_a_retry_hint_through_the_relay(tmp_path: Path):
    async def scenario(redis: RedisServer) -> None:
        async with two_nodes(redis, JoinLimits(in_flight=1, depth=1, max_wait_s=10)) as (a, calls_a, b):
            await a.join(Page(), *tech("s1"))
            await a.join(Page(), *tech("s2"))
            blocker = await hold_the_owners_slot(a, calls_a)
            queued = asyncio.create_task(b.join(Page(), *customer("s1")))
            await eventually(lambda: calls_a.gate.waiting == 1, what="one relayed join queued on the owner")
            with pytest.raises(m.ProtocolError) as refused:
                await b.join(Page(), *customer("s2"))  # the owner's queue is full
            assert refused.value.code == "busy" and refused.value.retry_after_ms is not None
            assert refused.value.retry_after_ms >= 500
            calls_a.release.set()
            await asyncio.wait_for(queued, 10)  # the queued one still gets in
            await blocker
            await b.join(Page(), *customer("s2"))  # and the refused one does when it tries again

    run(tmp_path / "redis", scenario)


def test_a_queued_relayed_join_is_refused_when_its_owner_dies(tmp_path: Path):
    async def scenario(redis: RedisServer) -> None:
        async with two_nodes(redis, JoinLimits(in_flight=1, depth=10, max_wait_s=60), relayed_join_wait_s=60,
                             node_ttl_s=2) as (a, calls_a, b):
            await a.join(Page(), *tech("s1"))
            await hold_the_owners_slot(a, calls_a)
            joining = asyncio.create_task(b.join(Page(), *customer("s1")))
            await eventually(lambda: calls_a.gate.waiting == 1, what="the relayed join queued on the owner")
            started = time.monotonic()
            for task in (a._watcher, a._refresher):  # a's process "dies": no more heartbeats, no answers
                assert task is not None
                task.cancel()
            assert a._inbox is not None
            await a._inbox.close()
            with pytest.raises(m.ProtocolError) as refused:
                await asyncio.wait_for(joining, 30)
            assert refused.value.code == "node_unavailable" and "stopped" in refused.value.message
            # refused once the owner's heartbeat expired, not after the relayed join's 60 s wait
            assert time.monotonic() - started < 30

    run(tmp_path / "redis", scenario)


@pytest.mark.serial  # a timing assertion: refused within a second
def test_a_relayed_join_to_an_owner_that_does_not_answer_is_refused_within_a_second(tmp_path: Path):
    async def scenario(redis: RedisServer) -> None:
        async with two_nodes(redis, JoinLimits()) as (a, _calls_a, b):
            await a.join(Page(), *tech("s1"))
            assert a._inbox is not None
            await a._inbox.close()  # a's heartbeat is still fresh, but it hears nothing any more
            started = time.monotonic()
            with pytest.raises(m.ProtocolError) as refused:
                await b.join(Page(), *customer("s1"))
            assert refused.value.code == "node_unavailable"
            assert time.monotonic() - started < 1.0

    run(tmp_path / "redis", scenario)
