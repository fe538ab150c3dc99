"""Picture size of an H264 keyframe, found by decoding it (done only when the SPS changes: rare)."""

from __future__ import annotations

import av

from media.recording.bitstream import InvalidFrame


def h264_picture_size(access_unit: bytes) -> tuple[int, int]:
    """Decode one Annex-B H264 keyframe and return (width, height); InvalidFrame if it does not decode."""
    decoder = av.CodecContext.create("h264", "r")
    try:
        frames = [*decoder.decode(av.Packet(access_unit)), *decoder.decode(None)]
    except av.FFmpegError as exc:
        raise InvalidFrame(f"H264 keyframe does not decode: {exc}") from exc
    if not frames:
        raise InvalidFrame("H264 keyframe decoded to no picture")
    picture = frames[0]
    return picture.width, picture.height
