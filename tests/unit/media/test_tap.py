"""tap_receiver on a real aiortc RTCRtpReceiver: the tee feeds callbacks and (optionally) the decoder."""

from __future__ import annotations

import queue

import pytest
from aiortc import RTCCertificate, RTCDtlsTransport, RTCIceGatherer, RTCIceTransport, RTCRtpReceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.aiortc_internals import decoder_queue as internal_decoder_queue
from media.frames import EncodedFrame
from media.tap import encoded_frame_from, tap_receiver, tee_of, untap_receiver
from testkit.synthetic_media import encode_h264, encode_opus, encode_vp8

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


@pytest.fixture
def receiver() -> RTCRtpReceiver:
    transport = RTCDtlsTransport(RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()])
    return RTCRtpReceiver("video", transport)


def decoder_queue(receiver: RTCRtpReceiver) -> queue.Queue:
    """What aiortc's _handle_rtp_packet puts into (the tee after tapping)."""
    return internal_decoder_queue(receiver)


def test_encoded_frames_carry_codec_timing_and_keyframe_flags() -> None:
    vp8 = encode_vp8(160, 120, seconds=0.1)
    frame = encoded_frame_from(VP8, vp8[0].data, 3000, 12.5)
    assert (frame.kind, frame.codec, frame.clock_rate, frame.timestamp, frame.arrival) == ("video", "VP8", 90000,
                                                                                             3000, 12.5)
    assert frame.keyframe and not encoded_frame_from(VP8, vp8[1].data, 6000, 12.6).keyframe
    h264 = encode_h264(160, 120, seconds=0.1)
    assert encoded_frame_from(H264, h264[0].data, 0, 0.0).keyframe
    assert not encoded_frame_from(H264, h264[1].data, 0, 0.0).keyframe
    opus = encoded_frame_from(OPUS, encode_opus(seconds=0.1)[0].data, 960, 1.0)
    assert (opus.kind, opus.codec, opus.clock_rate, opus.keyframe) == ("audio", "opus", 48000, True)


def test_tap_feeds_the_callback_and_the_decoder(receiver: RTCRtpReceiver) -> None:
    original = decoder_queue(receiver)
    seen: list[EncodedFrame] = []
    tap_receiver(receiver, seen.append)
    data = encode_vp8(160, 120, seconds=0.1)[0].data
    decoder_queue(receiver).put((VP8, JitterFrame(data=data, timestamp=9000)))
    assert len(seen) == 1 and seen[0].data == data and seen[0].timestamp == 9000 and seen[0].keyframe
    codec, jitter_frame = original.get_nowait()  # what aiortc's decoder thread reads, unchanged
    assert codec is VP8 and jitter_frame.data == data
    decoder_queue(receiver).put(None)  # end of stream reaches the decoder thread
    assert original.get_nowait() is None


def test_passthrough_only_skips_the_decoder_but_not_the_end_of_stream(receiver: RTCRtpReceiver) -> None:
    original = decoder_queue(receiver)
    seen: list[EncodedFrame] = []
    tap_receiver(receiver, seen.append, decode=False)
    for i in range(5):
        decoder_queue(receiver).put((OPUS, JitterFrame(data=b"\x78" + bytes(30), timestamp=i * 960)))
    assert [f.timestamp for f in seen] == [0, 960, 1920, 2880, 3840]
    assert original.empty()
    decoder_queue(receiver).put(None)
    assert original.get_nowait() is None
    # A decoder thread started after tapping reads through the tee.
    original.put("x")
    assert decoder_queue(receiver).get(timeout=1) == "x"


def test_failing_callbacks_never_break_reception(receiver: RTCRtpReceiver) -> None:
    seen: list[EncodedFrame] = []

    def broken(frame: EncodedFrame) -> None:
        raise RuntimeError("sink exploded")

    tap_receiver(receiver, broken)
    tap_receiver(receiver, seen.append, decode=False)  # a second tap joins; decoding stays on
    decoder_queue(receiver).put((OPUS, JitterFrame(data=b"\x78" + bytes(30), timestamp=0)))
    decoder_queue(receiver).put(("not codec parameters", "not a frame"))
    tee = tee_of(receiver)
    assert tee is not None
    assert len(seen) == 1 and tee.callback_errors == 2 and tee.frames == 1 and tee.decode
    assert tee.inner.qsize() == 2


def test_untap_restores_the_decoder_queue(receiver: RTCRtpReceiver) -> None:
    original = decoder_queue(receiver)
    tap_receiver(receiver, lambda f: None)
    untap_receiver(receiver)
    assert decoder_queue(receiver) is original and tee_of(receiver) is None


def test_a_receiver_without_the_queue_is_refused() -> None:
    with pytest.raises(RuntimeError, match="decoder queue"):
        tap_receiver(object(), lambda f: None)  # type: ignore[arg-type]
