"""Real aiortc peers over loopback through CallMedia: passthrough relay, keyframes, loss, a second technician."""

from __future__ import annotations

import asyncio
import datetime
import time

import numpy as np
import pytest

from media.call import CallMedia
from media.frames import EncodedFrame, RelayMode
from media.ice import CandidatePolicy
from media.peer import install_drop
from media.stats import RELAY
from testkit.peers import (
    EncodedClip,
    LatencyBook,
    SyntheticCustomer,
    SyntheticTechnician,
    encode_tone,
    moving_bar_clip,
    tone_levels,
)
from testkit.polling import eventually

# As in a server under test: the synthetic peers' loopback candidates may be contacted (tests/conftest.py).
LOOPBACK = CandidatePolicy(["127.0.0.1/32"], peer_cidrs=["127.0.0.0/8"])

# serial: frame-rate and within-a-second assertions, run after the parallel phase with the machine to themselves
pytestmark = [pytest.mark.slow, pytest.mark.serial]


@pytest.fixture(scope="module")
def clip() -> EncodedClip:
    return moving_bar_clip(keyframe_interval=300)  # one natural keyframe per 2 s loop, at its start


async def connect(media: CallMedia, pid: str, role: str, peer: SyntheticCustomer | SyntheticTechnician) -> None:
    answer = await media.handle_offer(pid, role, await peer.offer())
    await peer.accept(answer)



@pytest.mark.parametrize("relay_mode", ["packets", "frames"])
async def test_passthrough_relays_video_and_audio_without_decoding(clip, relay_mode: RelayMode):
    book = LatencyBook()
    media = CallMedia("s-1", candidates=LOOPBACK, relay_mode=relay_mode)
    forwarded_before = dict(RELAY.packets_forwarded)
    observed: list[tuple[str, EncodedFrame]] = []
    media.add_observer(lambda source, frame: observed.append((source, frame)))
    tech = SyntheticTechnician(book)
    customer = SyntheticCustomer(clip, book)
    try:
        await connect(media, "t-1", "technician", tech)
        await connect(media, "c-1", "customer", customer)
        await eventually(lambda: len(tech.video_frames) > 60 and tech.audio_frames > 50)
        await asyncio.sleep(1.0)
        assert tech.fps(1.0) >= 25
        assert tech.keyframes >= 1  # the first frame a viewer gets is a keyframe (requested by PLI)
        assert len(book.latencies_ms) > 50
        assert float(np.percentile(book.latencies_ms, 50)) < 100
        sources = {s for s, _ in observed}
        assert "customer" in sources
        assert any(f.kind == "video" and f.codec == "VP8" for _, f in observed)
        assert media.customer_video.subscribers == 1
        forwarded = {kind: RELAY.packets_forwarded[kind] - forwarded_before[kind] for kind in forwarded_before}
        if relay_mode == "packets":
            assert forwarded["video"] > 60 and forwarded["audio"] > 50
        else:
            assert forwarded == {"audio": 0, "video": 0}
        # The viewer's RTCP sender reports count what it got and map NTP time near now (A/V sync, RTT)
        [video] = [t for t in tech.pc.getTransceivers() if t.kind == "video"]
        report = None
        for _ in range(40):  # sender reports come every 0.5-1.5 s
            report = next((s for s in (await video.receiver.getStats()).values() if s.type == "remote-outbound-rtp"),
                          None)
            if report is not None:
                break
            await asyncio.sleep(0.1)
        assert report is not None and report.packetsSent > 60
        assert abs((report.remoteTimestamp - datetime.datetime.now(datetime.UTC)).total_seconds()) < 3
    finally:
        await customer.close()
        await tech.close()
        await media.close()


async def test_second_technician_joins_mid_call_and_gets_a_keyframe_quickly(clip):
    media = CallMedia("s-2", candidates=LOOPBACK, relay_mode="packets")
    first, second = SyntheticTechnician(), SyntheticTechnician()
    customer = SyntheticCustomer(clip)
    try:
        await connect(media, "t-1", "technician", first)
        await connect(media, "c-1", "customer", customer)
        await eventually(lambda: len(first.video_frames) > 30)
        # Join just after the clip's only natural keyframe (its first frame) went by: the next one is ~1.5 s away,
        # so a picture within 1 s can only come from the new viewer's PLI forwarded to the customer.
        assert customer.video is not None
        await eventually(lambda: customer.video._i % len(clip.video) == 10)
        requested_before = customer.video.keyframes_on_request
        joined = time.monotonic()
        await connect(media, "t-2", "technician", second)
        await eventually(lambda: second.keyframes >= 1)
        assert time.monotonic() - joined < 1.0
        assert customer.video.keyframes_on_request > requested_before
        await eventually(lambda: second.fps(1.0) >= 25)
    finally:
        for p in (customer, first, second):
            await p.close()
        await media.close()


async def test_packet_loss_on_the_receive_path_and_on_the_way_to_the_viewer_recovers(clip):
    media = CallMedia("s-3", drop_rate=0.05, candidates=LOOPBACK, relay_mode="packets")
    tech = SyntheticTechnician()
    customer = SyntheticCustomer(clip)
    try:
        await connect(media, "t-1", "technician", tech)
        await connect(media, "c-1", "customer", customer)
        [video] = [t for t in tech.pc.getTransceivers() if t.kind == "video"]
        install_drop(video.receiver, 0.05, seed=7)  # the viewer loses 5% too: its NACKs are answered by the relay
        await eventually(lambda: len(tech.video_frames) > 90, within_s=20)
        await asyncio.sleep(2.0)
        # NACK/RTX and PLI keep the picture moving despite 5% loss on each leg
        assert tech.fps(2.0) >= 20
        if media.relay_mode == "packets":
            [stream] = media.customer_video._streams
            assert stream.retransmitted > 0
    finally:
        await customer.close()
        await tech.close()
        await media.close()


async def test_garbage_offer_is_a_negotiation_error():
    from media.peer import NegotiationError

    media = CallMedia("s-4", candidates=LOOPBACK)
    with pytest.raises(NegotiationError):
        await media.handle_offer("c-1", "customer", "v=0\r\nthis is not sdp\r\n")
    await media.close()


@pytest.mark.parametrize("relay_mode", ["packets", "frames"])
async def test_an_invited_expert_is_mixed_in_so_everyone_hears_everyone_else(clip, relay_mode: RelayMode):
    # customer hums 440 Hz, the technician 880 Hz, the expert 1320 Hz
    media = CallMedia("s-5", candidates=LOOPBACK, relay_mode=relay_mode)
    customer = SyntheticCustomer(clip)
    technician = SyntheticTechnician(voice=encode_tone(2.0, 880))
    expert = SyntheticTechnician(voice=encode_tone(2.0, 1320))
    tones = (440, 880, 1320)
    try:
        await connect(media, "t-1", "technician", technician)
        await connect(media, "c-1", "customer", customer)
        await eventually(lambda: technician.audio_frames > 50)
        assert not media.mixing  # two voices: plain passthrough
        heard = tone_levels(list(technician.audio_payloads)[-50:], tones)
        assert heard[440] > 0.5 and heard[1320] < 0.01
        await connect(media, "t-2", "technician", expert)
        assert media.mixing
        await eventually(lambda: expert.audio_frames > 100)
        await asyncio.sleep(1.0)
        last_second = {name: tone_levels(list(peer.audio_payloads)[-50:], tones)
                       for name, peer in (("customer", customer), ("technician", technician), ("expert", expert))}
        # everyone hears the two others and not themselves
        for name, own, others in (("customer", 440, (880, 1320)), ("technician", 880, (440, 1320)),
                                  ("expert", 1320, (440, 880))):
            levels = last_second[name]
            assert all(levels[hz] > 0.1 for hz in others), (name, levels)
            assert levels[own] < 0.02, (name, levels)
        # the expert leaves: back to passthrough, and the technician hears the customer alone again
        await media.remove("t-2")
        assert not media.mixing
        heard_before = technician.audio_frames
        await eventually(lambda: technician.audio_frames > heard_before + 60)
        heard = tone_levels(list(technician.audio_payloads)[-40:], tones)
        assert heard[440] > 0.5 and heard[1320] < 0.01, heard
    finally:
        for peer in (customer, technician, expert):
            await peer.close()
        await media.close()
