"""Issue 15 soak: an ended call leaves nothing behind. A few calls with video (recorded and analysed) through a
real app in this process; once they have ended, every per-call structure of the server is empty and, after a
full garbage collection, no call, media, recorder, peer or aiortc RTCPeerConnection object is alive.

Each call's aiortc objects form reference cycles (a peer connection's transports hold its bound methods), so
they are freed by the cyclic collector, not at once: what must never happen is that something still reaches
them after the collection (a dict entry never popped, a callback kept by a long-lived object)."""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path

import numpy as np
import pytest
from aiortc import RTCPeerConnection

from calls.analysis_pool import CallAnalysis
from calls.live import LiveCall
from media.call import CallMedia
from media.hub import EncodedHub, PassthroughTrack
from media.peer import ServerPeer
from media.recorder import SessionRecorder
from testkit.inprocess import LiveServer, serve_in_process
from testkit.peers import EncodedClip, SyntheticCustomer, SyntheticTechnician, encode_clip
from testkit.session_client import start_pair

pytestmark = pytest.mark.slow
CALLS = 2
PER_CALL = (LiveCall, CallMedia, ServerPeer, SessionRecorder, CallAnalysis, EncodedHub, PassthroughTrack,
            RTCPeerConnection)


def alive(kinds: tuple[type, ...]) -> dict[str, int]:
    """Objects of these classes that a full collection leaves alive."""
    gc.collect()
    counts: dict[str, int] = {}
    for obj in gc.get_objects():
        if isinstance(obj, kinds):
            counts[type(obj).__name__] = counts.get(type(obj).__name__, 0) + 1
    return counts


async def one_call(server: LiveServer, clip: EncodedClip, census: bool = False) -> None:
    started = time.monotonic()
    pair = await start_pair(server.url, server.technician_token(), SyntheticCustomer(clip),
                             SyntheticTechnician(), title="teardown")
    try:
        deadline = time.monotonic() + 30
        while not pair.technician.video_frames:  # media flowed: recorder, analysis and relay all took part
            assert time.monotonic() < deadline, "no video reached the technician"
            await asyncio.sleep(0.05)
        if census:  # the census sees a live call's objects: an empty one below means they are gone
            assert {"LiveCall", "ServerPeer", "RTCPeerConnection", "SessionRecorder"} <= set(alive(PER_CALL))
    finally:
        await pair.close(end_session=True)
    print(f"call in {time.monotonic() - started:.1f} s")


async def test_ended_calls_leave_no_state_and_no_live_objects(tmp_path: Path):
    clip = encode_clip([np.full((120, 160, 3), 20 * i, np.uint8) for i in range(10)], fps=10, keyframe_interval=5)
    async with serve_in_process(tmp_path / "data", analysis_workers=1) as server:
        manager = server.services.calls
        for i in range(CALLS):
            await one_call(server, clip, census=i == 0)
        deadline = time.monotonic() + 20
        while manager.calls or manager.background_tasks or len(server.services.connections):
            assert time.monotonic() < deadline, (manager.calls, manager.background_tasks)
            await asyncio.sleep(0.05)
        assert manager.analysis_pool.live_sessions() == 0
        assert alive(PER_CALL) == {}
