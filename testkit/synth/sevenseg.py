"""Seven-segment glyph drawing (appliance and printer LCD panels)."""

from __future__ import annotations

import cv2
import numpy as np

# Segments a..g: a top, b upper right, c lower right, d bottom, e lower left, f upper left, g middle.
GLYPHS: dict[str, str] = {
    "0": "abcdef", "1": "bc", "2": "abdeg", "3": "abcdg", "4": "bcfg", "5": "acdfg", "6": "acdefg",
    "7": "abc", "8": "abcdefg", "9": "abcdfg", "A": "abcefg", "B": "cdefg", "C": "adef", "D": "bcdeg",
    "E": "adefg", "F": "aefg", "H": "bcefg", "L": "def", "P": "abefg", "U": "bcdef", "R": "eg", "-": "g", " ": "",
}


def _segment_polygons(x: float, y: float, w: float, h: float, t: float) -> dict[str, np.ndarray]:
    """Hexagonal segment outlines for one digit cell with top-left (x, y), size w x h, thickness t."""
    gap = t * 0.18
    mid = y + h / 2

    def horiz(yc: float) -> np.ndarray:
        x0, x1 = x + gap + t / 2, x + w - gap - t / 2
        return np.array([[x0, yc], [x0 + t / 2, yc - t / 2], [x1 - t / 2, yc - t / 2], [x1, yc],
                         [x1 - t / 2, yc + t / 2], [x0 + t / 2, yc + t / 2]])

    def vert(xc: float, y0: float, y1: float) -> np.ndarray:
        y0, y1 = y0 + gap + t / 2, y1 - gap - t / 2
        return np.array([[xc, y0], [xc + t / 2, y0 + t / 2], [xc + t / 2, y1 - t / 2], [xc, y1],
                         [xc - t / 2, y1 - t / 2], [xc - t / 2, y0 + t / 2]])

    top, bot = y + t / 2, y + h - t / 2
    left, right = x + t / 2, x + w - t / 2
    return {
        "a": horiz(top), "d": horiz(bot), "g": horiz(mid),
        "b": vert(right, top, mid), "c": vert(right, mid, bot),
        "e": vert(left, mid, bot), "f": vert(left, top, mid),
    }


def draw_seven_segment(img: np.ndarray, text: str, origin: tuple[int, int], height: int,
                       on: tuple[int, int, int], off: tuple[int, int, int] | None = None,
                       slant: float = 0.08) -> int:
    """Draw text as slanted seven-segment digits into img (BGR, in place); returns the end x."""
    w = height * 0.55
    t = max(2.0, height * 0.12)
    x, y = float(origin[0]), float(origin[1])
    shift = 4  # sub-pixel precision for anti-aliased polygons
    for ch in text.upper():
        if ch in ".:":
            r = max(2, int(t * 0.6))
            cx = int(x + t * 0.5)
            if ch == ".":
                cv2.circle(img, (cx, int(y + height - r)), r, on, -1, cv2.LINE_AA)
            else:
                cv2.circle(img, (cx, int(y + height * 0.3)), r, on, -1, cv2.LINE_AA)
                cv2.circle(img, (cx, int(y + height * 0.7)), r, on, -1, cv2.LINE_AA)
            x += t * 1.8
            continue
        lit = GLYPHS.get(ch, "")
        for name, poly in _segment_polygons(x, y, w, height, t).items():
            colour = on if name in lit else off
            if colour is None:
                continue
            sheared = poly.copy()
            sheared[:, 0] += (y + height - poly[:, 1]) * slant  # italic slant like real LCDs
            pts = np.round(sheared * (1 << shift)).astype(np.int32)
            cv2.fillPoly(img, [pts], colour, cv2.LINE_AA, shift)
        x += w + t * 1.6
    return int(x)
