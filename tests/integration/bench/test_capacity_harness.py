"""Smoke test of the capacity bench's harness (bench/capacity.py, bench/janus_sfu.py): one small level each, in
seconds; the figures themselves come from the bench, not from here."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bench.capacity import (
    Clips,
    Result,
    Session,
    cpu_seconds,
    cpu_split,
    descendants,
    measure_level,
    new_peers,
    open_sessions,
    row,
    run_lensdesk_level,
)
from bench.janus_sfu import JanusRunner, janus_available, loopback_candidates_only
from media.host_addresses import gather_host_candidates_on
from testkit.peers import encode_tone, moving_bar_clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clips() -> Clips:
    bar = moving_bar_clip(keyframe_interval=30, seconds=1.0)
    return Clips(desk=bar, screen=bar, voice=encode_tone(1.0, 220.0))


@pytest.fixture
def loopback_only() -> Iterator[None]:
    gather_host_candidates_on(["127.0.0.1"])
    yield
    # Not "every interface": tests/conftest.py keeps the whole run's peers on loopback, and resetting it here once
    # sent the next module's aiortc peers out on eth0, where the servers' loopback-only peer policy refused them.
    gather_host_candidates_on(["127.0.0.1"])


def test_cpu_sets_are_disjoint_when_there_are_two_cpus_or_more() -> None:
    assert cpu_split([0, 1]) == ([0], [1])
    assert cpu_split([3, 0, 2, 1]) == ([0, 1], [2, 3])
    assert cpu_split([5]) == ([5], [5])


def test_an_unreachable_level_is_reported_not_raised() -> None:
    async def failing(i: int) -> Session:
        if i == 1:
            raise TimeoutError("no answer")
        return Session(None, None, lambda: asyncio.sleep(0))  # type: ignore[arg-type]

    sessions, status = asyncio.run(open_sessions(3, failing))
    assert len(sessions) == 1
    assert status.startswith("session 2 of 3 not set up") and "no answer" in status
    assert "UNREACHABLE" in row(Result("lensdesk", "voice", 3, status=status))


def test_cpu_time_of_a_process_tree_counts_its_children() -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; "
                               "subprocess.run([sys.executable, '-c', 'while True: pass'])"])
    try:
        time.sleep(1.5)
        assert cpu_seconds(parent.pid) > 0.3  # the busy grandchild's time, not the idle parent's
    finally:
        for pid in reversed(descendants(parent.pid)):
            os.kill(pid, signal.SIGKILL)
        parent.wait()


def test_a_voice_level_measures_server_cpu_per_packet(clips: Clips, loopback_only: None) -> None:
    r = asyncio.run(run_lensdesk_level("voice", 1, clips, [0], warmup_s=1.0, measure_s=2.0))
    # Measured (the rate target itself is the bench's business: on a loaded machine a level may fall below it).
    assert r.status in ("ok", "audio below 45 packets/s"), r.status
    assert r.packets_per_s > 60  # 50 Opus packets a second each way
    assert 0 < r.us_per_packet < 100_000
    assert r.min_rate > 10


@pytest.mark.skipif(not janus_available(), reason="Debian janus is not installed (scripts/install-system.sh)")
def test_janus_forwards_the_same_voice_streams(clips: Clips, loopback_only: None) -> None:
    r = asyncio.run(JanusRunner([0]).run_level("voice", 1, clips, 1.0, 2.0, measure_level, new_peers))
    assert r.status in ("ok", "audio below 45 packets/s"), r.status
    assert r.packets_per_s > 60  # 50 Opus packets a second each way


def test_only_loopback_candidates_reach_janus() -> None:
    sdp = "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\na=candidate:2 1 udp 1 10.1.2.3 5000 typ host\r\n"
    assert loopback_candidates_only(sdp) == "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n"
