"""The join gate: a bounded number of joins at once, the rest in order up to a depth, then `busy` with a retry hint."""

from __future__ import annotations

import asyncio

import pytest

from signaling import messages as m
from signaling.join_gate import MAX_RETRY_MS, MIN_RETRY_MS, JoinGate, JoinLimits


async def _hold(gate: JoinGate, name: str, order: list[str], release: asyncio.Event) -> None:
    async with gate.turn():
        order.append(name)
        await release.wait()


def test_joins_beyond_the_bound_wait_their_turn_in_order():
    async def scenario() -> None:
        gate = JoinGate(JoinLimits(in_flight=2, depth=10, max_wait_s=5))
        order: list[str] = []
        releases = [asyncio.Event() for _ in range(5)]
        tasks = [asyncio.create_task(_hold(gate, f"j{i}", order, releases[i])) for i in range(5)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert order == ["j0", "j1"] and gate.running == 2 and gate.waiting == 3
        releases[1].set()
        await asyncio.sleep(0.01)
        assert order == ["j0", "j1", "j2"] and gate.running == 2 and gate.waiting == 2
        for r in releases:
            r.set()
        await asyncio.gather(*tasks)
        assert order == ["j0", "j1", "j2", "j3", "j4"] and gate.running == 0 and gate.waiting == 0

    asyncio.run(scenario())


def test_a_full_queue_refuses_with_busy_and_a_retry_hint():
    async def scenario() -> None:
        gate = JoinGate(JoinLimits(in_flight=1, depth=2, max_wait_s=5))
        release = asyncio.Event()
        held = [asyncio.create_task(_hold(gate, f"j{i}", [], release)) for i in range(3)]
        await asyncio.sleep(0)
        with pytest.raises(m.ProtocolError) as refused:
            async with gate.turn():
                pass
        assert refused.value.code == "busy"
        assert refused.value.retry_after_ms is not None
        assert MIN_RETRY_MS <= refused.value.retry_after_ms <= MAX_RETRY_MS
        assert gate.refused == 1
        release.set()
        await asyncio.gather(*held)
        async with gate.turn():  # the queue drained: joins pass again
            assert gate.running == 1

    asyncio.run(scenario())


def test_a_join_that_waits_too_long_is_refused_and_its_turn_is_not_lost():
    async def scenario() -> None:
        gate = JoinGate(JoinLimits(in_flight=1, depth=10, max_wait_s=0.05))
        release = asyncio.Event()
        first = asyncio.create_task(_hold(gate, "j0", [], release))
        await asyncio.sleep(0)
        with pytest.raises(m.ProtocolError, match="many joins"):
            async with gate.turn():
                pass
        assert gate.waiting == 0 and gate.running == 1
        release.set()
        await first
        assert gate.running == 0
        async with asyncio.timeout(1):
            async with gate.turn():
                pass

    asyncio.run(scenario())


def test_a_cancelled_waiting_join_leaves_the_queue():
    async def scenario() -> None:
        gate = JoinGate(JoinLimits(in_flight=1, depth=10, max_wait_s=5))
        release = asyncio.Event()
        first = asyncio.create_task(_hold(gate, "j0", [], release))
        await asyncio.sleep(0)
        waiting = asyncio.create_task(_hold(gate, "j1", [], asyncio.Event()))
        await asyncio.sleep(0)
        assert gate.waiting == 1
        waiting.cancel()  # the browser went away while its join waited
        await asyncio.gather(waiting, return_exceptions=True)
        assert gate.waiting == 0
        release.set()
        await first
        assert gate.running == 0

    asyncio.run(scenario())


def test_the_retry_hint_grows_with_the_queue():
    gate = JoinGate(JoinLimits(in_flight=2, depth=100, max_wait_s=5))
    gate._durations.extend([0.2] * 10)
    gate._running = 2
    short = gate.retry_after_ms()
    loop = asyncio.new_event_loop()
    gate._waiting.extend(loop.create_future() for _ in range(40))
    assert gate.retry_after_ms() > short
    loop.close()
