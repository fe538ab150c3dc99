"""Snapshot image files: unguessable names, written and fsynced before the database commit."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from atrest.sealed import AtRestKey, create, read_all
from tickets.errors import InvalidInputError

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """A snapshot file on disk: its public id, file name (relative to the folder) and MIME type."""

    snapshot_id: str
    file_name: str
    content_type: str


def sniff_image_type(data: bytes) -> tuple[str, str]:
    """(MIME type, extension) of a JPEG or PNG; InvalidInputError for anything else."""
    for magic, mime, ext in _SIGNATURES:
        if data.startswith(magic):
            return mime, ext
    raise InvalidInputError("snapshot", "must be a JPEG or PNG image")


class SnapshotFiles:
    """The snapshots folder (data_dir/snapshots); sealed files when a key is set (encryption at rest)."""

    def __init__(self, folder: Path, key: AtRestKey | None = None) -> None:
        self.folder = folder
        self._key = key

    def write(self, data: bytes) -> StoredSnapshot:
        """Write durably under a fresh random name: temp file, fsync, rename, fsync the folder."""
        if not data:
            raise InvalidInputError("snapshot", "is empty")
        mime, ext = sniff_image_type(data)
        self.folder.mkdir(parents=True, exist_ok=True)
        snapshot_id = secrets.token_urlsafe(24)  # 192 bits: the name itself is not guessable
        final = self.folder / f"{snapshot_id}{ext}"
        tmp = self.folder / f".{snapshot_id}.tmp"
        if self._key is not None:
            with create(tmp, self._key) as sealed:
                sealed.write(data)
                sealed.flush()
                os.fsync(sealed.fileno())
        else:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, final)
        self._fsync_folder()
        return StoredSnapshot(snapshot_id=snapshot_id, file_name=final.name, content_type=mime)

    def path_of(self, file_name: str) -> Path:
        """Absolute path of a stored file name (names come from the database, never from users)."""
        path = (self.folder / file_name).resolve()
        if path.parent != self.folder.resolve():
            raise InvalidInputError("snapshot", "path escapes the snapshots folder")
        return path

    def read(self, file_name: str) -> bytes:
        """The image, decrypted if sealed (FileNotFoundError if gone; SealedFileError without the right key)."""
        return read_all(self.path_of(file_name), self._key)

    def list_files(self) -> list[tuple[str, float]]:
        """(file name, age in seconds) of every file in the folder, temp files included."""
        if not self.folder.is_dir():
            return []
        now = time.time()
        return [(p.name, now - p.stat().st_mtime) for p in self.folder.iterdir() if p.is_file()]

    def discard(self, file_name: str) -> None:
        """Remove a file whose database row never committed."""
        with contextlib.suppress(FileNotFoundError):
            self.path_of(file_name).unlink()

    def _fsync_folder(self) -> None:
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
