"""Reading a still screen again cheaply: the code's lines of the last read, found again by the frame's shift.

A hand-held phone films the same screen for seconds, and consensus wants the code read again in later frames.
The first read locates the screen, prepares it and OCRs all of it; while the screen stays in view (the frame
only shifted a little), the next frames need only the band of the prepared screen that held the code, read
with the same language pass, and the rest of the screen's text (its keywords) carried over. Each such read
is still a read of the new frame's pixels, so agreement between frames keeps its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from diagnostics.ocr import OcrLine

Band = tuple[int, int, int, int]
TRACK_SCALE = 0.25  # the frame is compared at this scale
MIN_RESPONSE = 0.2  # phase-correlation peak below this: the view changed, not just shifted
MAX_SHIFT = 0.06  # of the frame's width: a larger jump is a new view
BAND_PAD = 0.8  # of a line's height, above and below the code's line
BAND_REACH = 1.5  # of a line's height, left and right of it


@dataclass(frozen=True, slots=True)
class StillScreen:
    """What a frame whose code was read by Tesseract leaves for the next frames of the same view."""

    small: np.ndarray  # the frame's grey copy at TRACK_SCALE, float32
    corners: np.ndarray  # the read region's corners in the frame (4 x 2 float32, ordered)
    inset: float  # rectify's inset for that region
    inverted: bool  # the region was light text on dark
    shape: tuple[int, int]  # the prepared image's size (h, w)
    language: str  # the Tesseract pass that read the code
    lines: list[OcrLine]  # the screen's lines as read then (context for the next reads)
    bands: tuple[Band, ...]  # boxes (x0, y0, x1, y1) of the prepared image around the codes' lines
    region: str  # how the region was found ("screen", "text-block", "outline")
    detected: bool = False  # the line detector read this view already


def small_copy(gray: np.ndarray) -> np.ndarray:
    """The frame's grey copy that views are compared on."""
    h, w = gray.shape[:2]
    size = (max(16, int(w * TRACK_SCALE)), max(16, int(h * TRACK_SCALE)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def shift_of(before: np.ndarray, now: np.ndarray) -> tuple[float, float] | None:
    """How far the view moved between two small copies (full-frame pixels), or None when it is another view."""
    if before.shape != now.shape:
        return None
    (dx, dy), response = cv2.phaseCorrelate(before, now)
    if response < MIN_RESPONSE or max(abs(dx), abs(dy)) > MAX_SHIFT * now.shape[1]:
        return None
    return dx / TRACK_SCALE, dy / TRACK_SCALE


def code_bands(lines: list[OcrLine], code_lines: set[str], shape: tuple[int, int], pad_share: float = BAND_PAD,
               reach_share: float = BAND_REACH) -> tuple[Band, ...]:
    """Boxes of the prepared image around each line that held a code (padded for hand shake)."""
    out = []
    for ln in lines:
        if not ln.words or ln.text.strip() not in code_lines:
            continue
        x0 = min(w.box[0] for w in ln.words)
        x1 = max(w.box[0] + w.box[2] for w in ln.words)
        y0 = min(w.box[1] for w in ln.words)
        y1 = max(w.box[1] + w.box[3] for w in ln.words)
        pad, reach = int(pad_share * (y1 - y0)) + 4, int(reach_share * (y1 - y0)) + 8
        out.append((max(0, x0 - reach), max(0, y0 - pad), min(shape[1], x1 + reach), min(shape[0], y1 + pad)))
    return tuple(out)


def shifted_lines(lines: list[OcrLine], dx: int, dy: int) -> list[OcrLine]:
    """Lines read from a band, moved to the prepared image's coordinates."""
    return [OcrLine(ln.text, ln.confidence, tuple(replace(w, box=(w.box[0] + dx, w.box[1] + dy, w.box[2], w.box[3]))
                                                  for w in ln.words)) for ln in lines]


def outside_bands(lines: list[OcrLine], bands: tuple[Band, ...]) -> list[OcrLine]:
    """The earlier read's lines that lie outside every band (the screen's other text)."""
    def inside(ln: OcrLine) -> bool:
        if not ln.words:
            return False
        mid = (min(w.box[1] for w in ln.words) + max(w.box[1] + w.box[3] for w in ln.words)) / 2
        return any(y0 <= mid <= y1 for _, y0, _, y1 in bands)
    return [ln for ln in lines if not inside(ln)]


@dataclass(frozen=True, slots=True)
class QuietView:
    """A view whose last read found no code (or one it cannot follow).

    When the slow passes (all languages, a second region) ran and found nothing, its next frame, if the view only
    shifted, is read with the fast pass alone; the one after with all passes again, so a code that a slow pass reads
    in a sharper frame is still found, a frame later at worst. The line detector reads a still view once: its next
    frames know it did."""

    small: np.ndarray  # the frame's grey copy at TRACK_SCALE, float32
    fast_next: bool = True  # the next frame of this view may be read with the fast pass alone
    detected: bool = False  # the line detector already read this view and its lines held no sure code
    # The detector read a code here whose line cannot be followed (no region to cut it from again): the next frame
    # runs it again, so the code can get its second, confirming read.
    detector_read: bool = False
