"""What the blind evaluation splits (fresh, fresh2, fresh3, fresh4) share about screens and plans: font loading, how a
planned screen becomes one clip per output size, and where the code is on a rendered screen.

The splits' own layouts, faces and tables stay in their own modules; nothing here says what a split's codes or
screens look like.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

import numpy as np
from PIL import ImageFont

from testkit.synth.clips import film_screen
from testkit.synth.open_text import ScreenContent

NEGATIVE = "negative"  # family and format of screens without a code (as in the open set)
Colour = tuple[int, int, int]  # RGB (PIL)
Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels of the rendered screen
Style = TypeVar("Style")
Spec = TypeVar("Spec")


def font_loader(files: Mapping[str, tuple[str, int]], cache: int = 512) -> Callable[[str, int], ImageFont.FreeTypeFont]:
    """A cached loader of the named faces of a split (name -> (file, face index)), at a pixel size (at least 6)."""

    @lru_cache(maxsize=cache)
    def load(name: str, px: int) -> ImageFont.FreeTypeFont:
        path, index = files[name]
        return ImageFont.truetype(path, max(6, px), index=index)

    return load


@dataclass(frozen=True, slots=True)
class PlannedScreen:
    """One screen of a plan before it is styled and filmed."""

    family: str
    format: str
    content: ScreenContent
    shown: str  # how the code line writes the code ("" on negatives)
    layout: str


@dataclass(frozen=True, slots=True)
class Filming(Generic[Style]):
    """How one planned screen is filmed at one output size."""

    index: int
    screen: PlannedScreen
    style: Style
    screen_size: tuple[int, int]
    size: tuple[int, int]
    kbps: int
    seed: int
    screen_seed: int


def film_plan(screens: Sequence[PlannedScreen], sizes: tuple[tuple[int, int], ...], rng: np.random.Generator,
              style_of: Callable[[np.random.Generator, str, str], Style],
              size_of: Callable[[str, np.random.Generator], tuple[int, int]],
              make: Callable[[Filming[Style]], Spec]) -> list[Spec]:
    """Each screen styled once and filmed at every size (VP8 bitrates as a browser sends them at that size); the
    random draws come in a fixed order, so a plan is the same for the same seed."""
    specs: list[Spec] = []
    for screen in screens:
        style = style_of(rng, screen.layout, screen.content.code)
        native = size_of(screen.layout, rng)
        screen_seed = int(rng.integers(1 << 30))
        for size in sizes:
            kbps = int(rng.integers(6, 31)) * 50 * size[0] // 1280 + 250
            specs.append(make(Filming(len(specs), screen, style, native, size, kbps, int(rng.integers(1 << 30)),
                                      screen_seed)))
    return specs


def relative_box(box: Box | None, shape: tuple[int, ...]) -> list[float]:
    """A box in pixels as shares of the screen's width and height ([] without a box)."""
    if box is None:
        return []
    h, w = shape[:2]
    return [round(box[0] / w, 4), round(box[1] / h, 4), round(box[2] / w, 4), round(box[3] / h, 4)]


def film_rendered(screen: np.ndarray, size: tuple[int, int], fps: int, lead_in_s: float, screen_s: float,
                  seed: int) -> list[np.ndarray]:
    """BGR frames of a rendered screen filmed by a hand-held phone (testkit/synth/clips.py), seeded by the clip."""
    return film_screen(screen, size, fps, lead_in_s, screen_s, seed, np.random.default_rng(seed))
