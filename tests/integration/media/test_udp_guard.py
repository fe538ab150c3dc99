"""Regression tests for the crashes the UDP fuzzing found (media/udp_guard.py): one datagram each, sent from a
loopback socket at a live in-process call's media port. Without the guard, the empty datagram closes the DTLS
transport (the technician's video stops), so does an RTP-shaped one over 1500 bytes, and the STUN one makes asyncio log a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import struct
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from media.aiortc_internals import nominated_pairs
from media.call import CallMedia
from media.host_addresses import gather_host_candidates_on
from media.ice import CandidatePolicy
from media.udp_guard import DroppedDatagrams
from testkit.peers import SyntheticCustomer, SyntheticTechnician, moving_bar_clip

# serial: frame-rate and within-a-second assertions, run after the parallel phase with the machine to themselves
pytestmark = [pytest.mark.slow, pytest.mark.serial]


@pytest.fixture
def loopback_only() -> Iterator[None]:
    gather_host_candidates_on(["127.0.0.1"])
    yield
    gather_host_candidates_on(["127.0.0.1"])  # as tests/conftest.py sets it for every test


def stun_with_short_priority() -> bytes:
    """A binding request whose PRIORITY attribute has 3 bytes instead of 4: aioice's parser raises struct.error."""
    attr = struct.pack("!HH", 0x0024, 3) + b"\x01\x02\x03\x00"
    return struct.pack("!HHI", 0x0001, len(attr), 0x2112A442) + b"\x07" * 12 + attr


@contextlib.asynccontextmanager
async def live_call(name: str, peer_cidrs: tuple[str, ...] = ()) -> AsyncIterator[
        tuple[SyntheticTechnician, SyntheticCustomer, int]]:
    """An in-process call with video flowing to the technician; yields both peers and the server's media port."""
    media = CallMedia(name, candidates=CandidatePolicy(["127.0.0.1/32"], peer_cidrs))
    tech, customer = SyntheticTechnician(), SyntheticCustomer(moving_bar_clip(keyframe_interval=30))
    try:
        await tech.accept(await media.handle_offer("t-1", "technician", await tech.offer()))
        answer = await media.handle_offer("c-1", "customer", await customer.offer())
        await customer.accept(answer)
        deadline = time.monotonic() + 20
        while tech.fps(1.0) < 20:
            assert time.monotonic() < deadline, "no video"
            await asyncio.sleep(0.1)
        [port] = {int(p) for p in re.findall(r"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host", answer)}
        yield tech, customer, port
    finally:
        await customer.close()
        await tech.close()
        await media.close()


def customer_ice_pairs(customer: SyntheticCustomer) -> list[Any]:
    """The customer peer's nominated ICE candidate pairs (aioice)."""
    ice = customer.pc.getTransceivers()[0].sender.transport.transport
    return nominated_pairs(ice)


async def test_media_from_an_address_ice_did_not_choose_is_dropped_unread(loopback_only):
    async with live_call("udp-source") as (tech, customer, port):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
            dropped = DroppedDatagrams.count
            for first in (22, 23, 0x80, 0x90):  # DTLS handshake and application data, RTP, RTCP-ish
                attacker.sendto(bytes([first]) + bytes(40), ("127.0.0.1", port))
            binding = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + b"\x07" * 12  # no USERNAME: 400 Bad Request
            attacker.sendto(binding, ("127.0.0.1", port))  # STUN from anywhere is still read and answered
            attacker.setblocking(False)
            answer = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(attacker, 2048), 5)
            assert answer[:2] == b"\x01\x11"  # a binding error response: the port was listening
            assert DroppedDatagrams.count == dropped + 4
            assert tech.fps(1.0) >= 20


async def test_a_check_from_outside_the_peer_networks_gets_no_answer(loopback_only):
    # LENSDESK_ICE_PEER_CIDRS: aioice would answer a connectivity check from anywhere and then probe the sender
    # (a peer-reflexive candidate); outside the configured networks nothing is answered or probed.
    binding = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + b"\x07" * 12
    async with live_call("udp-peer-networks", peer_cidrs=("127.0.0.1/32",)) as (tech, _customer, port):
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as outsider, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as insider:
            outsider.bind(("127.0.0.2", 0))  # loopback, but outside 127.0.0.1/32
            outsider.setblocking(False)
            insider.setblocking(False)
            dropped = DroppedDatagrams.count
            outsider.sendto(binding, ("127.0.0.1", port))
            insider.sendto(binding, ("127.0.0.1", port))
            assert (await asyncio.wait_for(loop.sock_recv(insider, 2048), 5))[:2] == b"\x01\x11"  # inside: answered
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(loop.sock_recv(outsider, 2048), 1)
            assert DroppedDatagrams.count == dropped + 1
            assert tech.fps(1.0) >= 20


async def fps_after(tech: SyntheticTechnician, seconds: float) -> float:
    await asyncio.sleep(seconds)
    return tech.fps(seconds)


@pytest.mark.parametrize("datagram", [b"", b"\x80" + bytes(1600), stun_with_short_priority()],
                         ids=["empty", "oversize-srtp", "stun-struct-error"])
async def test_a_hostile_datagram_neither_stops_the_call_nor_logs_a_traceback(loopback_only, datagram: bytes):
    loop_errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, context: loop_errors.append(context))
    async with live_call("udp-guard") as (tech, customer, port):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
            dropped = DroppedDatagrams.count
            for _ in range(3):
                if datagram[:1] in (b"", b"\x80"):  # from the customer's own ICE socket: past the source check
                    [pair] = customer_ice_pairs(customer)
                    own = pair.protocol.transport.get_extra_info("socket")  # asyncio's sendto skips empty datagrams
                    with socket.socket(own.family, own.type, fileno=os.dup(own.fileno())) as same_port:
                        same_port.sendto(datagram, pair.remote_addr)
                else:
                    attacker.sendto(datagram, ("127.0.0.1", port))
            assert await fps_after(tech, 2.0) >= 20  # the relay goes on
            assert not loop_errors, loop_errors  # nothing reached asyncio's exception handler (a logged traceback)
            assert DroppedDatagrams.count == dropped + 3  # and the guard is what dropped them
