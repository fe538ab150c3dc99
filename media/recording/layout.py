"""Where one recording lives on disk, and its crash-safe manifest.

    (the folder is "<session_id>.2", ".3" ... if the session was recorded before)
    <directory>/<session_id>/manifest.json     state: recording | final | empty (+ info when final)
    <directory>/<session_id>/segments/000001.mkv   closed, fsynced segments (".part" while written)
    <directory>/<session_id>/recording.webm     the finalised file (".mkv" if a codec needs Matroska)
    <directory>/<session_id>/poster.jpg
    <directory>/<session_id>/.lock             flock held while a live recorder owns the folder
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
SEGMENTS = "segments"
SEGMENT_SUFFIX = ".mkv"
PART_SUFFIX = ".part"
_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")


class RecordingLocked(RuntimeError):
    """Another live recorder holds this recording folder."""


def check_session_id(session_id: str) -> str:
    """Return the id if it is safe as one path component, else raise ValueError."""
    if not isinstance(session_id, str) or not _SESSION_ID.match(session_id) or ".." in session_id:
        raise ValueError(f"session id {session_id!r} must match {_SESSION_ID.pattern} (it names a folder)")
    return session_id


def fsync_directory(path: Path) -> None:
    """Make a rename or create inside `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_directory(path.parent)


class RecordingLayout:
    """Paths and manifest of one session's recording folder."""

    def __init__(self, directory: Path, session_id: str, folder: str | None = None) -> None:
        self.session_id = check_session_id(session_id)
        self.root = Path(directory).resolve() / check_session_id(folder or session_id)
        self.segments = self.root / SEGMENTS
        self.manifest_path = self.root / MANIFEST
        self.poster_path = self.root / "poster.jpg"
        self._lock_fd: int | None = None

    @classmethod
    def claim(cls, directory: Path, session_id: str) -> RecordingLayout:
        """A new, empty folder for a recording of `session_id`: "<id>", else "<id>.2", "<id>.3", ...

        A session recorded again (e.g. the call went on after a server restart) never overwrites
        an earlier recording; mkdir is atomic, so two recorders never share a folder.
        """
        check_session_id(session_id)
        Path(directory).mkdir(parents=True, exist_ok=True)
        for number in range(1, 10_000):
            folder = session_id if number == 1 else f"{session_id}.{number}"
            layout = cls(directory, session_id, folder)
            try:
                layout.root.mkdir()
            except FileExistsError:
                continue
            return layout
        raise FileExistsError(f"too many recordings of session {session_id} in {directory}")

    def create(self, segment_seconds: float) -> None:
        """Make the folders and write the 'recording' manifest."""
        self.segments.mkdir(parents=True, exist_ok=True)
        write_json_atomically(
            self.manifest_path,
            {
                "session_id": self.session_id,
                "state": "recording",
                "started_unix": time.time(),
                "segment_seconds": segment_seconds,
            },
        )

    def read_manifest(self) -> dict[str, Any]:
        """The manifest, or {} when missing or unreadable (a crash before it was written)."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Replace the manifest atomically."""
        write_json_atomically(self.manifest_path, data)

    def segment_path(self, index: int) -> Path:
        """The final name of segment number `index` (1-based)."""
        return self.segments / f"{index:06d}{SEGMENT_SUFFIX}"

    def segment_files(self) -> list[Path]:
        """Closed segments, then unfinished ones (".part", salvaged after a crash), in recording order."""
        if not self.segments.is_dir():
            return []
        files = [p for p in self.segments.iterdir() if p.suffix in (SEGMENT_SUFFIX, PART_SUFFIX)]
        return sorted(files, key=lambda p: p.name)

    def lock(self) -> None:
        """Take the folder's flock (released by the kernel if the process dies)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RecordingLocked(f"recording {self.root} is held by a live recorder") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        """Release the folder's flock."""
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
