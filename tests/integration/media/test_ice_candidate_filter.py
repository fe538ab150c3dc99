"""The server's ICE agent against loopback listeners: a denied candidate's listener receives nothing, while an
allowed one in the same offer gets the STUN checks (so the test would notice a filter that does nothing)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from media.call import CallMedia
from media.ice import CandidateError, CandidatePolicy

pytestmark = pytest.mark.slow

# The suite allows exactly 127.0.0.1 (tests run on loopback); 127.0.0.3 stays denied like any internal address.
POLICY = CandidatePolicy(["127.0.0.1/32"])


@pytest.fixture
def listeners() -> Iterator[tuple[socket.socket, socket.socket]]:
    allowed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    denied = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    allowed.bind(("127.0.0.1", 0))
    denied.bind(("127.0.0.3", 0))
    for s in (allowed, denied):
        s.setblocking(False)
    yield allowed, denied
    allowed.close()
    denied.close()


def line(s: socket.socket, foundation: str) -> str:
    host, port = s.getsockname()
    return f"candidate:{foundation} 1 udp 2122260223 {host} {port} typ host"


async def offer_with(candidates: list[str], *, trickle: bool = False) -> tuple[RTCPeerConnection, str]:
    """A real browser-like offer whose only candidates are the given ones (nothing off loopback is named)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio")
    await pc.setLocalDescription(await pc.createOffer())
    drop = ("a=candidate", "a=end-of-candidates") if trickle else ("a=candidate",)
    lines = [x for x in pc.localDescription.sdp.split("\r\n") if not x.startswith(drop)]
    at = next(i for i, x in enumerate(lines) if x.startswith("a=ice-ufrag"))
    lines[at:at] = ["a=" + c for c in candidates]
    return pc, "\r\n".join(lines)


async def received(s: socket.socket, within: float) -> int:
    """Datagrams that arrive within the time."""
    loop = asyncio.get_running_loop()
    count = 0
    deadline = loop.time() + within
    while (left := deadline - loop.time()) > 0:
        try:
            await asyncio.wait_for(loop.sock_recv(s, 2048), left)
            count += 1
        except TimeoutError:
            break
    return count


async def test_denied_candidates_in_the_offer_are_never_contacted(listeners):
    allowed, denied = listeners
    pc, sdp = await offer_with([line(allowed, "1"), line(denied, "2")])
    media = CallMedia("ice-sdp", candidates=POLICY)
    try:
        answer = await media.handle_offer("c-1", "customer", sdp)
        assert "a=candidate" in answer
        got_allowed, got_denied = await asyncio.gather(received(allowed, 3.0), received(denied, 3.0))
        assert got_allowed > 0  # the checks do go out to what is allowed
        assert got_denied == 0
    finally:
        await media.close()
        await pc.close()


async def test_denied_trickled_candidates_are_refused_before_aiortc(listeners):
    allowed, denied = listeners
    pc, sdp = await offer_with([], trickle=True)
    media = CallMedia("ice-trickle", candidates=POLICY)
    try:
        await media.handle_offer("c-1", "customer", sdp)
        with pytest.raises(CandidateError) as refused:
            await media.add_candidate("c-1", line(denied, "2"), "0", 0)
        assert refused.value.code == "candidate_refused" and "loopback" in refused.value.message
        await media.add_candidate("c-1", line(allowed, "1"), "0", 0)
        got_allowed, got_denied = await asyncio.gather(received(allowed, 3.0), received(denied, 3.0))
        assert got_allowed > 0
        assert got_denied == 0
    finally:
        await media.close()
        await pc.close()
