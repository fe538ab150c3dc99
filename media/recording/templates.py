"""Stream templates that let PyAV mux received packets without opening any encoder.

PyAV creates output streams either with an encoder (which it opens when writing the header; a
libvpx encoder at 720p is costly) or from a template stream of an input container. We make one tiny
in-memory Matroska file per codec, once per process, and keep its input stream as the template.
"""

from __future__ import annotations

import io
import struct
import threading
from fractions import Fraction
from typing import cast

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.stream import Stream
from av.video.stream import VideoStream

# codec name in EncodedFrame -> (encoder used once to make the template, demuxed codec name)
_TEMPLATE_ENCODERS = {"VP8": "libvpx", "H264": "libx264", "opus": "libopus"}

_lock = threading.Lock()
_templates: dict[str, tuple[InputContainer, Stream]] = {}


def opus_head(channels: int = 2) -> bytes:
    """OpusHead (RFC 7845 section 5.1) for a WebRTC Opus stream: 48 kHz, no pre-skip, family 0."""
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, 0, 48000, 0, 0)


def template_stream(codec: str) -> Stream:
    """The template stream for an EncodedFrame codec name ("VP8", "H264", "opus")."""
    with _lock:
        if codec not in _templates:
            _templates[codec] = _make_template(codec)
        return _templates[codec][1]


def _make_template(codec: str) -> tuple[InputContainer, Stream]:
    encoder = _TEMPLATE_ENCODERS.get(codec)
    if encoder is None:
        raise ValueError(f"no stream template for codec {codec!r}")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="matroska") as output:
        if codec == "opus":
            audio = cast(AudioStream, output.add_stream(encoder, rate=48000))
            audio.layout = "stereo"
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 960 * 2), np.int16), format="s16", layout="stereo")
            frame.sample_rate = 48000
            frame.pts = 0
            for packet in [*audio.encode(frame), *audio.encode(None)]:
                output.mux(packet)
        else:
            video = cast(VideoStream, output.add_stream(encoder, rate=30, width=64, height=64))
            video.time_base = Fraction(1, 30)
            picture = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            picture = picture.reformat(format="yuv420p")
            picture.pts = 0
            for packet in [*video.encode(picture), *video.encode(None)]:
                output.mux(packet)
    buffer.seek(0)
    container = av.open(buffer, "r")
    return container, container.streams[0]
