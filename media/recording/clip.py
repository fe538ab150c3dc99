"""A clip (from-to) of a finalised recording without re-encoding: packets are copied (stream copy) into a new file
of the same container. Video can only start on a keyframe, so the clip starts at the last keyframe at or before
`start_s` (its real start is returned). Source and target may be paths or file objects (a recording decrypted on
the fly, a clip kept in memory so no plaintext touches the disk). Blocking: run it in a thread."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
from av.container import InputContainer


class ClipError(ValueError):
    """The range is empty or outside the recording, or the file cannot be read."""


@dataclass(frozen=True, slots=True)
class ClipInfo:
    """What was cut."""

    start_s: float  # the keyframe the clip starts on (<= the asked start)
    end_s: float
    packets: int


def _seconds(pts: int | None, time_base: Fraction | None) -> float | None:
    return None if pts is None or time_base is None else float(pts * time_base)


def cut_clip(source: Path | BinaryIO, target: Path | BinaryIO, start_s: float, end_s: float, *,
             webm: bool = True) -> ClipInfo:
    """Copy the packets of [start_s, end_s) of `source` (from the keyframe before start_s) into `target` (WebM, or
    Matroska when webm is False). A target path is removed again if nothing lies in the range."""
    if not 0 <= start_s < end_s:
        raise ClipError("the clip must start at 0 s or later and end after it starts")
    try:
        src: InputContainer = av.open(str(source) if isinstance(source, Path) else source, "r")
    except (av.FFmpegError, OSError) as exc:
        raise ClipError(f"cannot read the recording: {exc}") from exc
    with src:
        streams = [s for s in src.streams if s.type in ("video", "audio")]
        video = next((s for s in streams if s.type == "video"), None)
        if not streams:
            raise ClipError("the recording has no audio or video")
        # seek to the keyframe at or before start (on the video stream if there is one)
        anchor = video or streams[0]
        if anchor.time_base is not None:
            src.seek(int(start_s / anchor.time_base), stream=anchor, backward=True, any_frame=False)
        with av.open(str(target) if isinstance(target, Path) else target, "w",
                     format="webm" if webm else "matroska") as out:
            mapping = {s.index: out.add_stream_from_template(s) for s in streams}
            origin: float | None = None
            started = video is None
            packets = 0
            reached = False  # a packet at or after start: the range overlaps the recording
            for packet in src.demux(streams):
                at = _seconds(packet.pts, packet.time_base)
                if at is None or packet.size == 0:
                    continue
                if not started:  # the first video keyframe at or before start opens the clip
                    if packet.stream.type != "video" or not packet.is_keyframe:
                        continue
                    started = True
                if origin is None:
                    origin = min(at, start_s)
                if at >= end_s:
                    if packet.stream.type == "video" or video is None:
                        break
                    continue
                if at < origin:
                    continue
                reached = reached or at >= start_s
                assert packet.time_base is not None and packet.pts is not None
                shift = int(origin / packet.time_base)
                packet.pts -= shift
                if packet.dts is not None:
                    packet.dts -= shift
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)
                packets += 1
        if origin is None or packets == 0 or not reached:
            if isinstance(target, Path):
                target.unlink(missing_ok=True)
            raise ClipError("nothing of the recording lies in that range")
    return ClipInfo(origin, end_s, packets)
