"""Issue 15 fuzzing of trickled ICE candidates: generated and mutated candidate lines through the server peer's
candidate path (the range filter, then aiortc's parser, then a live RTCPeerConnection). Pass: a refused line
raises CandidateError with a code and a sentence, nothing else escapes, and no accepted candidate names an
address the filter must refuse."""

from __future__ import annotations

import ipaddress
import random
import time

import pytest
from aiortc.sdp import candidate_from_sdp

from media.ice import CandidateError, CandidatePolicy
from media.peer import ServerPeer
from tests import fuzzing

INTERNAL = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                              "0.0.0.0/8", "fc00::/7", "::ffff:0:0/96")]


def test_mutated_candidates_are_refused_clearly_or_parse():
    policy = CandidatePolicy()
    rng = random.Random(fuzzing.SEED)
    accepted = refused = 0
    n = fuzzing.count(30_000, 300_000)
    cpu = time.thread_time()
    for line in fuzzing.candidates(rng, n):
        try:
            parsed = policy.check(line)
        except CandidateError as exc:
            refused += 1
            assert exc.code in {"invalid_candidate", "candidate_refused"}, exc.code
            assert exc.message.endswith(".") and len(exc.message) < 200, exc.message
            continue
        accepted += 1
        assert policy.why_denied(parsed.address) is None
        assert not (parsed.address.is_loopback or parsed.address.is_link_local or parsed.address.is_multicast
                    or any(parsed.address in net for net in INTERNAL)), line
        text = line.strip().removeprefix("a=").removeprefix("candidate:")
        try:
            candidate = candidate_from_sdp(text)  # what ServerPeer.add_candidate hands to aiortc
        except (ValueError, IndexError):
            continue  # optional fields the filter does not read; ServerPeer refuses these with CandidateError
        assert candidate.ip and candidate.port == parsed.port
    assert accepted > 50 and refused > accepted, (accepted, refused)
    print(f"{n} candidate lines through the filter: {accepted} accepted, {refused} refused, "
          f"{time.thread_time() - cpu:.1f} s CPU")


# A browser's offer with no candidates: the server peer's checks go only to the trickled (loopback) ones.
OFFER = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0", "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "c=IN IP4 0.0.0.0", "a=mid:0", "a=sendrecv", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2",
    "a=ice-ufrag:fuzz", "a=ice-pwd:fuzzfuzzfuzzfuzzfuzzfuzz", "a=setup:actpass",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "",
])


async def test_mutated_candidates_through_a_live_peer():
    """Only loopback or malformed addresses: a test never makes the server contact another machine."""
    loopback = CandidatePolicy(allowed_cidrs=["127.0.0.0/8", "::1/128", "::ffff:127.0.0.0/104"])
    # An explicit empty list of STUN servers: with None, aiortc would gather through a public default one.
    peer = ServerPeer("fuzz", "customer", candidates=loopback, ice_servers=())
    await peer.answer(OFFER, lambda pc: None)
    rng = random.Random(fuzzing.SEED + 1)
    refused = 0
    n = fuzzing.count(2_000, 50_000)
    cpu = time.thread_time()
    try:
        for line in fuzzing.candidates(rng, n, fuzzing.LOOPBACK_AND_MALFORMED):
            try:
                parsed = loopback.check(line)
            except CandidateError:
                pass
            else:
                assert parsed.address.is_loopback or getattr(parsed.address, "ipv4_mapped", None), line
            try:
                await peer.add_candidate(line, rng.choice(["0", None, "9", ""]), rng.choice([0, None, 5]))
            except CandidateError as exc:
                refused += 1
                assert exc.message.endswith("."), exc.message
        await peer.add_candidate("candidate:1 1 udp 2122260223 127.0.0.1 9 typ host", "0", 0)  # still goes on
    finally:
        await peer.close()
    assert refused > 100
    print(f"{n} candidate lines through a live peer: {refused} refused, {time.thread_time() - cpu:.1f} s CPU")


async def test_fuzz_findings_candidates_aiortc_would_raise_on_are_refused_clearly():
    """Found by the fuzzing above: no sdpMid nor sdpMLineIndex, and malformed optional fields, raised ValueError
    from aiortc (answered 'message_failed' with a logged warning) instead of a clear refusal."""
    loopback = CandidatePolicy(allowed_cidrs=["127.0.0.0/8"])
    peer = ServerPeer("fuzz", "customer", candidates=loopback, ice_servers=())
    await peer.answer(OFFER, lambda pc: None)
    try:
        for line, mid, index in (("candidate:1 1 udp 1 127.0.0.1 9 typ host", None, None),
                                 ("candidate:1 1 udp 1 127.0.0.1 9 typ host rport x", "0", 0)):
            with pytest.raises(CandidateError) as info:
                await peer.add_candidate(line, mid, index)
            assert info.value.code == "invalid_candidate" and info.value.message.endswith(".")
    finally:
        await peer.close()
