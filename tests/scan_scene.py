"""A device screen whose error code is too small to read in 640x360 video but readable in a 1080p photo."""

from __future__ import annotations

import numpy as np

from testkit.synth.capture import random_capture_params, render_capture
from testkit.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text

SMALL_CODE = "E-204"
FULL_SIZE = (1920, 1080)


def small_code_frames(count: int, size: tuple[int, int] = FULL_SIZE, seed: int = 3) -> list[np.ndarray]:
    """`count` hand-held frames (BGR) of a printer dialog with small text, filmed at `size`."""
    sample = next(s for s in SAMPLES if s.code == SMALL_CODE and s.lang == "en")
    style = ScreenStyle(layout="dialog", font="sans", fg=(20, 20, 20), bg=(245, 245, 245), text_scale=0.25)
    screen = render_error_screen(sample.code, screen_text(sample), style, (1400, 860))
    params = random_capture_params(np.random.default_rng(seed), size, screen.shape[1] / screen.shape[0], severity=0.4)
    return [render_capture(screen, params, size, shake=(2 * np.sin(i / 5), 1.5 * np.cos(i / 7), 0.2 * np.sin(i / 9)),
                           frame_seed=i) for i in range(count)]
