"""Reading seven-segment displays (appliance panels), which Tesseract does not read."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from diagnostics.ocr import OcrLine

# Lit segments (a top, b upper right, c lower right, d bottom, e lower left, f upper left, g middle) -> char.
SEGMENTS_TO_CHAR: dict[frozenset[str], str] = {
    frozenset(k): v for k, v in {
        "abcdef": "0", "bc": "1", "abdeg": "2", "abcdg": "3", "bcfg": "4", "acdfg": "5", "acdefg": "6",
        "abc": "7", "abcdefg": "8", "abcdfg": "9", "abcefg": "A", "cdefg": "b", "adef": "C", "bcdeg": "d",
        "adefg": "E", "aefg": "F", "bcefg": "H", "def": "L", "abefg": "P", "bcdef": "U", "eg": "r", "g": "-",
        "ceg": "n", "cdeg": "o", "abcdf": "3", "abfg": "9", "fgbc": "4",
    }.items()
}

# Sample windows per segment: centre (x, y) and half-size (w, h), as shares of the digit cell.
_WINDOWS = {
    "a": (0.5, 0.08, 0.2, 0.08), "g": (0.5, 0.5, 0.2, 0.08), "d": (0.5, 0.92, 0.2, 0.08),
    "f": (0.12, 0.28, 0.1, 0.12), "b": (0.88, 0.28, 0.1, 0.12),
    "e": (0.12, 0.72, 0.1, 0.12), "c": (0.88, 0.72, 0.1, 0.12),
}
LIT, DARK = 0.3, 0.1  # window fill above which a segment is on, below which it is clearly off


def _deslant(bw: np.ndarray) -> np.ndarray:
    """Undo the italic slant of segment displays, measured on the vertical bars' principal axes."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bw)
    slopes = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if h >= 1.5 * w and area >= 12:
            mom = cv2.moments((labels[y:y + h, x:x + w] == i).astype(np.uint8), binaryImage=True)
            if mom["mu02"] > 0:
                slopes.append(mom["mu11"] / mom["mu02"])  # dx/dy of the bar's axis
    h, w = bw.shape
    if slopes:
        s = float(np.clip(np.median(slopes), -0.4, 0.4))
    else:
        # Small digits blur into solid glyphs with no separate bars: take the shear that makes the
        # glyphs narrowest (fewest occupied columns).
        s = min((-0.3, -0.2, -0.1, 0.0, 0.1), key=lambda sh: int(np.count_nonzero(_shear(bw, sh).any(axis=0))))
    return _shear(bw, s)


def _shear(bw: np.ndarray, s: float) -> np.ndarray:
    """x' = x - s * (y - h/2): bars leaning right at the top (s < 0 in image coordinates) stand upright."""
    h, w = bw.shape
    m = np.array([[1, -s, s * h / 2], [0, 1, 0]], np.float32)
    return cv2.warpAffine(bw, m, (w, h), flags=cv2.INTER_NEAREST)


def _merge(bands: list[tuple[int, int]], join: Callable[[int, int, int, int], bool]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in bands:
        if out and join(out[-1][0], out[-1][1], a, b):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _bands(bw: np.ndarray) -> list[tuple[int, int]]:
    """Vertical extents of the text rows."""
    rows = bw.sum(axis=1) > 0
    bands, start = [], None
    for y, on in enumerate(rows):
        if on and start is None:
            start = y
        elif not on and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, len(rows)))
    # Segment rows of one digit leave thin gaps (where bars meet); rows of text leave wider ones, wider
    # than a bar is thick.
    thick = _bar_thickness(bw)

    def same_row(pa: int, pb: int, a: int, b: int) -> bool:
        if a - pb > max(3, min(0.25 * min(b - a, pb - pa), 0.8 * thick)):
            return False
        # Two bands of whole glyphs (taller than wide) are two rows, however close; halves of one row are wide.
        return a - pb <= 3 or not (_full_glyphs(bw[pa:pb]) and _full_glyphs(bw[a:b]))

    bands = _merge(bands, same_row)

    # Digits without a middle bar leave a wider gap, and then both halves are wider than tall.
    def halves(pa: int, pb: int, a: int, b: int) -> bool:
        return (a - pb <= 0.6 * min(b - a, pb - pa) and _widest_cell(bw[pa:pb]) > 0.9 * (pb - pa)
                and _widest_cell(bw[a:b]) > 0.9 * (b - a))

    merged = _merge(bands, halves)
    bands = merged
    tallest = max((b - a for a, b in bands), default=0)
    return [(a, b) for a, b in bands if b - a >= 0.5 * tallest and b - a >= 12]


def _bar_thickness(bw: np.ndarray) -> float:
    """Median thickness of the bar-shaped components (segments), or infinity when there are none."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(bw)
    widths = [min(int(w), int(h)) for _, _, w, h, area in stats[1:] if area >= 12 and max(w, h) >= 1.5 * min(w, h)]
    return float(np.median(widths)) if widths else float("inf")


def _cells(band: np.ndarray) -> list[tuple[int, int]]:
    """Horizontal extents of the glyphs of one row (segments of a glyph merged by a closing)."""
    h = band.shape[0]
    if h < 30:
        # Small digits are solid blobs a pixel apart (or touching in a column): one component each.
        n, _, stats, _ = cv2.connectedComponentsWithStats(band)
        spans = sorted((int(x), int(x + w)) for x, y, w, hh, _ in stats[1:] if hh >= 0.4 * h)
        return spans
    k = int(h * 0.12)
    merged = cv2.morphologyEx(band, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    cols = np.r_[0, merged.any(axis=0).astype(np.int8), 0]
    edges = np.flatnonzero(np.diff(cols))
    return [(int(a), int(b)) for a, b in edges.reshape(-1, 2)]


def _full_glyphs(band: np.ndarray) -> bool:
    """A band whose glyphs are all clearly taller than wide: whole digits, not the upper or lower half of a row."""
    cells = _cells(band)
    return len(cells) >= 2 and max(b - a for a, b in cells) < 0.8 * band.shape[0]


def _widest_cell(band: np.ndarray) -> int:
    return max((b - a for a, b in _cells(band)), default=0)


def _decode_cell(band: np.ndarray, x0: int, x1: int, cell_w: int) -> tuple[str, float]:
    h = band.shape[0]
    if x1 - x0 < 0.3 * cell_w and (x1 - x0) < 0.25 * h:  # narrow: a "1" or a dot/colon column
        rows = np.flatnonzero(band[:, x0:x1].any(axis=1))
        span = (rows[-1] - rows[0] + 1) / h if rows.size else 0.0
        if span > 0.6:
            return "1", 1.0
        if rows.size and rows[0] > 0.6 * h:
            return ".", 0.8
        return ":", 0.8
    if x1 - x0 >= 0.6 * cell_w:  # a full-width glyph: sample within its own box
        cell_w = x1 - x0
    left = x1 - cell_w
    lit: set[str] = set()
    decisive = 0
    for name, (cx, cy, hw, hh) in _WINDOWS.items():
        xa, xb = int(left + (cx - hw) * cell_w), int(left + (cx + hw) * cell_w) + 1
        ya, yb = int((cy - hh) * h), int((cy + hh) * h) + 1
        win = band[max(0, ya):yb, max(0, xa):max(0, xb)]
        fill = float(np.count_nonzero(win)) / win.size if win.size else 0.0
        if fill > LIT:
            lit.add(name)
        decisive += fill > LIT or fill < DARK
    char = SEGMENTS_TO_CHAR.get(frozenset(lit), "?")
    return char, decisive / len(_WINDOWS)


def read_seven_segment(gray: np.ndarray) -> list[OcrLine]:
    """Decode seven-segment rows of a prepared image (dark segments on light); [] if none look valid."""
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bw)
    keep = np.zeros(n, bool)
    hmax, wmax = gray.shape[:2]
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if x == 0 or y == 0 or x + w >= wmax or y + h >= hmax:
            continue  # bezel remnants along the edge of the rectified screen
        # Segments are bars: elongated, not tiny, not the whole image. Blurred segments of one glyph merge
        # into an outline (E, 4) that is sparse in its box, unlike a solid blob.
        keep[i] = area >= 12 and h < 0.9 * hmax and (max(w, h) >= 1.5 * min(w, h) or w * h <= 400
                                                     or area <= 0.55 * w * h)
    bw = np.where(keep[labels], 255, 0).astype(np.uint8)
    if not np.any(bw):
        return []
    bw = _deslant(bw)
    lines: list[OcrLine] = []
    for y0, y1 in _bands(bw):
        band = bw[y0:y1]
        h = y1 - y0
        cells = _cells(band)
        if not cells:
            continue
        cell_w = max(b - a for a, b in cells)
        if cell_w < 0.3 * h or cell_w > 1.0 * h:  # not digit-shaped
            continue
        chars, confs = [], []
        extents = []
        # A cell whose columns are empty in this band (set by a deslanted neighbour row) holds no glyph here.
        cells = [(a, b) for a, b in cells if band[:, a:b].any()]
        if not cells:
            continue
        for a, b in cells:
            rows = np.flatnonzero(band[:, a:b].any(axis=1))
            extents.append((int(rows[0]), int(rows[-1]) + 1))
        full_h = max(e[1] - e[0] for e in extents)
        for (a, b), (top, bottom) in zip(cells, extents, strict=True):
            if bottom - top < 0.75 * full_h and b - a >= 0.3 * cell_w:
                top = max(0, bottom - full_h)  # lower-case glyphs (r, n, o) sit on the baseline
            # Each glyph gets its own vertical extent, so a slightly tilted row still decodes.
            ch, conf = _decode_cell(band[top:max(bottom, top + full_h)], a, b, cell_w)
            chars.append(ch)
            confs.append(conf)
        text = "".join(chars)
        if "?" in text or not any(c.isalnum() for c in text):
            continue
        lines.append(OcrLine(text, float(np.mean(confs)) * 0.97))
    return lines
