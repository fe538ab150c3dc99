"""Plans and renders the open evaluation set: random codes of many formats, layouts, fonts and languages,
plus screens full of ordinary numbers, each filmed by a hand-held phone at 640x360 and 1280x720.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from testkit.synth.clips import film_screen
from testkit.synth.formats import CodeFormat, formats_of
from testkit.synth.open_screens import (
    LAYOUTS,
    OpenStyle,
    layouts_for,
    random_open_style,
    render_open_screen,
    screen_size,
)
from testkit.synth.open_text import ScreenContent, error_content, negative_content, pick_lang

NEGATIVE = "negative"  # family and format name of screens without an error code


@dataclass(frozen=True, slots=True)
class OpenClipSpec:
    """One clip of the open set: what the screen shows, how it looks, how it is filmed and encoded."""

    index: int
    family: str
    format: str
    content: ScreenContent
    style: OpenStyle
    screen_size: tuple[int, int]
    size: tuple[int, int]
    codec: str
    kbps: int
    seed: int  # of the filming (shake, noise, framing)
    screen_seed: int  # of the screen's chrome (the same screen at every size)


def plan_open(families: list[str], seed: int, per_format: int, negatives: int,
              sizes: tuple[tuple[int, int], ...]) -> list[OpenClipSpec]:
    """Every clip of an open set (deterministic per seed): per_format screens of each format, then negatives;
    each screen is filmed once at every size."""
    rng = np.random.default_rng(seed)
    screens: list[tuple[str, str, ScreenContent, str]] = []
    for fmt in formats_of(families):
        for _ in range(per_format):
            screens.append(_error_screen(fmt, rng))
    for _ in range(negatives):
        lang = pick_lang(rng)
        screens.append((NEGATIVE, NEGATIVE, negative_content(rng, lang), LAYOUTS[int(rng.integers(len(LAYOUTS)))]))
    specs: list[OpenClipSpec] = []
    for family, name, content, layout in screens:
        style = random_open_style(rng, layout, content.code)
        native = screen_size(layout, rng)
        codec = "vp8" if rng.random() < 0.75 else "h264"  # browsers mostly send VP8
        screen_seed = int(rng.integers(1 << 30))
        for size in sizes:
            kbps = int(rng.integers(6, 31)) * 50 * size[0] // 1280 + 250  # 400..1000 at 360p, 550..1750 at 720p
            specs.append(OpenClipSpec(len(specs), family, name, content, style, native, size, codec, kbps,
                                      int(rng.integers(1 << 30)), screen_seed))
    return specs


def _error_screen(fmt: CodeFormat, rng: np.random.Generator) -> tuple[str, str, ScreenContent, str]:
    lang = pick_lang(rng)
    distractors = int(rng.choice([0, 1, 2], p=[0.4, 0.4, 0.2]))
    content = error_content(fmt, rng, lang, distractors)
    options = layouts_for(fmt.kind, fmt.segment)
    return fmt.family, fmt.name, content, options[int(rng.integers(len(options)))]


def render_open_clip(spec: OpenClipSpec, fps: int, lead_in_s: float, screen_s: float) -> list[np.ndarray]:
    """BGR frames of the clip: the rendered screen filmed by a hand-held phone."""
    screen = render_open_screen(spec.content, spec.style, spec.screen_size, np.random.default_rng(spec.screen_seed))
    return film_screen(screen, spec.size, fps, lead_in_s, screen_s, spec.seed, np.random.default_rng(spec.seed))
