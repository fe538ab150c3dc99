"""Issue 15 fuzzing of SDP offers through the server peer's offer handling (ServerPeer.answer on a live aiortc
peer). Pass: every mutated offer is answered or refused with NegotiationError (a sentence for the sender), and
the participant can go on: a valid offer afterwards is answered. Candidates in the offers are loopback or
malformed only, so the server contacts no other machine."""

from __future__ import annotations

import random
import time

import pytest

from media.ice import CandidatePolicy
from media.peer import NegotiationError, ServerPeer
from tests import fuzzing
from tests.unit.media.test_fuzz_ice import OFFER

VIDEO = ["m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=mid:1", "a=sendonly", "a=rtcp-mux",
         "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack pli"]
ODD_LINES = ["m=audio 9 UDP/TLS/RTP/SAVPF", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "a=mid:",
             "a=mid:0", "a=rtpmap:111", "a=rtpmap:x opus/48000/2", "a=rtpmap:111 opus/99999999999999999/2",
             "a=fingerprint:sha-1 ZZ", "a=fingerprint:", "a=setup:bogus", "a=setup:active", "a=ice-ufrag:",
             "a=ice-pwd:", "a=group:BUNDLE 0 1 2 3", "a=ssrc:1 cname:x", "a=ssrc:x", "a=ssrc-group:FID 1",
             "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid", "a=extmap:x", "a=fmtp:111 minptime=10;x",
             "a=fmtp:", "a=rtcp-fb:111", "a=msid:a b", "a=sctp-port:x", "a=max-message-size:-1", "c=IN IP4",
             "b=AS:x", "a=rtcp:9 IN IP4 127.0.0.1", "m=video 0 RTP/AVP 0", "a=inactive", "x", "", "=",
             "a=candidate:1 1 udp 1 127.0.0.1 9 typ host", "a=candidate:1 1 udp 1 10.0.0.1 9 typ host",
             "a=candidate:1 1 udp 99999999999 127.0.0.1 9 typ host", "a=candidate:x", "a=end-of-candidates"]


def mutate(rng: random.Random, sdp: str) -> str:
    """A valid offer with one to three line-level mutations."""
    lines = sdp.rstrip("\r\n").split("\r\n")
    if rng.random() < 0.5:
        lines += VIDEO
    for _ in range(rng.randrange(1, 4)):
        op, i = rng.randrange(6), rng.randrange(len(lines)) if lines else 0
        if op == 0 and lines:
            lines.pop(i)
        elif op == 1:
            lines.insert(i, rng.choice(ODD_LINES))
        elif op == 2 and lines:
            lines.insert(i, lines[i])
        elif op == 3 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 4 and lines:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif lines:
            lines[i] = lines[i] + rng.choice([" x", "\x00", "9" * 30, " " + "a" * 200, ":"])
    return "\r\n".join(lines) + rng.choice(["\r\n", "\n", ""])


def server_peer(name: str) -> ServerPeer:
    """A server peer on loopback with no STUN server: an explicit empty list (aiortc adds its public default only
    for None), so nothing leaves the machine and no offer waits out a STUN timeout (5 s at an unanswered one,
    which made up nearly all of this test's time: the offers themselves cost about 3 ms of CPU each)."""
    return ServerPeer(name, "customer", candidates=CandidatePolicy(allowed_cidrs=["127.0.0.0/8"]), ice_servers=())


async def test_mutated_offers_are_answered_or_refused_clearly():
    """Half the offers are a fresh peer's first offer, half re-offers to one peer that lives through them all."""
    peer = server_peer("fuzz")
    rng = random.Random(fuzzing.SEED)
    answered = refused = 0
    n = fuzzing.count(300, 50_000)
    started, cpu = time.monotonic(), time.thread_time()
    try:
        for _ in range(n):
            fresh = server_peer("fuzz-first") if rng.random() < 0.5 else None
            try:
                answer = await (fresh or peer).answer(mutate(rng, OFFER), lambda pc: None)
            except NegotiationError as exc:
                refused += 1
                assert str(exc).strip(), exc
            else:
                answered += 1
                assert answer.startswith("v=0")
            finally:
                if fresh is not None:
                    await fresh.close()
        assert refused > 10 and answered > 10, (answered, refused)
    finally:
        await peer.close()
    print(f"{n} offers (seed {fuzzing.SEED}): {answered} answered, {refused} refused, "
          f"{time.monotonic() - started:.1f} s wall, {time.thread_time() - cpu:.1f} s CPU of this thread")
    after = server_peer("fuzz2")
    try:
        assert (await after.answer(OFFER, lambda pc: None)).startswith("v=0")
    finally:
        await after.close()


async def test_fuzz_finding_a_re_offer_without_a_direction_is_refused_clearly():
    """Found by the fuzzing above: aiortc raised ValueError from setLocalDescription (not NegotiationError)."""
    peer = server_peer("fuzz")
    try:
        await peer.answer(OFFER, lambda pc: None)
        with pytest.raises(NegotiationError, match="could not be answered"):
            await peer.answer(OFFER.replace("a=sendrecv\r\n", ""), lambda pc: None)
    finally:
        await peer.close()
