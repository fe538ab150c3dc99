"""Real encoded media made with PyAV (VP8 video, Opus audio) for tests and benchmarks of the recorder."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import cast

import av
import numpy as np
from av.video.codeccontext import VideoCodecContext

from media.frames import EncodedFrame, is_h264_keyframe, is_vp8_keyframe

VIDEO_CLOCK = 90000
AUDIO_CLOCK = 48000
OPUS_FRAME_SAMPLES = 960  # 20 ms, what browsers send


@dataclass(frozen=True, slots=True)
class EncodedUnit:
    """One encoded frame with its media time, before any RTP/arrival timing is applied."""

    data: bytes
    media_time: float  # seconds from the start of this synthetic clip
    keyframe: bool


def _picture(width: int, height: int, index: int) -> np.ndarray:
    """A moving gradient with a bright bar, so the encoder has real motion to code."""
    x = np.arange(width, dtype=np.uint16)
    y = np.arange(height, dtype=np.uint16)[:, None]
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[..., 0] = ((x + index * 4) % 256).astype(np.uint8)
    rgb[..., 1] = ((y + index * 2) % 256).astype(np.uint8)
    rgb[..., 2] = 96
    bar = (index * 8) % max(1, width - 32)
    rgb[:, bar : bar + 32, :] = 255
    return rgb


def encode_vp8(
    width: int, height: int, *, fps: int = 30, seconds: float = 2.0, bitrate: int = 1_000_000, keyint: int = 60
) -> list[EncodedUnit]:
    """Encode a synthetic clip with libvpx (VP8) in real-time mode, as a browser would."""
    options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "auto-alt-ref": "0"}
    return _encode_video("libvpx", options, width, height, fps, seconds, bitrate, keyint)


def encode_h264(
    width: int, height: int, *, fps: int = 30, seconds: float = 2.0, bitrate: int = 1_000_000, keyint: int = 60
) -> list[EncodedUnit]:
    """Encode a synthetic clip with libx264 (constrained baseline, Annex B, SPS/PPS on every IDR) as WebRTC does."""
    options = {"preset": "ultrafast", "tune": "zerolatency", "profile": "baseline", "x264-params": "repeat-headers=1"}
    return _encode_video("libx264", options, width, height, fps, seconds, bitrate, keyint)


def _encode_video(
    encoder: str, options: dict[str, str], width: int, height: int, fps: int, seconds: float, bitrate: int,
    keyint: int,
) -> list[EncodedUnit]:
    is_keyframe = is_vp8_keyframe if encoder == "libvpx" else is_h264_keyframe
    ctx = cast(VideoCodecContext, av.CodecContext.create(encoder, "w"))
    ctx.width = width
    ctx.height = height
    ctx.pix_fmt = "yuv420p"
    ctx.bit_rate = bitrate
    ctx.gop_size = keyint
    ctx.time_base = Fraction(1, fps)
    ctx.framerate = Fraction(fps, 1)
    ctx.options = options
    ctx.open()
    units: list[EncodedUnit] = []
    count = round(seconds * fps)
    for i in range(count + 1):
        frame = None
        if i < count:
            frame = av.VideoFrame.from_ndarray(_picture(width, height, i), format="rgb24").reformat(format="yuv420p")
            frame.pts = i
        for packet in ctx.encode(frame):
            data = bytes(packet)
            pts = packet.pts if packet.pts is not None else len(units)
            units.append(EncodedUnit(data=data, media_time=pts / fps, keyframe=is_keyframe(data)))
    return units


def encode_opus(*, seconds: float = 2.0, frequency: float = 440.0) -> list[EncodedUnit]:
    """Encode a stereo sine with libopus into 20 ms packets."""
    ctx = av.CodecContext.create("libopus", "w")
    ctx.sample_rate = AUDIO_CLOCK
    ctx.layout = "stereo"
    ctx.format = "s16"
    ctx.time_base = Fraction(1, AUDIO_CLOCK)
    ctx.bit_rate = 32000
    ctx.open()
    units: list[EncodedUnit] = []
    count = round(seconds * AUDIO_CLOCK / OPUS_FRAME_SAMPLES)
    for i in range(count + 1):
        frame = None
        if i < count:
            t = (np.arange(OPUS_FRAME_SAMPLES) + i * OPUS_FRAME_SAMPLES) / AUDIO_CLOCK
            mono = (np.sin(2 * math.pi * frequency * t) * 8000).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(np.repeat(mono, 2)[None, :], format="s16", layout="stereo")
            frame.sample_rate = AUDIO_CLOCK
            frame.pts = i * OPUS_FRAME_SAMPLES
        for packet in ctx.encode(frame):
            # libopus stamps packets with its pre-skip (-312); RTP counts whole 20 ms packets from 0.
            media_time = len(units) * OPUS_FRAME_SAMPLES / AUDIO_CLOCK
            units.append(EncodedUnit(data=bytes(packet), media_time=media_time, keyframe=True))
    return units


def as_frames(
    units: list[EncodedUnit],
    *,
    kind: str,
    start_arrival: float,
    rtp_origin: int = 0,
    codec: str | None = None,
    delay: float = 0.0,
) -> Iterator[EncodedFrame]:
    """Turn encoded units into EncodedFrames as a receiver would hand them over.

    RTP timestamps count from `rtp_origin` in the codec clock; arrival is `start_arrival` plus the
    media time plus a fixed network `delay`.
    """
    clock = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
    name = codec or ("VP8" if kind == "video" else "opus")
    for unit in units:
        yield EncodedFrame(
            kind="video" if kind == "video" else "audio",
            codec=name,
            data=unit.data,
            timestamp=rtp_origin + round(unit.media_time * clock),
            clock_rate=clock,
            keyframe=unit.keyframe,
            arrival=start_arrival + unit.media_time + delay,
        )
