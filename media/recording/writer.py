"""The recorder's writer thread: validates frames, times them, and writes them into segments.

Producers (the event loop, via SessionRecorder.push) only enqueue; all parsing and file I/O happen
here. The queue is bounded by frame count and bytes: when the disk cannot keep up, frames are
dropped and counted, and the affected video track waits for its next keyframe.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import cast

from atrest.sealed import AtRestKey
from media.frames import EncodedFrame
from media.recording.bitstream import FrameFacts, InvalidFrame, h264_parameter_sets, inspect_frame
from media.recording.info import RecorderStats
from media.recording.layout import RecordingLayout
from media.recording.picture_size import h264_picture_size
from media.recording.segments import SegmentWriter, TrackSpec
from media.recording.timeline import TrackClock

log = logging.getLogger(__name__)

_STOP = object()
_BATCH_PAUSE = 0.04
_PLACED_KEPT = 1024  # video frames whose recorded time can be looked up (~30 s at 30 fps)


def track_title(source: str) -> str:
    """Stream title for a source: "customer" or "technician"; ValueError for anything else."""
    if source == "customer":
        return "customer"
    if source.startswith("technician:") and len(source) > len("technician:"):
        return "technician"
    raise ValueError(f"source {source!r} must be 'customer' or 'technician:<id>'")


@dataclass(slots=True)
class _Track:
    """Per-track state that outlives segments."""

    key: str
    title: str
    kind: str
    codec: str
    clock: TrackClock
    width: int = 0
    height: int = 0
    extradata: bytes = b""
    needs_keyframe: bool = True
    last_pts_ms: int = -1
    started: bool = False
    skip_counts: dict[str, int] = field(default_factory=dict)

    def spec(self) -> TrackSpec:
        return TrackSpec(self.key, self.title, self.kind, self.codec, self.width, self.height, self.extradata)


class RecordingWriter:
    """Owns the writer thread of one recording."""

    def __init__(
        self,
        layout: RecordingLayout,
        start_monotonic: float,
        *,
        segment_seconds: float,
        max_queue_frames: int,
        max_queue_bytes: int,
        durable: bool = True,
        key: AtRestKey | None = None,
    ) -> None:
        self._layout = layout
        self._key = key
        self._t0 = start_monotonic
        self._segment_ms = max(1, round(segment_seconds * 1000))
        self._segment_seconds = segment_seconds
        self._max_bytes = max_queue_bytes
        self._durable = durable
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue_frames)
        self._queued_bytes = 0
        self._lock = threading.Lock()
        self._lossy: set[str] = set()  # track keys that lost frames to a full queue
        self._tracks: dict[str, _Track] = {}
        # arrival instant -> recorded ms of recent video frames: a finding made from a frame points at that very
        # frame in the file (its arrival time can differ from its place by jitter smoothing and ms rounding)
        self._placed: OrderedDict[float, int] = OrderedDict()
        self._segment: SegmentWriter | None = None
        self._segment_opened = 0.0
        self._segment_index = 0
        self.stats = RecorderStats()
        self._thread = threading.Thread(target=self._run, name=f"recorder-{layout.session_id}", daemon=True)

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def submit(self, source: str, frame: EncodedFrame) -> bool:
        """Enqueue a frame without blocking; False (counted) if the queue is full."""
        size = len(frame.data) if isinstance(frame, EncodedFrame) else 0
        with self._lock:
            self.stats.frames_received += 1
            if self._queued_bytes + size > self._max_bytes:
                return self._drop(source, frame)
            try:
                self._queue.put_nowait((source, frame))
            except queue.Full:
                return self._drop(source, frame)
            self._queued_bytes += size
        return True

    def _drop(self, source: str, frame: EncodedFrame) -> bool:
        self.stats.dropped_queue_full += 1
        kind = getattr(frame, "kind", "?")
        self._lossy.add(f"{source}/{kind}")
        if self.stats.dropped_queue_full & (self.stats.dropped_queue_full - 1) == 0:
            log.warning("recorder %s: queue full, dropped %d frames so far", self._layout.session_id,
                        self.stats.dropped_queue_full)
        return False

    def placed_at(self, arrival: float) -> float | None:
        """Seconds into the recording where the video frame that arrived at `arrival` was written, if it was."""
        with self._lock:
            ms = self._placed.get(arrival)
        return None if ms is None else ms / 1000

    def stop(self) -> None:
        """Write what is queued, close the last segment and end the thread."""
        if self._thread.is_alive():
            self._queue.put(_STOP)  # blocks only while the thread drains a full queue
            self._thread.join()

    # --- writer thread -------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._segment_seconds / 4)
            except queue.Empty:
                self._roll_if_old()
                continue
            if not self._write_batch(item):
                break
            self._roll_if_old()
            # Let frames gather: one wakeup per batch instead of one per frame (the GIL hand-offs
            # cost more than the muxing). Adds 40 ms latency, nothing for a recording.
            time.sleep(_BATCH_PAUSE)
        self._close_segment()

    def _write_batch(self, item: object) -> bool:
        """Write `item` and everything queued behind it; False once the stop marker is reached."""
        while True:
            if item is _STOP:
                return False
            source, frame = cast(tuple[str, EncodedFrame], item)
            with self._lock:
                self._queued_bytes -= len(frame.data) if isinstance(frame, EncodedFrame) else 0
            try:
                self._handle(source, frame)
            except Exception:  # one bad frame or a write error (disk full) must not end the recording
                self.stats.write_errors += 1
                if self.stats.write_errors & (self.stats.write_errors - 1) == 0:
                    log.exception("recorder %s: failed to write a frame (%d errors so far)",
                                  self._layout.session_id, self.stats.write_errors)
                self._abandon_segment()
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return True

    def _handle(self, source: str, frame: EncodedFrame) -> None:
        kind = getattr(frame, "kind", "?")
        key = f"{source}/{kind}"
        try:
            title = track_title(source)
            facts = inspect_frame(frame)
            if title == "technician" and kind == "video":
                raise InvalidFrame("technician video is not recorded")
        except (InvalidFrame, ValueError) as exc:
            self._skip(key, str(exc))
            return
        track = self._tracks.get(key)
        if track is None:
            track = _Track(key, title, kind, frame.codec, TrackClock(frame.clock_rate))
            self._tracks[key] = track
        if frame.codec != track.codec:
            self._skip(key, f"codec changed from {track.codec} to {frame.codec} mid-track")
            return
        placement = track.clock.place(frame.timestamp, max(0.0, frame.arrival - self._t0))
        with self._lock:
            lossy = key in self._lossy
            self._lossy.discard(key)
        if kind == "video" and not self._video_ready(track, frame, facts, lossy or placement.rtp_jump):
            return
        pts_ms = max(round(placement.seconds * 1000), track.last_pts_ms + 1)
        segment = self._segment_for(track, pts_ms)
        segment.write(key, frame.data, pts_ms, keyframe=facts.keyframe, duration_ms=round(facts.duration_ms))
        track.last_pts_ms = pts_ms
        track.started = True
        if kind == "video":
            with self._lock:
                self._placed[frame.arrival] = pts_ms
                if len(self._placed) > _PLACED_KEPT:
                    self._placed.popitem(last=False)
        self.stats.frames_written += 1

    def _video_ready(self, track: _Track, frame: EncodedFrame, facts: FrameFacts, broken: bool) -> bool:
        """Keyframe gating and picture size tracking; False if the frame must be skipped."""
        if broken:
            track.needs_keyframe = True
        if not facts.keyframe:
            if track.needs_keyframe:
                self._skip(track.key, "waiting for a keyframe")
                return False
            return True
        width, height = facts.width, facts.height
        if frame.codec == "H264":
            parameter_sets = h264_parameter_sets(frame.data)
            if parameter_sets != track.extradata:
                try:
                    width, height = h264_picture_size(frame.data)
                except InvalidFrame as exc:
                    self._skip(track.key, str(exc))
                    return False
                track.extradata = parameter_sets
            else:
                width, height = track.width, track.height
        if (width, height) != (track.width, track.height) and track.width:
            log.info("recorder %s: %s picture size %dx%d -> %dx%d", self._layout.session_id, track.key,
                     track.width, track.height, width, height)
        track.width, track.height = width, height
        track.needs_keyframe = False
        return True

    def _segment_for(self, track: _Track, pts_ms: int) -> SegmentWriter:
        segment = self._segment
        spec = track.spec()
        if segment is not None:
            first = segment.first_pts_ms
            if segment.tracks.get(track.key) != spec or (first is not None and pts_ms >= first + self._segment_ms):
                self._close_segment()
                segment = None
        if segment is None:
            specs = [t.spec() for t in self._tracks.values() if t.started and t.key != track.key] + [spec]
            self._segment_index += 1
            segment = SegmentWriter(self._layout.segment_path(self._segment_index), specs, self._key)
            self._segment = segment
            self._segment_opened = time.monotonic()
        return segment

    def _roll_if_old(self) -> None:
        if self._segment is not None and time.monotonic() - self._segment_opened >= self._segment_seconds:
            self._close_segment()

    def _close_segment(self) -> None:
        segment, self._segment = self._segment, None
        if segment is None:
            return
        try:
            if segment.close(durable=self._durable) is not None:
                self.stats.segments_written += 1
        except Exception:
            log.exception("recorder %s: could not close segment %s", self._layout.session_id, segment.part_path)
            self.stats.write_errors += 1

    def _abandon_segment(self) -> None:
        """After a write error: close what can be closed; later frames start a fresh segment."""
        self._close_segment()
        for track in self._tracks.values():
            if track.kind == "video":
                track.needs_keyframe = True

    def _skip(self, key: str, reason: str) -> None:
        self.stats.skipped[reason] += 1
        count = self.stats.skipped[reason]
        if count & (count - 1) == 0:  # 1st, 2nd, 4th, 8th ... time: visible without flooding the log
            log.warning("recorder %s: skipped a %s frame (%d so far): %s", self._layout.session_id, key, count,
                        reason)
