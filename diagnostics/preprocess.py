"""Turning a rectified screen into an OCR-ready grey image: polarity, glare flattening, scale."""

from __future__ import annotations

import cv2
import numpy as np


def is_light_on_dark(gray: np.ndarray) -> bool:
    """True when text is lighter than its background (LCDs, dark mode, blue screens).

    The background is a local median (text covers less than half of any large window, and glare
    gradients are followed); text is what departs strongly from it, above or below. Moire stripes
    depart both ways about equally and cancel out.
    """
    h, w = gray.shape[:2]
    scale = min(1.0, 240 / w)
    small = cv2.resize(gray, (max(8, int(w * scale)), max(8, int(h * scale))), interpolation=cv2.INTER_AREA)
    k = max(15, (min(small.shape[:2]) // 3) | 1)
    bg = cv2.resize(cv2.medianBlur(small, min(k, 255)), (w, h), interpolation=cv2.INTER_LINEAR)
    # Compared at full resolution: thin strokes of small text would vanish in the small copy.
    diff = cv2.GaussianBlur(gray, (3, 3), 0).astype(np.int16) - bg.astype(np.int16)
    # Away from the edges, where a bezel left in the crop would make the lit screen look like text.
    my, mx = h // 8, w // 12
    diff = diff[my: h - my, mx: w - mx] if h > 4 * my and w > 4 * mx else diff
    light = float(diff[diff > 30].sum())
    dark = float(-diff[diff < -30].sum())
    return light > dark


def flatten(gray: np.ndarray) -> np.ndarray:
    """Dark text on light ground with glare and vignetting divided out (background estimate by closing)."""
    h, w = gray.shape[:2]
    k = max(15, (min(h, w) // 6) | 1)  # wider than the thickest strokes (seven-segment bars)
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    # Closing removes dark strokes and leaves the lit background, at quarter size for speed.
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k // 4 | 1, k // 4 | 1)))
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    out = cv2.divide(gray, np.maximum(bg, 1), scale=255)
    return cv2.normalize(out, np.empty_like(out), 0, 255, cv2.NORM_MINMAX)


def text_height(gray_dark_on_light: np.ndarray) -> float:
    """Median height in pixels of character-like connected components (0 if none)."""
    _, bw = cv2.threshold(gray_dark_on_light, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, _, stats, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
    if n <= 1:
        return 0.0
    hs = stats[1:, cv2.CC_STAT_HEIGHT]
    ws = stats[1:, cv2.CC_STAT_WIDTH]
    h_img = gray_dark_on_light.shape[0]
    areas = stats[1:, cv2.CC_STAT_AREA]
    # Glyph-like: a few pixels tall at least, not a frame edge, not a long rule, reasonably filled.
    ok = (hs >= 6) & (hs < 0.5 * h_img) & (ws < 4 * hs) & (areas >= 0.1 * hs * ws)
    return float(np.median(hs[ok])) if np.any(ok) else 0.0


def scale_for_ocr(gray: np.ndarray, target_px: int, max_width: int) -> np.ndarray:
    """Resize so characters are about target_px tall, within max_width (upscaling small text)."""
    th = text_height(gray)
    h, w = gray.shape[:2]
    factor = target_px / th if th > 0 else 1.0
    factor = min(factor, 3.0, max_width / w)
    if 0.8 < factor < 1.6:  # mild upscaling costs time (pixels) and buys no accuracy
        return gray
    interp = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
    return cv2.resize(gray, (max(8, int(w * factor)), max(8, int(h * factor))), interpolation=interp)


def prepare(rectified_bgr: np.ndarray, target_px: int, max_width: int) -> np.ndarray:
    """Main OCR input: grey, dark text on light, glare flattened, scaled."""
    gray = cv2.cvtColor(rectified_bgr, cv2.COLOR_BGR2GRAY) if rectified_bgr.ndim == 3 else rectified_bgr
    if is_light_on_dark(gray):
        gray = 255 - gray
    return scale_for_ocr(flatten(gray), target_px, max_width)


def prepare_like(rectified_gray: np.ndarray, inverted: bool, shape: tuple[int, int]) -> np.ndarray:
    """OCR input of a region already prepared once: same polarity, scaled to the same size (no measuring)."""
    gray = 255 - rectified_gray if inverted else rectified_gray
    flat = flatten(gray)
    h, w = shape
    if flat.shape[:2] == (h, w):
        return flat
    interp = cv2.INTER_CUBIC if w > flat.shape[1] else cv2.INTER_AREA
    return cv2.resize(flat, (w, h), interpolation=interp)
