"""Serving a file encrypted at rest: decrypted on the fly, chunk by chunk, with one byte range (RFC 9110 Range)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

from fastapi.responses import FileResponse, Response, StreamingResponse

from atrest.sealed import CHUNK, AtRestKey, SealedFileError, is_sealed, open_for_reading, plain_size
from web.problems import Problem

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}  # a call's images


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `Range: bytes=...` within size; None for the whole file; Problem 416 if
    unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or match.groups() == ("", ""):
        return None  # not a byte range we understand: the whole file, as RFC 9110 allows
    first, last = match.groups()
    if first == "":
        length = int(last)
        if length == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise _unsatisfiable(size)
    return start, end


def _unsatisfiable(size: int) -> Problem:
    return Problem(416, "range-not-satisfiable", "Range not satisfiable", f"The file has {size} bytes.",
                   headers={"Content-Range": f"bytes */{size}"})


def _chunks(path: Path, key: AtRestKey | None, start: int, end: int) -> Iterator[bytes]:
    with open_for_reading(path, key) as source:
        source.seek(start)
        left = end - start + 1
        while left > 0:
            data = source.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data


async def sealed_file_response(path: Path, key: AtRestKey | None, range_header: str | None, *, media_type: str,
                               headers: dict[str, str]) -> Response:
    """A 200 or 206 response of the file's plaintext (streamed from a thread); 500-class Problem if the key is
    missing or wrong (a sentence, never ciphertext)."""
    try:
        size = await asyncio.to_thread(plain_size, path, key)
    except SealedFileError as exc:
        raise Problem(503, "sealed-file-unreadable", "Cannot decrypt", str(exc)) from None
    wanted = byte_range(range_header, size)
    first, last = wanted if wanted is not None else (0, size - 1)
    out = {**headers, "Accept-Ranges": "bytes", "Content-Length": str(max(0, last - first + 1))}
    if wanted is not None:
        out["Content-Range"] = f"bytes {first}-{last}/{size}"
    return StreamingResponse(_chunks(path, key, first, last), status_code=206 if wanted is not None else 200,
                             media_type=media_type, headers=out)


async def sealed_file_bytes(path: Path, key: AtRestKey | None) -> bytes:
    """The whole plaintext of a small file (a poster, a snapshot); Problem 503 without the right key."""
    try:
        with await asyncio.to_thread(open_for_reading, path, key) as source:
            return await asyncio.to_thread(source.read)
    except SealedFileError as exc:
        raise Problem(503, "sealed-file-unreadable", "Cannot decrypt", str(exc)) from None


async def private_image(path: Path, key: AtRestKey | None, media_type: str) -> Response:
    """A small image of a call (snapshot, example, poster, freeze) as stored or decrypted; never cached or sniffed."""
    if await asyncio.to_thread(is_sealed, path):
        return Response(await sealed_file_bytes(path, key), media_type=media_type, headers=PRIVATE)
    return FileResponse(path, media_type=media_type, headers=PRIVATE)
