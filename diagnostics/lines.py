"""Finding text lines in a prepared screen image cheaply (morphology, no model): boxes to recognise one by one.

RapidOCR's own detector reads nearly every line but costs ~0.7 s per 720p frame on one core; glyph strokes
joined along the line by a morphological gradient and a horizontal closing find the lines of a device screen in
a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MIN_LINE_PX = 8  # shorter boxes are specks, underlines and noise
MAX_LINES = 24
ROW_REACH = 6  # pieces of one row this many line heights apart are still one line ("Error code:      U4-38")  # more components than this on one screen are texture, not text


@dataclass(frozen=True, slots=True)
class LineBox:
    """One text line: its box (x, y, w, h) in the prepared image and how much of the box is ink."""

    x: int
    y: int
    w: int
    h: int
    ink: float

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x, y, w, h)."""
        return self.x, self.y, self.w, self.h


def find_lines(gray: np.ndarray, glyph_px: int = 18) -> list[LineBox]:
    """Text lines of a grey image (dark text on light, glyphs about glyph_px tall), top to bottom.

    Strokes are the morphological gradient above Otsu; a closing as wide as a word gap joins the glyphs of a line
    but not the lines above and below it (its height stays under the line gap)."""
    h, w = gray.shape[:2]
    if h < MIN_LINE_PX or w < MIN_LINE_PX:
        return []
    grad = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    otsu, _ = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, bw = cv2.threshold(grad, max(otsu, 20.0), 255, cv2.THRESH_BINARY)
    gap = max(3, int(0.9 * glyph_px))
    joined = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 3)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined)
    boxes: list[LineBox] = []
    for i in range(1, n):
        x, y, bw_, bh, area = (int(v) for v in stats[i])
        touches = x == 0 or y == 0 or x + bw_ >= w or y + bh >= h
        # A line is wider than tall, not a specks, not the screen's own border (touching the edge, very long).
        if bh < MIN_LINE_PX or bh > 0.6 * h or bw_ < 0.8 * bh or (touches and bw_ > 0.9 * w):
            continue
        ink = area / float(bw_ * bh)
        if ink < 0.2:
            continue  # a frame or rule outline, sparse in its box
        boxes.append(LineBox(x, y, bw_, bh, ink))
    boxes = _merge_on_row(boxes, gap)
    if len(boxes) > MAX_LINES:
        return []
    return sorted(boxes, key=lambda b: (b.y, b.x))


def _merge_on_row(boxes: list[LineBox], gap: int) -> list[LineBox]:
    """Pieces of one line (words further apart than the closing reached, a caption and its code) joined."""
    out: list[LineBox] = []
    for b in sorted(boxes, key=lambda b: b.x):
        for i, o in enumerate(out):
            overlap = min(o.y + o.h, b.y + b.h) - max(o.y, b.y)
            near = b.x - (o.x + o.w) <= ROW_REACH * max(gap, min(o.h, b.h))
            # A word without ascenders ("s.", "use") is shorter than its line but lies within it.
            if overlap >= 0.7 * min(o.h, b.h) and near and max(o.h, b.h) <= 2.2 * min(o.h, b.h):
                x0, y0 = min(o.x, b.x), min(o.y, b.y)
                x1, y1 = max(o.x + o.w, b.x + b.w), max(o.y + o.h, b.y + b.h)
                ink = (o.ink * o.w * o.h + b.ink * b.w * b.h) / float((x1 - x0) * (y1 - y0))
                out[i] = LineBox(x0, y0, x1 - x0, y1 - y0, ink)
                break
        else:
            out.append(b)
    return out


def crop_line(gray: np.ndarray, line: LineBox) -> np.ndarray:
    """The line's crop with a margin of a third of its height (recognisers want some ground around glyphs)."""
    pad = max(2, line.h // 3)
    h, w = gray.shape[:2]
    return gray[max(0, line.y - pad): min(h, line.y + line.h + pad), max(0, line.x - pad): min(w, line.x + line.w + pad)]
