"""Rewriting forwarded RTP packets (media/forward.py) with packets made for the test: no sockets."""

from __future__ import annotations

import struct

from aiortc import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket, unwrap_rtx

from media.forward import (
    RETIRED_SOURCE_S,
    PacketWriter,
    SequenceRewriter,
    h264_packet_starts_keyframe,
    payload_types_by_codec,
    rtx_of,
    vp8_packet_starts_keyframe,
)

VP8_KEY_START = bytes([0x90, 0x80, 0x81, 0x23, 0x10])  # X S, I, 15-bit picture id, payload header P=0
VP8_DELTA_START = bytes([0x90, 0x80, 0x81, 0x24, 0x11])  # same, P=1
VP8_KEY_MIDDLE = bytes([0x80, 0x80, 0x81, 0x23, 0x10])  # not the start of the partition


def test_a_new_source_continues_right_after_the_last_packet_and_gaps_stay_gaps() -> None:
    rw = SequenceRewriter(48000, first_sequence=1000, first_timestamp=50_000)
    assert rw.rewrite(0xAAAA, 40, 960_000, b"x", now=10.0) == (1000, 50_000)
    assert rw.rewrite(0xAAAA, 41, 960_960, b"x", now=10.02) == (1001, 50_960)
    # two packets lost upstream: the viewer sees the same gap (so it can NACK or conceal)
    assert rw.rewrite(0xAAAA, 44, 963_840, b"x", now=10.08) == (1004, 53_840)
    # a re-offer: new SSRC, sequence and timestamp restart anywhere; 0.5 s later
    assert rw.rewrite(0xBBBB, 7, 123, b"x", now=10.58) == (1005, 53_840 + 24_000)
    assert rw.rewrite(0xBBBB, 8, 1083, b"x", now=10.6) == (1006, 53_840 + 24_960)


def test_wraparound_and_reordering_keep_the_newest_packet_for_the_next_splice() -> None:
    rw = SequenceRewriter(90000, first_sequence=65534, first_timestamp=0xFFFFFF00)
    assert rw.rewrite(1, 100, 0, b"x", now=1.0) == (65534, 0xFFFFFF00)
    assert rw.rewrite(1, 102, 3000, b"x", now=1.03) == (0, 0xFFFFFF00 + 3000 - 2**32)
    assert rw.rewrite(1, 101, 0, b"x", now=1.04) == (65535, 0xFFFFFF00)  # late, reordered: passed on as it is
    assert rw.last is not None and rw.last[0] == 0  # ...but the newest is still sequence 0
    assert rw.rewrite(2, 5000, 77, b"x", now=1.07) == (1, 3000 - 256 + 3600)  # + 40 ms at 90 kHz


def test_late_packets_of_a_replaced_source_are_dropped_then_it_may_come_back() -> None:
    rw = SequenceRewriter(48000, first_sequence=0, first_timestamp=0)
    rw.rewrite(1, 10, 0, b"x", now=0.0)
    assert rw.rewrite(2, 500, 0, b"x", now=0.1) == (1, 4800)
    assert rw.rewrite(1, 11, 960, b"x", now=0.2) is None  # straggler of the old SSRC
    assert rw.dropped == 1
    # a source that really comes back (the first technician is primary again) is spliced on
    later = 0.1 + RETIRED_SOURCE_S + 1
    assert rw.rewrite(1, 12, 1920, b"x", now=later) == (2, 4800 + round(RETIRED_SOURCE_S + 1) * 48000)


def test_a_video_subscriber_starts_at_a_keyframe_and_restarts_at_one_after_a_source_change() -> None:
    rw = SequenceRewriter(90000, keyframe_start=vp8_packet_starts_keyframe, first_sequence=0, first_timestamp=0)
    assert rw.rewrite(7, 1, 0, VP8_DELTA_START, now=0.0) is None
    assert rw.rewrite(7, 2, 0, VP8_KEY_MIDDLE, now=0.0) is None
    assert rw.waiting
    assert rw.rewrite(7, 3, 3000, VP8_KEY_START, now=0.03) == (0, 0)
    assert rw.rewrite(7, 4, 3000, VP8_KEY_MIDDLE, now=0.03) == (1, 0)
    assert rw.rewrite(7, 5, 6000, VP8_DELTA_START, now=0.06) == (2, 3000)
    # new SSRC: its delta frames are dropped without leaving a gap in what the viewer gets
    assert rw.rewrite(8, 900, 1, VP8_DELTA_START, now=0.1) is None
    assert rw.rewrite(8, 901, 3001, VP8_DELTA_START, now=0.13) is None
    assert rw.rewrite(8, 902, 6001, VP8_KEY_START, now=0.16) == (3, 3000 + 9000)
    assert rw.dropped == 4


def test_audio_is_never_gated() -> None:
    rw = SequenceRewriter(48000, first_sequence=5, first_timestamp=5)
    assert not rw.waiting
    assert rw.rewrite(1, 1, 1, b"", now=0.0) == (5, 5)


def test_vp8_keyframe_start_reads_the_payload_descriptor() -> None:
    assert vp8_packet_starts_keyframe(bytes([0x10, 0x00]))  # minimal descriptor, key frame
    assert not vp8_packet_starts_keyframe(bytes([0x10, 0x01]))  # inter frame
    assert not vp8_packet_starts_keyframe(bytes([0x11, 0x00]))  # partition 1
    assert vp8_packet_starts_keyframe(bytes([0x90, 0x80, 0x05, 0x00]))  # 7-bit picture id
    assert vp8_packet_starts_keyframe(bytes([0x90, 0xE0, 0x85, 0x01, 0x07, 0x40, 0x00]))  # I L T: 4 bytes skipped
    assert not vp8_packet_starts_keyframe(bytes([0x90, 0xE0, 0x85, 0x01, 0x07, 0x40]))  # truncated
    assert vp8_packet_starts_keyframe(VP8_KEY_START) and not vp8_packet_starts_keyframe(VP8_DELTA_START)
    assert not vp8_packet_starts_keyframe(b"")


def test_h264_keyframe_start_finds_sps_and_idr_in_single_stap_a_and_fu_a_packets() -> None:
    assert h264_packet_starts_keyframe(bytes([0x67, 0x42]))  # SPS
    assert h264_packet_starts_keyframe(bytes([0x65, 0x88]))  # IDR slice
    assert not h264_packet_starts_keyframe(bytes([0x41, 0x9A]))  # non-IDR slice
    stap_a = bytes([0x78]) + struct.pack("!H", 2) + bytes([0x67, 0x42]) + struct.pack("!H", 2) + bytes([0x68, 0xCE])
    assert h264_packet_starts_keyframe(stap_a)
    assert not h264_packet_starts_keyframe(bytes([0x78]) + struct.pack("!H", 2) + bytes([0x06, 0x05]))  # SEI only
    assert h264_packet_starts_keyframe(bytes([0x7C, 0x85, 0x88]))  # FU-A start of an IDR
    assert not h264_packet_starts_keyframe(bytes([0x7C, 0x05, 0x88]))  # FU-A middle of an IDR
    assert not h264_packet_starts_keyframe(b"")


def test_payload_types_are_mapped_by_codec_first_negotiated_first() -> None:
    codecs = [RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=120),
              RTCRtpCodecParameters(mimeType="video/rtx", clockRate=90000, payloadType=121, parameters={"apt": 120}),
              RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)]
    assert payload_types_by_codec(codecs) == {"video/vp8": 120, "video/rtx": 121}


def extensions_map(**ids: int) -> HeaderExtensionsMap:
    uris = {"mid": "urn:ietf:params:rtp-hdrext:sdes:mid",
            "abs_send_time": "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "audio_level": "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "transport_sequence_number":
                "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"}
    result = HeaderExtensionsMap()
    result.configure(RTCRtpSendParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=i, uri=uris[name]) for name, i in ids.items()]))
    return result


def test_video_packets_get_the_subscribers_ids_ssrc_and_this_hops_send_time_and_nothing_else() -> None:
    source_map = extensions_map(mid=1, abs_send_time=2, transport_sequence_number=3)
    source = RtpPacket(payload_type=96, marker=1, sequence_number=9, timestamp=1234, ssrc=0xAAAA, payload=b"vp8")
    source.extensions.mid = "0"
    source.extensions.abs_send_time = 0x123456
    source.extensions.transport_sequence_number = 77
    parsed_in = RtpPacket.parse(source.serialize(source_map), source_map)  # as the server's receiver parses it
    ntp = 0xE6A1B2C3D4E5F607
    out = PacketWriter(0xBBBB, mid="v1", mid_id=4, abs_send_time_id=9).write(parsed_in, 120, 500, 90_000, ntp)
    viewer_map = extensions_map(mid=4, abs_send_time=9, transport_sequence_number=3)
    got = RtpPacket.parse(out, viewer_map)
    assert (got.payload_type, got.marker, got.sequence_number, got.timestamp, got.ssrc, got.payload) == \
           (120, 1, 500, 90_000, 0xBBBB, b"vp8")
    assert got.extensions.mid == "v1"
    assert got.extensions.abs_send_time == (ntp >> 14) & 0xFFFFFF  # the time of this hop, not the source's
    assert got.extensions.transport_sequence_number is None  # the ingress hop's feedback numbering is stripped


def test_audio_packets_keep_the_source_audio_level_and_plain_packets_have_no_extension_block() -> None:
    source_map = extensions_map(audio_level=1)
    source = RtpPacket(payload_type=111, sequence_number=1, timestamp=960, ssrc=5, payload=b"opus")
    source.extensions.audio_level = (True, 42)
    parsed_in = RtpPacket.parse(source.serialize(source_map), source_map)
    out = PacketWriter(6, mid="0", mid_id=2, audio_level_id=7).write(parsed_in, 109, 3, 4, 0)
    got = RtpPacket.parse(out, extensions_map(mid=2, audio_level=7))
    assert got.payload_type == 109 and got.extensions.audio_level == (True, 42) and got.extensions.mid == "0"
    bare = PacketWriter(6).write(parsed_in, 109, 3, 4, 0)
    assert bare[0] == 0x80 and len(bare) == 12 + len(b"opus")


def test_a_nacked_packet_is_retransmitted_as_rtx_that_unwraps_to_the_packet_sent() -> None:
    viewer_map = extensions_map(mid=4, abs_send_time=9)
    source = RtpPacket(payload_type=96, marker=1, sequence_number=9, timestamp=1234, ssrc=1, payload=b"frame")
    sent = PacketWriter(0xBBBB, mid="1", mid_id=4, abs_send_time_id=9).write(source, 120, 65000, 777, 1 << 40)
    rtx = RtpPacket.parse(rtx_of(sent, 121, 42, 0xCCCC), viewer_map)
    assert (rtx.payload_type, rtx.sequence_number, rtx.ssrc, rtx.timestamp, rtx.marker) == (121, 42, 0xCCCC, 777, 1)
    assert rtx.extensions.mid == "1"
    original = unwrap_rtx(rtx, payload_type=120, ssrc=0xBBBB)
    assert original.serialize(viewer_map) == RtpPacket.parse(sent, viewer_map).serialize(viewer_map)
    assert (original.sequence_number, original.payload) == (65000, b"frame")
