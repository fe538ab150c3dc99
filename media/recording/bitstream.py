"""Cheap header checks of received encoded frames, so corrupt input is skipped instead of recorded.

Only headers are parsed (a few bytes per frame); nothing is decoded here.
"""

from __future__ import annotations

from dataclasses import dataclass

from media.frames import EncodedFrame, is_h264_keyframe

VIDEO_CODECS = frozenset({"VP8", "H264"})
AUDIO_CODECS = frozenset({"opus"})
MAX_FRAME_BYTES = 8 * 1024 * 1024  # far above any real 1080p keyframe; guards memory against garbage
MAX_OPUS_BYTES = 1275 * 48  # RFC 6716: at most 48 frames of at most 1275 bytes

_VP8_START_CODE = b"\x9d\x01\x2a"
_OPUS_FRAME_MS_BY_CONFIG = (
    [10.0, 20.0, 40.0, 60.0] * 3  # SILK-only, configs 0-11
    + [10.0, 20.0] * 2  # hybrid, configs 12-15
    + [2.5, 5.0, 10.0, 20.0] * 4  # CELT-only, configs 16-31
)


class InvalidFrame(ValueError):
    """A received frame that cannot be recorded; the message is the logged reason."""


@dataclass(frozen=True, slots=True)
class FrameFacts:
    """What the header of a valid frame says."""

    keyframe: bool
    width: int = 0  # VP8 keyframes only; 0 when the header does not carry it
    height: int = 0
    duration_ms: float = 0.0  # Opus only


def inspect_frame(frame: EncodedFrame) -> FrameFacts:
    """Check a frame's codec and header; raise InvalidFrame with the reason if it cannot be recorded."""
    if not isinstance(frame, EncodedFrame):
        raise InvalidFrame(f"not an EncodedFrame: {type(frame).__name__}")
    if not frame.data:
        raise InvalidFrame("empty frame data")
    if len(frame.data) > MAX_FRAME_BYTES:
        raise InvalidFrame(f"frame of {len(frame.data)} bytes exceeds {MAX_FRAME_BYTES}")
    if frame.clock_rate <= 0:
        raise InvalidFrame(f"clock rate {frame.clock_rate} is not positive")
    if frame.kind == "video":
        if frame.codec == "VP8":
            return inspect_vp8(frame.data, claimed_keyframe=frame.keyframe)
        if frame.codec == "H264":
            return inspect_h264(frame.data, claimed_keyframe=frame.keyframe)
        raise InvalidFrame(f"unsupported video codec {frame.codec!r} (expected one of {sorted(VIDEO_CODECS)})")
    if frame.kind == "audio":
        if frame.codec == "opus":
            return inspect_opus(frame.data)
        raise InvalidFrame(f"unsupported audio codec {frame.codec!r} (expected 'opus')")
    raise InvalidFrame(f"unknown media kind {frame.kind!r}")


def inspect_vp8(data: bytes, *, claimed_keyframe: bool) -> FrameFacts:
    """Validate a VP8 frame tag (RFC 6386 section 9.1) and read a keyframe's picture size."""
    if len(data) < 3:
        raise InvalidFrame(f"VP8 frame of {len(data)} bytes is shorter than its 3-byte tag")
    tag = data[0] | (data[1] << 8) | (data[2] << 16)
    keyframe = (tag & 0x01) == 0
    version = (tag >> 1) & 0x07
    first_partition = tag >> 5
    if version > 3:
        raise InvalidFrame(f"VP8 version {version} is invalid")
    header = 10 if keyframe else 3
    if len(data) < header or first_partition > len(data) - header:
        raise InvalidFrame(f"VP8 first partition of {first_partition} bytes overruns a {len(data)}-byte frame")
    if not keyframe:
        if claimed_keyframe:
            raise InvalidFrame("flagged keyframe but the VP8 tag says interframe")
        return FrameFacts(keyframe=False)
    if data[3:6] != _VP8_START_CODE:
        raise InvalidFrame("VP8 keyframe lacks the 9d 01 2a start code")
    width = (data[6] | (data[7] << 8)) & 0x3FFF
    height = (data[8] | (data[9] << 8)) & 0x3FFF
    if width == 0 or height == 0:
        raise InvalidFrame(f"VP8 keyframe has an empty picture size {width}x{height}")
    return FrameFacts(keyframe=True, width=width, height=height)


def h264_parameter_sets(data: bytes) -> bytes:
    """The SPS and PPS NAL units (types 7, 8) of an Annex-B access unit, with start codes, in order."""
    units: list[bytes] = []
    for nal in _annexb_units(data):
        if nal and (nal[0] & 0x1F) in (7, 8):
            units.append(b"\x00\x00\x00\x01" + nal)
    return b"".join(units)


def _annexb_units(data: bytes) -> list[bytes]:
    """Split an Annex-B byte stream into NAL units (without start codes)."""
    units: list[bytes] = []
    start = -1
    i = 0
    n = len(data)
    while i + 2 < n:
        if data[i] == 0 and data[i + 1] == 0 and data[i + 2] == 1:
            if start >= 0:
                units.append(data[start:i].rstrip(b"\x00"))
            start = i + 3
            i += 3
        else:
            i += 1
    if start >= 0:
        units.append(data[start:])
    return units


def inspect_h264(data: bytes, *, claimed_keyframe: bool) -> FrameFacts:
    """Validate an Annex-B H264 access unit; keyframes must carry SPS and PPS (browsers send them)."""
    if not (data.startswith(b"\x00\x00\x01") or data.startswith(b"\x00\x00\x00\x01")):
        raise InvalidFrame("H264 access unit does not start with an Annex-B start code")
    keyframe = is_h264_keyframe(data)
    if claimed_keyframe and not keyframe:
        raise InvalidFrame("flagged keyframe but the H264 access unit has no IDR or SPS")
    if keyframe:
        types = {nal[0] & 0x1F for nal in _annexb_units(data) if nal}
        if not {7, 8} <= types:
            raise InvalidFrame("H264 keyframe lacks SPS/PPS, so it cannot start a recording")
    return FrameFacts(keyframe=keyframe)


def inspect_opus(data: bytes) -> FrameFacts:
    """Validate an Opus packet's TOC byte (RFC 6716 section 3.1) and compute its duration."""
    if len(data) > MAX_OPUS_BYTES:
        raise InvalidFrame(f"Opus packet of {len(data)} bytes exceeds {MAX_OPUS_BYTES}")
    toc = data[0]
    frame_ms = _OPUS_FRAME_MS_BY_CONFIG[toc >> 3]
    code = toc & 0x03
    if code == 0:
        count = 1
    elif code in (1, 2):
        count = 2
    else:
        if len(data) < 2:
            raise InvalidFrame("Opus code-3 packet lacks its frame count byte")
        count = data[1] & 0x3F
        if count == 0:
            raise InvalidFrame("Opus code-3 packet declares zero frames")
    duration = frame_ms * count
    if duration > 120.0:
        raise InvalidFrame(f"Opus packet lasts {duration} ms, above the 120 ms limit")
    return FrameFacts(keyframe=True, duration_ms=duration)
