"""Validation and conversion of incoming frames."""

from __future__ import annotations

import cv2
import numpy as np

from diagnostics.errors import FrameError

MIN_SIDE = 32
MAX_SIDE = 8192


def validate_frame(image: object) -> np.ndarray:
    """Return image as a contiguous HxWx3 uint8 BGR array, or raise FrameError saying what is wrong."""
    if not isinstance(image, np.ndarray):
        raise FrameError(f"frame must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise FrameError(f"frame dtype must be uint8, got {image.dtype}")
    if image.size == 0:
        raise FrameError(f"frame is empty (shape {image.shape})")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    elif image.ndim != 3 or image.shape[2] != 3:
        raise FrameError(f"frame must be HxWx3 BGR, got shape {image.shape}")
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIDE or max(h, w) > MAX_SIDE:
        raise FrameError(f"frame size {w}x{h} outside {MIN_SIDE}..{MAX_SIDE} pixels")
    return np.ascontiguousarray(image)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grey version of a validated BGR frame."""
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
