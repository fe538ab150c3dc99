"""Whole sessions over real VP8/H.264 encoded clips, decoded with PyAV as the media side does."""

from pathlib import Path

import numpy as np
import pytest

from diagnostics.session import SessionDiagnostics
from testkit.synth.clips import ClipSpec, make_error_clip
from testkit.synth.codec import decode_clip, encode_clip
from testkit.synth.screens import SAMPLES, ScreenStyle, screen_text

DIALOG = ScreenStyle("dialog", "sans", (20, 20, 20), (245, 245, 245))


def _run(session: SessionDiagnostics, clip):
    found = []
    for t, frame in clip:
        if session.wants(t):
            found.extend(session.process(frame, t))
    return found


def _clip(tmp_path: Path, sample_index: int, style: ScreenStyle, size, codec: str, kbps: int, seed: int):
    sample = SAMPLES[sample_index]
    spec = ClipSpec(sample.code, screen_text(sample), style, size, fps=10, lead_in_s=0.6, screen_s=2.4, seed=seed)
    path = encode_clip(make_error_clip(spec), tmp_path / f"clip{seed}", codec, kbps, spec.fps)
    return sample, decode_clip(path)


@pytest.mark.slow
def test_windows_code_on_a_640x360_vp8_stream(tmp_path, engine, config):
    # The reported case: 0x8007045D on a 640x360 WebRTC-like frame must not come out as 0x8907045D.
    sample, clip = _clip(tmp_path, 0, DIALOG, (640, 360), "vp8", 600, seed=11)
    session = SessionDiagnostics(config, engine)
    findings = _run(session, clip)
    assert [f.code for f in findings] == ["0x8007045D"]
    f = findings[0]
    assert f.known and f.family == "windows" and f.title == "I/O device error" and f.severity == "error"
    assert f.snapshot_jpeg[:2] == b"\xff\xd8" and len(f.snapshot_jpeg) > 5000
    assert 0.6 <= f.frame_time <= 3.0 and 0 < f.confidence <= 1 and f.frames_seen >= 1
    assert "request" in f.text.lower()
    assert session.stats.analysed <= 10  # sampled at ~3 fps, not every frame


@pytest.mark.slow
def test_chinese_appliance_screen_on_h264_720p(tmp_path, engine, config):
    style = ScreenStyle("lcd", "cjk", (40, 40, 30), (120, 210, 170))
    sample, clip = _clip(tmp_path, 23, style, (1280, 720), "h264", 1000, seed=12)
    findings = _run(SessionDiagnostics(config, engine), clip)
    assert [f.code for f in findings] == ["E5"]
    assert findings[0].title == "Water inlet fault"


@pytest.mark.slow
def test_seven_segment_panel(tmp_path, engine, config):
    style = ScreenStyle("sevenseg", "sevenseg", (90, 255, 90), (15, 20, 15))
    sample, clip = _clip(tmp_path, 20, style, (1280, 720), "vp8", 900, seed=13)
    assert [f.code for f in _run(SessionDiagnostics(config, engine), clip)] == ["F3"]


def test_all_black_video_gives_no_findings(tmp_path, engine, config):
    frames = [np.zeros((360, 640, 3), np.uint8) for _ in range(20)]
    clip = decode_clip(encode_clip(frames, tmp_path / "black", "vp8", 300, 10))
    session = SessionDiagnostics(config, engine)
    assert _run(session, clip) == []
    assert session.stats.analysed == 0 and session.stats.skipped["dark"] > 0


def test_unknown_code_is_reported_as_unknown(tmp_path, engine, config):
    from testkit.synth.capture import random_capture_params, render_capture
    from testkit.synth.screens import render_error_screen

    screen = render_error_screen("0x8BADF00D", "Error code: 0x8BADF00D\nSomething failed.", DIALOG, (960, 600))
    params = random_capture_params(np.random.default_rng(5), (1280, 720), 1.6, 0.5)
    session = SessionDiagnostics(config, engine)
    findings = []
    for i in range(8):
        findings += session.process(render_capture(screen, params, (1280, 720), shake=(i * 2.0, 0, 0)), i / 3)
    assert [(f.code, f.known, f.severity, f.title) for f in findings] == [("0x8BADF00D", False, "unknown", None)]


@pytest.mark.slow
def test_a_reported_screen_held_in_a_shaking_hand_is_not_read_again_and_again(tmp_path, engine, config):
    # 2.4 s of the same dialog with hand shake: after the code is confirmed, wobble alone triggers no more reads
    # until the settled recheck time; a long hold is re-read only every settled_recheck_s.
    sample, clip = _clip(tmp_path, 0, DIALOG, (1280, 720), "vp8", 1000, seed=21)
    screen = [(t, f) for t, f in clip if t >= 0.6]
    held = clip + [(t + 2.4, f) for t, f in screen] + [(t + 4.8, f) for t, f in screen]  # held ~5 s longer
    session = SessionDiagnostics(config, engine)
    assert [f.code for f in _run(session, held)] == ["0x8007045D"]
    screen_seconds = sum(1 for t, _ in held if t >= 0.6) / 10
    # at 3 fps every sample would be read (~3 reads/s); settled, it is a handful in all
    assert session.stats.analysed <= 2 + screen_seconds / config.settled_recheck_s + 3, session.stats
    assert session.stats.skipped["unchanged"] >= 5
