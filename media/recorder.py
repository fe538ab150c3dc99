"""Session recorder: remuxes received encoded media (no re-encoding) into crash-safe segments,
finalised into one seekable WebM/Matroska file with a poster when the session ends.

Usage (composition root):

    recorder = SessionRecorder(settings.data_dir / "recordings", session_id)
    recorder.start()
    tap_receiver(receiver, lambda f: recorder.push("customer", f), decode=False)
    ...
    finding_offset = recorder.offset_of(frame_arrival)
    info = await recorder.close()
    # on process start: recover(settings.data_dir / "recordings")
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from atrest.sealed import AtRestKey
from media.frames import EncodedFrame
from media.recording.finalise import finalise, recover
from media.recording.info import EmptyRecording, RecorderStats, RecordingError, RecordingInfo
from media.recording.layout import RecordingLayout, check_session_id
from media.recording.writer import RecordingWriter, track_title

__all__ = [
    "EmptyRecording",
    "RecorderStats",
    "RecordingError",
    "RecordingInfo",
    "SessionRecorder",
    "recover",
]


class SessionRecorder:
    """Records one session: the customer's audio + video and each technician's audio, as separate tracks."""

    def __init__(
        self,
        directory: Path,
        session_id: str,
        *,
        segment_seconds: float = 1.0,
        max_queue_frames: int = 4096,
        max_queue_bytes: int = 64 * 1024 * 1024,
        durable: bool = True,
        mix_audio: bool = True,
        key: AtRestKey | None = None,
    ) -> None:
        if not 0.05 <= segment_seconds <= 2.0:
            raise ValueError("segment_seconds must be within 0.05..2.0 (crash loss is bounded by it)")
        if max_queue_frames < 1 or max_queue_bytes < 1:
            raise ValueError("queue bounds must be positive")
        self._directory = Path(directory)
        self._session_id = check_session_id(session_id)
        self._layout: RecordingLayout | None = None
        self._segment_seconds = segment_seconds
        self._max_queue_frames = max_queue_frames
        self._max_queue_bytes = max_queue_bytes
        self._durable = durable
        self._key = key  # seals segments, the file and its poster (None: plain files)
        self._mix_audio = mix_audio  # add a "mix" track at finalise: browsers play one audio track only
        self._state_lock = threading.Lock()
        self._writer: RecordingWriter | None = None
        self._t0: float | None = None
        self._closed = False
        self._not_live = RecorderStats()  # frames pushed before start()

    @property
    def session_id(self) -> str:
        """The session this recorder belongs to."""
        return self._session_id

    @property
    def folder(self) -> Path | None:
        """The recording's folder once started (segments while live; file, poster, manifest after close)."""
        return self._layout.root if self._layout is not None else None

    @property
    def started_at(self) -> float | None:
        """time.monotonic() of start(), the zero of the recording's timeline."""
        return self._t0

    @property
    def stats(self) -> RecorderStats:
        """Counters: frames written, dropped (queue full), skipped by reason, segments, write errors."""
        return self._writer.stats if self._writer is not None else self._not_live

    def start(self) -> None:
        """Create the recording folder and start the writer thread; the timeline starts now."""
        with self._state_lock:
            if self._writer is not None or self._closed:
                raise RuntimeError("recorder already started")
            layout = RecordingLayout.claim(self._directory, self._session_id)
            layout.lock()
            try:
                layout.create(self._segment_seconds)
            except BaseException:
                layout.unlock()
                raise
            self._layout = layout
            self._t0 = time.monotonic()
            self._writer = RecordingWriter(
                layout,
                self._t0,
                segment_seconds=self._segment_seconds,
                max_queue_frames=self._max_queue_frames,
                max_queue_bytes=self._max_queue_bytes,
                durable=self._durable,
                key=self._key,
            )
            self._writer.start()

    def push(self, source: str, frame: EncodedFrame) -> None:
        """Queue a frame from `source` ("customer" or "technician:<id>"); never blocks, any thread."""
        track_title(source)  # a wrong source is a wiring bug: fail loudly, at the caller
        writer = self._writer
        if writer is None:
            self._not_live.skipped["recorder not started"] += 1
        elif self._closed:
            writer.stats.skipped["recorder closed"] += 1
        else:
            writer.submit(source, frame)

    def offset_of(self, arrival: float) -> float:
        """Seconds into the recording of a time.monotonic() instant (0 for instants before the start).

        For the arrival of a recorded video frame this is exactly where that frame sits in the file, so a
        player seeking there shows it; other instants map by the clock.
        """
        if self._t0 is None or self._writer is None:
            raise RuntimeError("recorder not started")
        placed = self._writer.placed_at(arrival)
        return placed if placed is not None else max(0.0, arrival - self._t0)

    async def close(self, *, poster_at: float | None = None) -> RecordingInfo:
        """Stop recording and finalise the file off the event loop; EmptyRecording if nothing was recorded."""
        return await asyncio.to_thread(self.close_sync, poster_at=poster_at)

    def close_sync(self, *, poster_at: float | None = None) -> RecordingInfo:
        """Blocking close(), for callers outside asyncio."""
        with self._state_lock:
            writer, layout = self._writer, self._layout
            if writer is None or layout is None:
                raise RuntimeError("recorder not started")
            if self._closed:
                raise RuntimeError("recorder already closed")
            self._closed = True
        try:
            writer.stop()
            return finalise(layout, poster_at=poster_at, mix_audio=self._mix_audio, key=self._key)
        finally:
            layout.unlock()
