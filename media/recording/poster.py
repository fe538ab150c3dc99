"""Poster image of a recording: ONE video keyframe decoded and saved as JPEG (no other decoding)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
from av.video.frame import VideoFrame

from atrest.sealed import AtRestKey, create, open_for_reading

_MAX_PACKETS_AFTER_SEEK = 600  # a keyframe normally follows a seek at once; do not scan a whole file


def _first_keyframe_picture(path: Path, at: float | None, key: AtRestKey | None) -> VideoFrame | None:
    with open_for_reading(path, key) as source, av.open(source, "r") as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        duration = (container.duration or 0) / 1_000_000
        seconds = duration / 2 if at is None else min(max(at, 0.0), duration)
        if stream.time_base:
            container.seek(int(seconds / stream.time_base), stream=stream, backward=True, any_frame=False)
        decoder = stream.codec_context
        for count, packet in enumerate(container.demux(stream)):
            if count > _MAX_PACKETS_AFTER_SEEK:
                break
            if not packet.is_keyframe or packet.size == 0:
                continue
            pictures = [*decoder.decode(packet), *decoder.decode(None)]
            if pictures:
                return pictures[0]
    return None


def encode_jpeg(picture: VideoFrame) -> bytes:
    """JPEG bytes of a decoded picture, using FFmpeg's MJPEG encoder (no extra imaging library)."""
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width = picture.width
    encoder.height = picture.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 1)
    encoder.options = {"qmin": "2", "qmax": "4"}
    converted = picture.reformat(format="yuvj420p")
    converted.pts = 0
    packets = [*encoder.encode(converted), *encoder.encode(None)]
    return b"".join(bytes(p) for p in packets)


def write_poster(recording: Path, poster: Path, *, at: float | None = None, key: AtRestKey | None = None
                 ) -> Path | None:
    """Write a JPEG of the keyframe nearest before `at` s (default: mid-recording); None if no video. With a key
    the recording is read through its seal and the poster sealed too."""
    picture = _first_keyframe_picture(recording, at, key)
    if picture is None:  # e.g. the middle falls before the camera was turned on
        picture = _first_keyframe_picture(recording, 0.0, key)
    if picture is None:
        return None
    data = encode_jpeg(picture)
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("MJPEG encoder returned no JPEG image")
    partial = poster.with_name(poster.name + ".tmp")
    with create(partial, key) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, poster)
    return poster
