"""Sealed files: AES-256-GCM per 32 KiB chunk, so any byte range can be read (and rewritten) without the rest.

Layout: a header, then fixed-size records. The header is a magic string, a random file id, a key check (an
empty message sealed with the key: a wrong key is told apart from a damaged file at open) and the seal (the
plaintext length, sealed when the file is closed; zeros while it is being written). Record i holds plaintext
bytes [i*CHUNK, (i+1)*CHUNK) as nonce (12, random, new at every write of the chunk) + ciphertext + tag (16);
its associated data binds it to this file and to its index, so records cannot be reordered, moved between
files or swapped for an older copy of another index. A closed file's length is sealed, so a truncated file is
refused; a file a crash left unfinished is readable only on request (crash recovery), up to its last whole record.

Files that do not start with the magic string are plain (written before a key was configured) and are read as
they are; a sealed file without a key, or with another key, raises SealedFileError with a sentence, never bytes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import os
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"LDSEAL1\n"
CHUNK = 32 * 1024
NONCE = 12
TAG = 16
RECORD = NONCE + CHUNK + TAG
_FILE_ID = 16
_KEY_CHECK = NONCE + TAG
_SEAL = NONCE + 8 + TAG
HEADER = len(MAGIC) + _FILE_ID + _KEY_CHECK + _SEAL
_SEAL_AT = HEADER - _SEAL


class SealedFileError(Exception):
    """A sealed file cannot be read: no key, the wrong key, or damaged/truncated (the message says which)."""


class AtRestKey:
    """The AES-256 key media is sealed with (from LENSDESK_RECORDING_KEY: 32 bytes, base64)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the recording key must be 32 bytes (base64 of 32 random bytes)")
        self.aead = AESGCM(key)

    @classmethod
    def from_base64(cls, text: str) -> AtRestKey:
        """Parse the configured key; ValueError with a sentence if it is not base64 of 32 bytes."""
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("LENSDESK_RECORDING_KEY is not base64 (make one with: "
                             "python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())')") from None
        return cls(raw)


def is_sealed(path: Path) -> bool:
    """The file starts like a sealed file."""
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _record_aad(file_id: bytes, index: int) -> bytes:
    return MAGIC + file_id + index.to_bytes(8, "big")


class SealedFile(io.RawIOBase):
    """A sealed file opened for reading ("r") or created ("w": read, write and seek, as a muxer needs)."""

    def __init__(self, path: Path, key: AtRestKey, mode: str = "r", *, unfinished_ok: bool = False) -> None:
        super().__init__()
        self._aead = key.aead
        self._mode = mode
        self._pos = 0
        self._index = -1  # the chunk held in _chunk
        self._chunk = bytearray()
        self._dirty = False
        if mode == "w":
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            self._file_id = os.urandom(_FILE_ID)
            nonce = os.urandom(NONCE)
            check = nonce + self._aead.encrypt(nonce, b"", MAGIC + self._file_id + b"key")
            os.pwrite(self._fd, MAGIC + self._file_id + check + bytes(_SEAL), 0)
            self._size = 0
            return
        if mode != "r":
            raise ValueError(f"mode {mode!r}: 'r' or 'w'")
        self._fd = os.open(path, os.O_RDONLY)
        try:
            self._size = self._open_existing(path, unfinished_ok)
        except BaseException:
            os.close(self._fd)
            raise

    def _open_existing(self, path: Path, unfinished_ok: bool) -> int:
        header = os.pread(self._fd, HEADER, 0)
        if len(header) < HEADER or not header.startswith(MAGIC):
            raise SealedFileError(f"{path.name} is not a sealed file (or its header is damaged)")
        self._file_id = header[len(MAGIC):len(MAGIC) + _FILE_ID]
        check = header[len(MAGIC) + _FILE_ID:_SEAL_AT]
        try:
            self._aead.decrypt(check[:NONCE], check[NONCE:], MAGIC + self._file_id + b"key")
        except InvalidTag:
            raise SealedFileError(f"{path.name} was sealed with another key than LENSDESK_RECORDING_KEY") from None
        on_disk = os.fstat(self._fd).st_size - HEADER
        seal = header[_SEAL_AT:]
        if seal != bytes(_SEAL):
            try:
                size = int.from_bytes(self._aead.decrypt(seal[:NONCE], seal[NONCE:], MAGIC + self._file_id + b"seal"),
                                      "big")
            except InvalidTag:
                raise SealedFileError(f"{path.name} is damaged (its length does not verify)") from None
            full, rest = divmod(size, CHUNK)
            if on_disk != full * RECORD + (rest + NONCE + TAG if rest else 0):
                raise SealedFileError(f"{path.name} is truncated or damaged ({on_disk} bytes of records, "
                                      f"{size} sealed)")
            return size
        if not unfinished_ok:
            raise SealedFileError(f"{path.name} was not closed (a crash interrupted it); only recovery reads it")
        # Unfinished: every whole record, and the last one if it verifies (a crash may have torn it).
        full, rest = divmod(on_disk, RECORD)
        size = full * CHUNK
        if rest > NONCE + TAG:
            with contextlib.suppress(SealedFileError):
                size += len(self._decrypt(full, os.pread(self._fd, rest, HEADER + full * RECORD)))
        return size

    # -- io.RawIOBase ----------------------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return self._mode == "w"

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self._pos = base + offset
        return self._pos

    @property
    def size(self) -> int:
        """Plaintext length."""
        return self._size

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self._size:
            index, within = divmod(self._pos, CHUNK)
            chunk = self._load(index)
            n = min(len(view) - done, len(chunk) - within)
            view[done:done + n] = chunk[within:within + n]
            done += n
            self._pos += n
        return done

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self._mode != "w":
            raise io.UnsupportedOperation("not writable")
        view = memoryview(data).cast("B")
        if self._pos > self._size:  # a muxer seeking past the end: zeros in between, as a plain file has
            gap, self._pos = self._pos - self._size, self._size
            self.write(bytes(gap))
        done = 0
        while done < len(view):
            index, within = divmod(self._pos, CHUNK)
            chunk = self._load(index)
            n = min(len(view) - done, CHUNK - within)
            chunk[within:within + n] = view[done:done + n]
            self._dirty = True
            done += n
            self._pos += n
            self._size = max(self._size, self._pos)
        return done

    def flush(self) -> None:
        if not self.closed and self._dirty:
            self._store()

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._mode == "w":
                self.flush()
                nonce = os.urandom(NONCE)
                sealed = self._aead.encrypt(nonce, self._size.to_bytes(8, "big"), MAGIC + self._file_id + b"seal")
                os.pwrite(self._fd, nonce + sealed, _SEAL_AT)
        finally:
            os.close(self._fd)
            super().close()

    def fileno(self) -> int:
        return self._fd

    # -- chunks ----------------------------------------------------------------------------------------

    def _decrypt(self, index: int, record: bytes) -> bytes:
        try:
            return self._aead.decrypt(record[:NONCE], record[NONCE:], _record_aad(self._file_id, index))
        except InvalidTag:
            raise SealedFileError(f"chunk {index} of a sealed file does not verify (damaged or tampered)") from None

    def _load(self, index: int) -> bytearray:
        if index == self._index:
            return self._chunk
        if self._dirty:
            self._store()
        start = index * CHUNK
        if start >= self._size:
            self._chunk = bytearray()
        else:
            length = min(CHUNK, self._size - start) + NONCE + TAG
            self._chunk = bytearray(self._decrypt(index, os.pread(self._fd, length, HEADER + index * RECORD)))
        self._index = index
        return self._chunk

    def _store(self) -> None:
        nonce = os.urandom(NONCE)  # fresh at every write: a rewritten chunk never reuses a nonce
        record = nonce + self._aead.encrypt(nonce, bytes(self._chunk), _record_aad(self._file_id, self._index))
        os.pwrite(self._fd, record, HEADER + self._index * RECORD)
        self._dirty = False


def open_for_reading(path: Path, key: AtRestKey | None, *, unfinished_ok: bool = False) -> BinaryIO:
    """The file's plaintext: a sealed file decrypted on the fly, a plain one as it is (SealedFileError if sealed
    and no key is configured)."""
    if is_sealed(path):
        if key is None:
            raise SealedFileError(f"{path.name} is encrypted at rest and LENSDESK_RECORDING_KEY is not set")
        return io.BufferedReader(SealedFile(path, key, "r", unfinished_ok=unfinished_ok), CHUNK)
    return open(path, "rb")


def create(path: Path, key: AtRestKey | None) -> BinaryIO:
    """A new owner-only file: sealed with the key, plain without one (read, write and seek)."""
    if key is not None:
        return SealedFile(path, key, "w")  # type: ignore[return-value]
    return os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600), "w+b")


def plain_size(path: Path, key: AtRestKey | None) -> int:
    """The length of the file's plaintext."""
    if not is_sealed(path):
        return path.stat().st_size
    with open_for_reading(path, key) as handle:
        return handle.seek(0, io.SEEK_END)


def read_all(path: Path, key: AtRestKey | None) -> bytes:
    """The whole plaintext of a (small) file."""
    with open_for_reading(path, key) as handle:
        return handle.read()
