"""Sealed files: round trips at any range, a muxer's seeks and rewrites, and clear refusals (no key, wrong key,
truncation, tampering, an unfinished file outside recovery)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import av
import numpy as np
import pytest

from atrest.sealed import (
    CHUNK,
    HEADER,
    AtRestKey,
    SealedFile,
    SealedFileError,
    create,
    is_sealed,
    open_for_reading,
    plain_size,
    read_all,
)

KEY = AtRestKey(bytes(range(32)))


def test_any_range_reads_back_and_the_disk_holds_no_plaintext(tmp_path: Path):
    data = os.urandom(3 * CHUNK + 1234)
    path = tmp_path / "f"
    with create(path, KEY) as out:
        out.write(data[:5000])
        out.write(data[5000:])
    assert is_sealed(path) and plain_size(path, KEY) == len(data)
    assert data[100:200] not in path.read_bytes()
    with open_for_reading(path, KEY) as handle:
        for start, length in [(0, 10), (CHUNK - 3, 7), (2 * CHUNK, CHUNK + 1234), (len(data) - 1, 5), (17, 3 * CHUNK)]:
            handle.seek(start)
            assert handle.read(length) == data[start:start + length]
    assert read_all(path, KEY) == data


def test_rewrites_and_seeks_as_a_muxer_does(tmp_path: Path):
    path = tmp_path / "f"
    expected = bytearray(os.urandom(2 * CHUNK))
    with create(path, KEY) as out:
        out.write(expected)
        out.seek(10)
        out.write(b"HEADER")  # a muxer fills in sizes at the start once it knows them
        expected[10:16] = b"HEADER"
        out.seek(0, io.SEEK_END)
        out.write(b"tail")
        expected += b"tail"
    assert read_all(path, KEY) == bytes(expected)


def test_a_real_matroska_file_written_and_read_through_the_seal(tmp_path: Path):
    path = tmp_path / "v.mkv"
    with create(path, KEY) as out, av.open(out, "w", format="matroska") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height = 64, 48
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 10, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with open_for_reading(path, KEY) as handle, av.open(handle, "r") as container:
        assert sum(1 for _ in container.decode(video=0)) == 20
        assert container.duration and container.duration > 0  # the muxer's seek back to the header went through


def test_no_key_wrong_key_truncation_and_tampering_are_clear_errors(tmp_path: Path):
    path = tmp_path / "f"
    with create(path, KEY) as out:
        out.write(os.urandom(2 * CHUNK))
    with pytest.raises(SealedFileError, match="LENSDESK_RECORDING_KEY is not set"):
        open_for_reading(path, None)
    with pytest.raises(SealedFileError, match="another key"):
        open_for_reading(path, AtRestKey(bytes(32)))
    raw = path.read_bytes()
    (tmp_path / "cut").write_bytes(raw[:-100])
    with pytest.raises(SealedFileError, match="truncated"):
        open_for_reading(tmp_path / "cut", KEY)
    flipped = bytearray(raw)
    flipped[HEADER + 100] ^= 1
    (tmp_path / "flip").write_bytes(flipped)
    with open_for_reading(tmp_path / "flip", KEY) as handle, pytest.raises(SealedFileError, match="does not verify"):
        handle.read()
    with pytest.raises(ValueError, match="base64"):
        AtRestKey.from_base64("not a key!")


def test_an_unfinished_file_is_read_only_by_recovery_up_to_its_last_whole_chunk(tmp_path: Path):
    data = os.urandom(2 * CHUNK + 500)
    with SealedFile(tmp_path / "live", KEY, "w") as out:
        out.write(data)
        out.seek(0)
        out.write(b"x")  # moving to chunk 0 stores chunk 2; chunk 0's change is still in memory
        # a SIGKILL now leaves what is on disk: copy it as the crash would leave it
        path = tmp_path / "part"
        path.write_bytes((tmp_path / "live").read_bytes())
        torn = tmp_path / "torn"
        torn.write_bytes(path.read_bytes()[:-200])  # the last record half written
    with pytest.raises(SealedFileError, match="not closed"):
        open_for_reading(path, KEY)
    with open_for_reading(path, KEY, unfinished_ok=True) as handle:
        assert handle.read() == data
    with open_for_reading(torn, KEY, unfinished_ok=True) as handle:
        assert handle.read() == data[:2 * CHUNK]
    plain = tmp_path / "plain"
    plain.write_bytes(b"older plain file")
    assert read_all(plain, None) == read_all(plain, KEY) == b"older plain file"
