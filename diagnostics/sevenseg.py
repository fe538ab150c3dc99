"""Reading seven- and fourteen-segment displays (appliance panels), which Tesseract does not read.

Glyphs are decoded from which segment positions are lit (geometry), not matched against a list of codes."""

from __future__ import annotations

import re
from collections.abc import Callable

import cv2
import numpy as np

from diagnostics.ocr import OcrLine, OcrWord

# Segment names: a top, b upper right, c lower right, d bottom, e lower left, f upper left, g1/g2 the middle bar's
# left/right halves; fourteen-segment panels add h upper-left diagonal, i upper centre bar, j upper-right
# diagonal, k lower-left diagonal, l lower centre bar, m lower-right diagonal. A seven-segment middle bar lights
# both halves.
_SEVEN: dict[str, str] = {
    "abcdef": "0", "bc": "1", "abdeg": "2", "abcdg": "3", "bcfg": "4", "acdfg": "5", "acdefg": "6",
    "abc": "7", "abcf": "7", "abcdefg": "8", "abcdfg": "9", "abcefg": "A", "cdefg": "b", "adef": "C", "bcdeg": "d",
    "adefg": "E", "aefg": "F", "bcefg": "H", "def": "L", "abefg": "P", "bcdef": "U", "eg": "r", "g": "-",
    "ceg": "n", "cdeg": "o", "abcdf": "3", "abfg": "9", "deg": "c", "cefg": "h", "cde": "u", "bcde": "J",
    "defg": "t", "bcdfg": "y", "abcfg": "q", "acdef": "G",
}
# Letters that need the fourteen segments' diagonals and centre bars (or one half of the middle bar).
_FOURTEEN: dict[str, str] = {
    "abcdefjk": "0", "bcj": "1", "abcdg2": "3", "ag1jk": "7", "adhg2c": "S", "abcdg2il": "B", "abcdil": "D",
    "acdefg2": "G", "adil": "I", "efg1jm": "K", "bcefhj": "M", "bcefhm": "N", "abcdefm": "Q", "abefg1g2m": "R",
    "ail": "T", "efjk": "V", "bcefkm": "W", "hjkm": "X", "hjl": "Y", "adjk": "Z", "g1g2il": "+", "jk": "/",
    "adefg1": "E", "aefg1": "F", "abefg1": "P", "abdeg1g2": "2", "acdfg1g2": "5", "bcfg1g2": "4",
    # Panels whose diagonals run steeply into the corners (as DSEG14 draws them) light the neighbouring windows.
    "abcdg2hikl": "B", "abcdhikl": "D", "bcefg1": "K", "bcefhjl": "M", "acdfg1g2hm": "S", "befk": "V", "befkl": "V",
    "bcefikm": "W", "chjkm": "X", "cehjkm": "X", "cehjk": "X", "chjk": "X", "ailm": "T", "aijlm": "T", "hjlm": "Y",
    "abdejk": "Z", "adejk": "Z",
}


def _key(segments: str) -> frozenset[str]:
    return frozenset(re.findall(r"g[12]|[a-m]", segments))


SEGMENTS_TO_CHAR: dict[frozenset[str], str] = {
    **{_key(k.replace("g", "g1g2")): v for k, v in _SEVEN.items()}, **{_key(k): v for k, v in _FOURTEEN.items()},
}

_INNER = frozenset("hijklm")  # only fourteen-segment glyphs light these

# Sample windows per segment: centre (x, y) and half-size (w, h), as shares of the digit cell.
_WINDOWS = {
    "a": (0.5, 0.07, 0.2, 0.07), "d": (0.5, 0.93, 0.2, 0.07),
    "g1": (0.27, 0.5, 0.1, 0.07), "g2": (0.73, 0.5, 0.1, 0.07),
    "f": (0.12, 0.28, 0.1, 0.12), "b": (0.88, 0.28, 0.1, 0.12),
    "e": (0.12, 0.72, 0.1, 0.12), "c": (0.88, 0.72, 0.1, 0.12),
    "i": (0.5, 0.28, 0.05, 0.09), "l": (0.5, 0.72, 0.05, 0.09),
    "h": (0.35, 0.31, 0.04, 0.05), "j": (0.65, 0.31, 0.04, 0.05),
    "k": (0.35, 0.69, 0.04, 0.05), "m": (0.65, 0.69, 0.04, 0.05),
}
LIT, DARK = 0.3, 0.1
_PIECE_GAP = 0.2  # widest gap inside one glyph, as a share of the row height
_GLYPH_WIDTH = 0.72  # widest segment glyph, as a share of the row height
_SLANT_WIDTH = 360  # width of the copy the slant is measured on  # window fill above which a segment is on, below which it is clearly off


def _deslant(bw: np.ndarray) -> np.ndarray:
    """Undo the italic slant of segment displays: the shear whose column profile is sharpest.

    Upright bars pile up in few columns; candidates are a fixed range and the slope of the bar-shaped components'
    principal axes (segments of small glyphs touch, so their axes alone mislead)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bw)
    slopes = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if h >= 1.5 * w and area >= 12:
            mom = cv2.moments((labels[y:y + h, x:x + w] == i).astype(np.uint8), binaryImage=True)
            if mom["mu02"] > 0:
                slopes.append(mom["mu11"] / mom["mu02"])  # dx/dy of the bar's axis
    candidates = [round(float(v), 2) for v in np.arange(-0.35, 0.351, 0.05)]
    if slopes:
        candidates.append(float(np.clip(np.median(slopes), -0.4, 0.4)))
    if not bw.any():
        return bw
    # The shear is scale-free (dx/dy): judged on a small copy, applied to the full image.
    f = min(1.0, _SLANT_WIDTH / bw.shape[1])
    small = cv2.resize(bw, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else bw

    def sharpness(sh: float) -> float:
        cols = _shear(small, sh).sum(axis=0, dtype=np.float64) / 255.0
        return float(np.dot(cols, cols))

    best = max(candidates, key=lambda sh: (sharpness(sh), -abs(sh)))
    for step in (0.025, 0.0125):  # refine around the best coarse shear
        best = max((best - step, best, best + step), key=lambda sh: (sharpness(sh), -abs(sh)))
    return _shear(bw, best)


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
    runs = [(int(a), int(b)) for a, b in edges.reshape(-1, 2)]
    # Fourteen-segment diagonals (M, X, K, W) touch nothing: their pieces leave empty columns inside one glyph.
    # Pieces close together that still make a glyph no wider than a segment glyph is are one glyph.
    out: list[tuple[int, int]] = []
    for a, b in runs:
        if out and a - out[-1][1] <= _PIECE_GAP * h and b - out[-1][0] <= _GLYPH_WIDTH * h:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _full_glyphs(band: np.ndarray) -> bool:
    """A band whose glyphs are all clearly taller than wide: whole digits, not the upper or lower half of a row."""
    cells = _cells(band)
    return len(cells) >= 2 and max(b - a for a, b in cells) < 0.8 * band.shape[0]


def _widest_cell(band: np.ndarray) -> int:
    return max((b - a for a, b in _cells(band)), default=0)


def _decode_cell(band: np.ndarray, x0: int, x1: int, cell_w: int) -> tuple[str, float]:
    h = band.shape[0]
    # Narrow: a "1" (dots and colons are taken out before); a slanted one stays a little wider once deslanted.
    if x1 - x0 < 0.45 * cell_w and (x1 - x0) < 0.3 * h:
        rows = np.flatnonzero(band[:, x0:x1].any(axis=1))
        span = (rows[-1] - rows[0] + 1) / h if rows.size else 0.0
        return ("1", 1.0) if span > 0.6 else ("?", 0.0)
    if x1 - x0 >= 0.85 * cell_w:  # a full-width glyph: sample within its own box
        return _sample(band, x0, x1 - x0)
    # Narrower than a glyph cell: lit on its right only (7, J, 1 with a flag), in its middle (X, T) or on its
    # left (K, F, L): the placement that decodes, right first.
    tries = [_sample(band, left, cell_w) for left in (x1 - cell_w, (x0 + x1 - cell_w) // 2, x0)]
    return max(tries, key=lambda r: r[0] != "?")


def _sample(band: np.ndarray, left: int, cell_w: int) -> tuple[str, float]:
    """The glyph in the cell [left, left + cell_w) of the band, from which segment windows are lit."""
    h = band.shape[0]
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
    conf = decisive / len(_WINDOWS)
    char = SEGMENTS_TO_CHAR.get(frozenset(lit), "?")
    outer = frozenset(lit - _INNER)
    if char == "?" and (("g1" in outer) == ("g2" in outer)) and outer in SEGMENTS_TO_CHAR:
        # Blur spreads a seven-segment glyph's thick bars into the inner (diagonal, centre) windows.
        return SEGMENTS_TO_CHAR[outer], 0.8 * conf
    return char, conf


def _is_dot(w: int, h: int, band_h: int) -> bool:
    """A dot or a colon's dot: small and about as wide as tall (segments are bars)."""
    return 2 <= h <= 0.22 * band_h and 2 <= w <= 0.22 * band_h and max(w, h) <= 1.7 * min(w, h)


def _take_marks(band: np.ndarray) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """The band without its dots and colons, and where they were (x centre, "." or ":").

    A dot at the foot of a row, or two dots stacked between glyphs: separators of codes such as E.83 or E:28,
    which would otherwise widen a glyph's cell or read as a "1"."""
    bh = band.shape[0]
    if bh < 20:
        return band, []  # too small to tell a dot from a blurred segment
    n, labels, stats, cents = cv2.connectedComponentsWithStats(band)
    dots = [i for i in range(1, n) if _is_dot(int(stats[i][2]), int(stats[i][3]), bh)]
    marks: list[tuple[float, str]] = []
    used: set[int] = set()
    for i in dots:
        for j in dots:
            if i < j and j not in used and i not in used and abs(cents[i][0] - cents[j][0]) < 0.1 * bh:
                up, low = sorted((cents[i][1], cents[j][1]))
                if 0.12 * bh < up < 0.5 * bh < low < 0.88 * bh:
                    marks.append((float(cents[i][0] + cents[j][0]) / 2, ":"))
                    used |= {i, j}
    for i in dots:
        if i not in used and cents[i][1] > 0.78 * bh:
            marks.append((float(cents[i][0]), "."))
            used.add(i)
    if not used:
        return band, []
    out = band.copy()
    out[np.isin(labels, list(used))] = 0
    return out, sorted(marks)


def _drop_small_print(stats: np.ndarray, keep: np.ndarray) -> None:
    """Unkeep components far smaller than the tallest segment part (labels printed by the display), in place.

    Blurred segments join into whole glyphs; printed text a few pixels under a slightly rotated panel would
    then join the glyphs' row."""
    tallest = max((int(stats[i][3]) for i in range(1, len(stats)) if keep[i]), default=0)
    for i in range(1, len(stats)):
        w, h = int(stats[i][2]), int(stats[i][3])
        dot = max(w, h) <= 1.7 * min(w, h) and h >= 0.06 * tallest
        if keep[i] and max(w, h) < 0.18 * tallest and not dot:
            keep[i] = False


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
        # Solid round dots (of "E.83", "E:28") are kept too: _take_marks tells them from glyphs.
        keep[i] = area >= 12 and h < 0.9 * hmax and (max(w, h) >= 1.5 * min(w, h) or w * h <= 400
                                                     or area <= 0.7 * w * h
                                                     or (h <= 0.1 * hmax and max(w, h) <= 1.7 * min(w, h)))
    _drop_small_print(stats, keep)
    bw = np.where(keep[labels], 255, 0).astype(np.uint8)
    if not np.any(bw):
        return []
    bw = _deslant(bw)
    lines: list[OcrLine] = []
    for y0, y1 in _bands(bw):
        band, marks = _take_marks(bw[y0:y1])
        h = y1 - y0
        cells = _cells(band)
        if not cells:
            continue
        cell_w = max(b - a for a, b in cells)
        if cell_w < 0.3 * h or cell_w > 1.0 * h:  # not digit-shaped
            continue
        # A cell whose columns are empty in this band (set by a deslanted neighbour row) holds no glyph here.
        cells = [(a, b) for a, b in cells if band[:, a:b].any()]
        if not cells:
            continue
        extents = []
        for a, b in cells:
            rows = np.flatnonzero(band[:, a:b].any(axis=1))
            extents.append((int(rows[0]), int(rows[-1]) + 1))
        full_h = max(e[1] - e[0] for e in extents)
        tall = [e for e in extents if e[1] - e[0] >= 0.75 * full_h]
        row_top = int(np.median([e[0] for e in tall]))
        row_bottom = int(np.median([e[1] for e in tall]))
        glyphs: list[tuple[float, str, float]] = [(x, ch, 0.9) for x, ch in marks]
        usual_w = int(np.median([b - a for a, b in cells if b - a >= 0.6 * cell_w]))
        for (a, b), (top, bottom) in zip(cells, extents, strict=True):
            if bottom - top < 0.75 * full_h and b - a >= 0.3 * cell_w:
                # Lower-case glyphs (r, n, o) and a dash: the row's own height, not the glyph's.
                top, bottom = row_top, max(row_bottom, row_top + 1)
            # Each glyph gets its own vertical extent, so a slightly tilted row still decodes.
            glyph = band[top:max(bottom, top + full_h)]
            ch, conf = _decode_cell(glyph, a, b, usual_w)
            if ch == "?" and b - a > 1.15 * usual_w:
                # Wider than its neighbours: a blurred unlit segment or the frame edge joined it; try the usual
                # width at either side.
                ch, conf = max((_sample(glyph, a, usual_w), _sample(glyph, b - usual_w, usual_w)),
                               key=lambda r: (r[0] != "?", r[1]))
            glyphs.append(((a + b) / 2, ch, conf))
        glyphs.sort()
        text = "".join(ch for _, ch, _ in glyphs).strip(".:")
        if "?" in text or not any(c.isalnum() for c in text):
            continue
        conf = float(np.mean([c for _, _, c in glyphs])) * 0.97
        box = (int(cells[0][0]), int(y0 + row_top), int(cells[-1][1] - cells[0][0]), int(row_bottom - row_top))
        lines.append(OcrLine(text, conf, (OcrWord(text, conf, box, "segments"),)))  # box in the deslanted image
    return lines
