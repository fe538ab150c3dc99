"""One short Matroska segment file: received packets remuxed, closed, fsynced, then renamed.

A segment is written as "<n>.mkv.part" and renamed to "<n>.mkv" only after its trailer is written
and fsynced, so every ".mkv" on disk is complete; a ".part" is what a crash interrupted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.container import OutputContainer
from av.stream import Stream

from atrest.sealed import AtRestKey, create
from media.recording.layout import PART_SUFFIX, fsync_directory
from media.recording.templates import opus_head, template_stream

MILLISECOND = Fraction(1, 1000)
TRACK_TAG = "LENSDESK_TRACK"  # stream tag naming the track ("customer/video"), read back when finalising


@dataclass(frozen=True, slots=True)
class TrackSpec:
    """What a segment needs to declare one track."""

    key: str  # "<source>/<kind>", unique in the recording
    title: str  # "customer" or "technician"
    kind: str  # "audio" or "video"
    codec: str  # EncodedFrame codec name
    width: int = 0
    height: int = 0
    extradata: bytes = b""  # H264 SPS+PPS (Annex B); Opus gets its OpusHead here


class SegmentWriter:
    """Writes packets of several tracks into one segment file."""

    def __init__(self, final_path: Path, tracks: list[TrackSpec], key: AtRestKey | None = None) -> None:
        self.final_path = final_path
        self.part_path = final_path.with_name(final_path.name + PART_SUFFIX)
        self.tracks = {spec.key: spec for spec in tracks}
        self.first_pts_ms: int | None = None
        self.packets = 0
        # With a key the muxer writes through the seal: no plaintext reaches the disk, even for a moment.
        self._sealed = create(self.part_path, key) if key is not None else None
        self._container: OutputContainer = av.open(self._sealed or str(self.part_path), "w", format="matroska")
        self._streams: dict[str, Stream] = {}
        for spec in tracks:
            self._streams[spec.key] = self._add_stream(spec)

    def _add_stream(self, spec: TrackSpec) -> Stream:
        stream = self._container.add_stream_from_template(template_stream(spec.codec))
        stream.time_base = MILLISECOND
        context = stream.codec_context
        if spec.kind == "video":
            context.width = spec.width  # type: ignore[attr-defined]
            context.height = spec.height  # type: ignore[attr-defined]
            context.extradata = spec.extradata or None
        else:
            context.extradata = spec.extradata or opus_head()
        stream.metadata["title"] = spec.title
        stream.metadata[TRACK_TAG] = spec.key
        return stream

    def write(self, key: str, data: bytes, pts_ms: int, *, keyframe: bool, duration_ms: int = 0) -> None:
        """Mux one packet of track `key` at `pts_ms` milliseconds into the recording."""
        packet = av.Packet(data)
        packet.stream = self._streams[key]
        packet.time_base = MILLISECOND
        packet.pts = pts_ms
        packet.dts = pts_ms
        packet.is_keyframe = keyframe
        if duration_ms:
            packet.duration = duration_ms
        self._container.mux_one(packet)
        if self.first_pts_ms is None:
            self.first_pts_ms = pts_ms
        self.packets += 1

    def close(self, *, durable: bool = True) -> Path | None:
        """Write the trailer, fsync, rename to the final name; None (file removed) if nothing was written."""
        self._container.close()
        if self._sealed is not None:
            self._sealed.close()
        if self.packets == 0:
            self.part_path.unlink(missing_ok=True)
            return None
        if durable:
            fd = os.open(self.part_path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(self.part_path, self.final_path)
        if durable:
            fsync_directory(self.final_path.parent)
        return self.final_path
