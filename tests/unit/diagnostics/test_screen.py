"""Screen finding and rectification on synthetic phone captures with a known screen position."""

import cv2
import numpy as np
import pytest

from diagnostics.screen import find_screen, find_text, order_corners, rectify
from testkit.synth.capture import random_capture_params, render_capture
from testkit.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text
from testkit.synth.sevenseg import draw_seven_segment

DIALOG = ScreenStyle("dialog", "sans", (20, 20, 20), (245, 245, 245))


def _capture(seed: int, style: ScreenStyle = DIALOG, size=(1280, 720)):
    rng = np.random.default_rng(seed)
    sample = SAMPLES[0]
    screen = render_error_screen(sample.code, screen_text(sample), style, (960, 600))
    params = random_capture_params(rng, size, 960 / 600)
    return render_capture(screen, params, size), params


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_finds_the_screen_outline(seed):
    frame, params = _capture(seed)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    quad = find_screen(gray, text=find_text(gray))
    assert quad is not None
    # The outline found lies on the device (display, or a panel of it such as a dialog body below its
    # title bar) and covers most of the display.
    screen = order_corners(params.quad)
    grow = max(2, int(960 * params.bezel)) / 960 + 0.03
    device = (screen + (screen - screen.mean(axis=0)) * grow * 2).reshape(4, 1, 2)
    assert all(cv2.pointPolygonTest(device, (float(x), float(y)), False) >= 0 for x, y in quad)
    assert cv2.contourArea(quad) > 0.6 * cv2.contourArea(screen)


def test_rectified_screen_is_upright_with_the_screens_aspect():
    frame, params = _capture(2)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    quad = find_screen(gray, text=find_text(gray))
    assert quad is not None
    flat = rectify(gray, quad)
    h, w = flat.shape
    assert 1.3 < w / h < 1.9  # screen is 960x600 = 1.6
    # Text lines are horizontal after rectification: row profile has sharp peaks and gaps.
    dark_rows = (flat < 100).sum(axis=1)
    assert (dark_rows == 0).sum() > 0.3 * h


def test_blank_frame_has_no_screen_and_no_text():
    blank = np.full((360, 640), 128, np.uint8)
    assert find_screen(blank) is None
    assert find_text(blank).box is None


def test_order_corners_is_independent_of_input_order():
    pts = np.array([[10, 10], [100, 12], [98, 60], [12, 58]], np.float32)
    shuffled = pts[[2, 0, 3, 1]]
    assert np.array_equal(order_corners(shuffled), pts)


def test_a_lone_one_after_a_wide_gap_stays_in_the_text_block():
    # Only the right bars of a "1" are lit: a whole digit cell of gap parts it from "E2" (it was cut off: E2).
    img = np.full((360, 640, 3), 30, np.uint8)
    end = draw_seven_segment(img, "E2", (200, 110), 90, (90, 230, 90), (45, 60, 45))
    draw_seven_segment(img, "1", (end + 70, 110), 90, (90, 230, 90), None)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    box = find_text(gray).box
    assert box is not None
    lit = np.argwhere(gray > 100)
    assert box[:, 0].max() >= lit[:, 1].max() and box[:, 0].min() <= lit[:, 1].min()
