"""What a finished recording is, what a recorder counted, and the recorder's errors."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """A finalised, seekable recording of one session."""

    path: Path
    duration_s: float
    size_bytes: int
    poster_path: Path | None  # None for audio-only recordings
    has_video: bool
    has_audio: bool
    session_id: str


@dataclass(slots=True)
class RecorderStats:
    """Counters of one recording (updated by the writer thread; read them for logs and metrics)."""

    frames_received: int = 0
    frames_written: int = 0
    dropped_queue_full: int = 0  # the disk could not keep up; never buffered without bound
    segments_written: int = 0
    write_errors: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> frames skipped


class RecordingError(RuntimeError):
    """A recording could not be made or finalised."""


class EmptyRecording(RecordingError):
    """Nothing was recorded (no valid media arrived before the session ended)."""
