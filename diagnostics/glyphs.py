"""Zeros by their holes: slashed, barred and dotted zeros that OCR reads as 8, 9 or 6."""

from __future__ import annotations

import cv2
import numpy as np

MISREAD_ZERO = frozenset("689")
_MIN_HOLE_AREA = 3  # pixels; smaller holes are binarisation noise


def _holes(glyph: np.ndarray) -> list[tuple[float, float, float, float, float]]:
    """Holes of one glyph mask (ink = 255): (top, bottom, centre x, width, solidity), relative to the glyph box."""
    h, w = glyph.shape
    # Padded: a stroke on the edge of the mask must still close its hole.
    contours, hierarchy = cv2.findContours(cv2.copyMakeBorder(glyph, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0),
                                           cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE, offset=(-1, -1))
    if hierarchy is None:
        return []
    out = []
    for cnt, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        area = cv2.contourArea(cnt)
        if parent < 0 or area < _MIN_HOLE_AREA:
            continue
        x, y, hw, hh = cv2.boundingRect(cnt)
        hull = cv2.contourArea(cv2.convexHull(cnt))
        out.append((y / h, (y + hh) / h, (x + hw / 2) / w, hw / w, area / hull if hull else 0.0))
    return out


def looks_like_zero(glyph: np.ndarray) -> bool:
    """True when a glyph mask's holes say 0 (plain, slashed, barred or dotted), not 6, 8 or 9."""
    holes = _holes(glyph)
    if len(holes) == 1:
        top, bottom, _, width, solidity = holes[0]
        centred = abs((top + bottom) / 2 - 0.5) <= 0.08  # a 9's loop sits high, a 6's low
        # One tall, round, centred hole (a dot inside is ink, not a hole); a 6 or 9 has its loop low or high,
        # and an 8 whose waist blurred open leaves a pinched hole.
        return bottom - top >= 0.7 and centred and width >= 0.3 and solidity >= 0.8
    if len(holes) == 2:
        upper, lower = sorted(holes)
        if upper[1] > 0.6 or lower[0] < 0.4:
            return False  # not one above the other
        # A slash through a zero leaves two holes on a diagonal; an 8's two loops sit one above the other.
        if abs(upper[2] - lower[2]) >= 0.18:
            return True
        # A barred or dotted zero (θ) is an oval, widest between its holes; an 8 is pinched at its waist.
        waist = _width(glyph, upper[1], lower[0])
        loops = max(_width(glyph, upper[0], upper[1]), _width(glyph, lower[0], lower[1]))
        return waist >= 0.97 * loops
    return False


def _width(glyph: np.ndarray, top: float, bottom: float) -> int:
    """Widest ink extent of the glyph's rows between two heights (shares of the glyph height)."""
    h = glyph.shape[0]
    rows = glyph[int(top * h): max(int(top * h) + 1, int(round(bottom * h)))]
    widths = [int(cols[-1] - cols[0] + 1) for cols in (np.flatnonzero(r) for r in rows) if cols.size]
    return max(widths, default=0)


def _tall(ch: str) -> bool:
    return ch.isdigit() or ch.isupper()


def restore_zeros(crop: np.ndarray, text: str) -> str:
    """text with the 6, 8 and 9 whose glyphs in crop (grey, dark text on light) are zeros made 0.

    Only towards 0: that is the misread seen (E-000 read E-668, SC990-01 read SC998-81), and a blurred 0
    can look pinched like an 8, so a 0 is never changed.

    The glyphs are the crop's tall ink components from left to right; they must match the text's digits and
    capitals one to one (punctuation and lower-case letters are shorter), or nothing is changed."""
    if not any(ch in MISREAD_ZERO for ch in text) or crop.size == 0:
        return text
    _, bw = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bw)
    if n <= 1:
        return text
    tallest = int(stats[1:, cv2.CC_STAT_HEIGHT].max())
    comps = sorted((int(stats[i, cv2.CC_STAT_LEFT]), i) for i in range(1, n)
                   if stats[i, cv2.CC_STAT_HEIGHT] >= 0.6 * tallest and stats[i, cv2.CC_STAT_AREA] >= 8)
    slots = [i for i, ch in enumerate(text) if _tall(ch)]
    if len(comps) != len(slots) or tallest < 10:
        return text
    out = list(text)
    for (_, label), pos in zip(comps, slots, strict=True):
        if out[pos] not in MISREAD_ZERO:
            continue
        x, y, w, h = (int(v) for v in stats[label, :4])
        if looks_like_zero(((labels[y:y + h, x:x + w] == label) * 255).astype(np.uint8)):
            out[pos] = "0"
    return "".join(out)
