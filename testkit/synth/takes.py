"""Error screens filmed once each, frame by frame (no video): the takes the crop bench (bench/second_recogniser.py)
and the reader's tests read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from testkit.synth.capture import random_capture_params, render_capture
from testkit.synth.screens import (
    NEGATIVE_LINES,
    SAMPLES,
    random_style,
    render_error_screen,
    screen_size_for,
    screen_text,
)

SIZES = ((640, 360), (1280, 720))


def _norm(text: str) -> str:
    return text.replace(" ", "").upper()


@dataclass(frozen=True, slots=True)
class Take:
    """One filmed screen: the true code ("" for a screen without one), the frame and its layout."""

    truth: str
    frame: np.ndarray
    layout: str
    accept: tuple[str, ...] = ()  # other spellings that count as the code (open set)

    @property
    def accepted(self) -> set[str]:
        """Normalised spellings that count as reading the code (empty for a screen without one)."""
        return {_norm(c) for c in (self.truth, *self.accept) if c}


def takes(seeds: int, severity: float, first_seed: int = 0) -> Iterator[Take]:
    """Every bench sample and screen without a code, filmed once per seed (alternating 640x360 and 1280x720)."""
    contents = [(s.code, screen_text(s), s) for s in SAMPLES] + [("", "\n".join(ln), None) for ln in NEGATIVE_LINES]
    for seed in range(first_seed, first_seed + seeds):
        rng = np.random.default_rng(1000 + seed)
        for i, (code, text, sample) in enumerate(contents):
            style = random_style(rng, sample)
            size = SIZES[(i + seed) % 2]
            screen_size = screen_size_for(style, rng)
            params = random_capture_params(rng, size, screen_size[0] / screen_size[1], severity)
            screen = render_error_screen(code, text, style, screen_size)
            yield Take(code, render_capture(screen, params, size), style.layout)


def open_takes(seed: int, severity: float) -> Iterator[Take]:
    """The open set's TUNED families (testkit/synth/open_set.py), one screen per format plus 8 without a code,
    each filmed once at 640x360 and once at 1280x720 (held-out families are never looked at here)."""
    from testkit.synth.formats import TUNED_FAMILIES
    from testkit.synth.open_screens import render_open_screen
    from testkit.synth.open_set import plan_open

    rng = np.random.default_rng(seed)
    for spec in plan_open(list(TUNED_FAMILIES), seed, 1, 8, SIZES):
        screen = render_open_screen(spec.content, spec.style, spec.screen_size, np.random.default_rng(spec.screen_seed))
        params = random_capture_params(rng, spec.size, screen.shape[1] / screen.shape[0], severity)
        yield Take(spec.content.code, render_capture(screen, params, spec.size),
                   "sevenseg" if spec.style.layout == "segment" else spec.style.layout, tuple(spec.content.accept))
