"""SIGKILL a process mid-recording at a random moment; recover() leaves a playable file up to <= 2 s before.

The same file is the child program (run as a script): it records a live-paced VP8 + Opus stream.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from media.recorder import SessionRecorder, recover
from testkit.synthetic_media import as_frames, encode_opus, encode_vp8

SESSION = "killed-mid-call"


def child(directory: Path) -> None:
    """Record live-paced media until killed."""
    clip = encode_vp8(640, 360, fps=15, seconds=2.0, keyint=30)  # looped 5 times: cheap to make
    audio = encode_opus(seconds=10.0)
    recorder = SessionRecorder(directory, SESSION)
    recorder.start()
    t0 = recorder.started_at
    assert t0 is not None
    video = [
        frame
        for loop in range(5)
        for frame in as_frames(clip, kind="video", start_arrival=t0 + 0.1 + 2 * loop, rtp_origin=loop * 2 * 90000)
    ]
    frames = sorted([*video, *as_frames(audio, kind="audio", start_arrival=t0)], key=lambda f: f.arrival)
    print(f"started {t0!r}", flush=True)
    for frame in frames:
        time.sleep(max(0.0, frame.arrival - time.monotonic()))
        recorder.push("customer", frame)
    time.sleep(60)  # never finalise: the parent kills us first


def _decode_everything(path: Path) -> tuple[float, float]:
    """Decode every packet of the file; return the end times of the last video and audio frames."""
    last = {"video": 0.0, "audio": 0.0}
    with av.open(str(path)) as container:
        for frame in container.decode(*container.streams):
            kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
            last[kind] = max(last[kind], float(frame.time))
    return last["video"], last["audio"]


@pytest.mark.slow
def test_sigkill_mid_recording_then_recover_keeps_all_but_the_last_two_seconds(tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    kill_after = random.Random(seed).uniform(2.5, 6.0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.unit.media.test_recorder_sigkill", str(tmp_path)], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("started "), line
        t0 = float(line.split()[1])
        time.sleep(max(0.0, t0 + kill_after - time.monotonic()))
        killed_at = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    kill_offset = killed_at - t0

    recovered = recover(tmp_path)
    assert [r.session_id for r in recovered] == [SESSION], f"seed {seed}"
    info = recovered[0]
    assert info.has_video and info.has_audio and info.poster_path is not None
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                            str(info.path)], capture_output=True, text=True, check=True)
    assert abs(float(probe.stdout) - info.duration_s) < 0.01
    last_video, last_audio = _decode_everything(info.path)
    context = f"seed {seed}: killed at {kill_offset:.2f} s, video to {last_video:.2f}, audio to {last_audio:.2f}"
    print(context)
    assert last_video >= kill_offset - 2.0, context
    assert last_audio >= kill_offset - 2.0, context
    assert max(last_video, last_audio) <= kill_offset + 0.1, context


if __name__ == "__main__":
    child(Path(sys.argv[1]))
