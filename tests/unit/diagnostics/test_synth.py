"""The synthetic data helpers other engineers use: screens, clips and the Chromium fake-camera writer."""

import numpy as np
import pytest

from testkit.synth.clips import clip_for
from testkit.synth.screens import SAMPLES, ScreenStyle, random_style, render_error_screen, screen_text
from testkit.synth.y4m import write_y4m

STYLE = ScreenStyle("dialog", "sans", (20, 20, 20), (245, 245, 245))


def test_rendering_is_deterministic():
    a = render_error_screen("0x8007045D", "Error code: 0x8007045D\nI/O error", STYLE, (640, 400))
    b = render_error_screen("0x8007045D", "Error code: 0x8007045D\nI/O error", STYLE, (640, 400))
    assert a.shape == (400, 640, 3) and a.dtype == np.uint8 and np.array_equal(a, b)
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    assert [random_style(rng_a, s) for s in SAMPLES] == [random_style(rng_b, s) for s in SAMPLES]


def test_clip_has_lead_in_then_screen():
    frames = clip_for("E-204", screen_text(SAMPLES[12]), STYLE, seconds=1.0, fps=10, size=(320, 180), seed=1,
                      lead_in_s=0.3)
    assert len(frames) == 10 and all(f.shape == (180, 320, 3) for f in frames)
    # The desk of the lead-in and the screen afterwards are different pictures.
    assert np.abs(frames[-1].astype(int) - frames[0].astype(int)).mean() > 10
    assert np.abs(frames[-1].astype(int) - frames[-2].astype(int)).mean() < 10  # hand shake only


def test_write_y4m(tmp_path):
    frames = [np.full((36, 64, 3), v, np.uint8) for v in (0, 128, 255)]
    path = tmp_path / "cam.y4m"
    assert write_y4m(path, frames, fps=15) == 3
    data = path.read_bytes()
    header, rest = data.split(b"\n", 1)
    assert header == b"YUV4MPEG2 W64 H36 F15:1 Ip A1:1 C420jpeg"
    frame_bytes = 64 * 36 * 3 // 2
    assert len(rest) == 3 * (len(b"FRAME\n") + frame_bytes)


@pytest.mark.parametrize(
    "frames",
    [[], [np.zeros((35, 64, 3), np.uint8)], [np.zeros((36, 64, 3), np.float32)],
     [np.zeros((36, 64, 3), np.uint8), np.zeros((36, 66, 3), np.uint8)]],
)
def test_write_y4m_rejects_bad_frames(tmp_path, frames):
    with pytest.raises(ValueError):
        write_y4m(tmp_path / "x.y4m", frames)


def test_film_geometry_maps_screen_pixels_to_where_the_film_shows_them():
    import cv2

    from testkit.synth.clips import film_geometry, film_screen

    screen = np.full((300, 500, 3), 230, np.uint8)
    cv2.rectangle(screen, (354, 74), (365, 85), (0, 0, 0), -1)  # a small dark square whose centre is tracked
    frames = film_screen(screen, (640, 360), 10, 0.2, 0.5, 7, np.random.default_rng(7))
    maps = film_geometry(screen.shape, (640, 360), 10, 0.2, 0.5, np.random.default_rng(7))
    assert len(maps) == len(frames) and maps[0] is None and maps[1] is None  # the lead-in shows no screen
    for frame, m in zip(frames[2:], maps[2:], strict=True):
        assert m is not None
        expected = cv2.perspectiveTransform(np.array([[[359.5, 79.5]]], np.float32), m)[0, 0]
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        x, y = int(expected[0]), int(expected[1])
        window = gray[y - 12:y + 13, x - 12:x + 13]
        dark = np.argwhere(window < 0.5 * float(np.median(gray)))  # the square's pixels near the expected point
        found = dark.mean(axis=0)[::-1] + (x - 12, y - 12)
        assert np.hypot(*(found - expected)) < 2.0
