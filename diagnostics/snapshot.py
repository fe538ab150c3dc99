"""JPEG snapshots of the frames findings were read in."""

from __future__ import annotations

import cv2
import numpy as np

from diagnostics.errors import FrameError


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    """Encode a BGR (or grey) uint8 image as JPEG bytes."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise FrameError("JPEG encoding failed")
    return buf.tobytes()
