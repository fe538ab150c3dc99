"""Encoded media units as they leave the receiver's jitter buffer, before any decoder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MediaKind = Literal["audio", "video"]
RelayMode = Literal["packets", "frames"]
"""How the relay forwards: RTP packets as they arrive (media/forward.py), or reassembled frames re-sent by aiortc."""


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One reassembled encoded frame (VP8/H264 picture or Opus packet) with its RTP timing.

    `timestamp` is the RTP timestamp already unwrapped to start near 0 (aiortc's TimestampMapper),
    counted in `clock_rate` ticks (90000 for video, 48000 for Opus). `arrival` is time.monotonic()
    at the server when the frame was complete.
    """

    kind: MediaKind
    codec: str  # "VP8", "H264" or "opus" (aiortc's codec mimeType subtype)
    data: bytes
    timestamp: int
    clock_rate: int
    keyframe: bool
    arrival: float


def is_vp8_keyframe(data: bytes) -> bool:
    """True if a VP8 frame is a keyframe (RFC 6386: bit 0 of the first byte is 0)."""
    return bool(data) and (data[0] & 0x01) == 0


def is_h264_keyframe(data: bytes) -> bool:
    """True if an Annex-B H264 access unit holds an IDR slice or SPS (NAL types 5 or 7)."""
    i = 0
    n = len(data)
    while i + 3 < n:
        if data[i] == 0 and data[i + 1] == 0 and (data[i + 2] == 1 or (data[i + 2] == 0 and data[i + 3] == 1)):
            start = i + 3 if data[i + 2] == 1 else i + 4
            if start < n and (data[start] & 0x1F) in (5, 7):
                return True
            i = start
        else:
            i += 1
    return False
