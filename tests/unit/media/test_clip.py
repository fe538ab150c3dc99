"""A clip of a real recording (SessionRecorder output) is cut by stream copy: it starts on the keyframe at or
before the asked start, ends at the asked end, decodes, and has exactly the source's packets of that range."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import av
import pytest

from media.recorder import SessionRecorder
from media.recording.clip import ClipError, cut_clip
from testkit.synthetic_media import as_frames, encode_opus, encode_vp8


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(record(tmp_path_factory.mktemp("rec")))


async def record(folder: Path) -> Path:
    recorder = SessionRecorder(folder, "s-clip")
    recorder.start()
    t0 = recorder.started_at
    assert t0 is not None
    video = as_frames(encode_vp8(320, 240, fps=15, seconds=6.0, keyint=15), kind="video", start_arrival=t0,
                      rtp_origin=7)  # a keyframe every second
    audio = as_frames(encode_opus(seconds=6.0), kind="audio", start_arrival=t0, rtp_origin=9)
    for frame in sorted([*video, *audio], key=lambda f: f.arrival):
        recorder.push("customer", frame)
    return (await recorder.close()).path


def video_times(path: Path) -> list[tuple[float, bool]]:
    with av.open(str(path)) as container:
        return [(float(p.pts * p.time_base), p.is_keyframe) for p in container.demux(video=0)
                if p.pts is not None and p.size]


def test_the_clip_copies_the_range_from_the_keyframe_before_it(recording: Path, tmp_path: Path) -> None:
    source = video_times(recording)
    keyframes = [t for t, key in source if key]
    info = cut_clip(recording, tmp_path / "clip.webm", 2.5, 4.2)
    in_memory = io.BytesIO()
    with open(recording, "rb") as handle:  # file objects work too (a recording decrypted on the fly)
        assert cut_clip(handle, in_memory, 2.5, 4.2) == info
    (tmp_path / "memory.webm").write_bytes(in_memory.getvalue())
    assert video_times(tmp_path / "memory.webm") == video_times(tmp_path / "clip.webm")
    start = max(t for t in keyframes if t <= 2.5)
    assert info.start_s == pytest.approx(start, abs=1e-3)
    clip = video_times(tmp_path / "clip.webm")
    assert clip[0][1] and clip[0][0] == pytest.approx(0.0, abs=1e-3)  # starts on a keyframe, at 0
    expected = [t for t, _ in source if start <= t < 4.2]
    assert [round(t + start, 3) for t, _ in clip] == [round(t, 3) for t in expected]
    with av.open(str(tmp_path / "clip.webm")) as container:  # it decodes (no re-encode happened: same packets, same sizes)
        assert sum(1 for _ in container.decode(video=0)) == len(expected)
        assert {s.type for s in container.streams} == {"video", "audio"}


def test_an_empty_or_backwards_range_is_refused(recording: Path, tmp_path: Path) -> None:
    with pytest.raises(ClipError):
        cut_clip(recording, tmp_path / "a.webm", 3.0, 2.0)
    with pytest.raises(ClipError):
        cut_clip(recording, tmp_path / "b.webm", 60.0, 70.0)
    assert not (tmp_path / "b.webm").exists()
