"""YUV4MPEG2 (C420) writer: the file format Chromium's fake camera reads (--use-file-for-fake-video-capture)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from testkit.synth.clips import clip_for
from testkit.synth.screens import ScreenStyle

__all__ = ["clip_for", "write_y4m", "write_error_clip_y4m"]


def write_y4m(path: str | Path, frames: Iterable[np.ndarray], fps: int = 30) -> int:
    """Write BGR uint8 frames (all the same even size) as a C420 .y4m file; returns the frame count."""
    count = 0
    with open(path, "wb") as out:
        size: tuple[int, int] | None = None
        for frame in frames:
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(f"frames must be HxWx3 uint8 BGR, got {frame.dtype} {frame.shape}")
            h, w = frame.shape[:2]
            if size is None:
                if w % 2 or h % 2:
                    raise ValueError(f"4:2:0 needs even width and height, got {w}x{h}")
                size = (w, h)
                out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
            elif size != (w, h):
                raise ValueError(f"frame {count} is {w}x{h}, expected {size[0]}x{size[1]}")
            # OpenCV's I420 conversion gives Y plane then U then V, exactly the C420 layout.
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
            count += 1
    if count == 0:
        raise ValueError("no frames to write")
    return count


def write_error_clip_y4m(path: str | Path, code: str, text: str, style: ScreenStyle, seconds: float = 4.0,
                         fps: int = 30, size: tuple[int, int] = (1280, 720), seed: int = 0,
                         lead_in_s: float = 1.0) -> int:
    """A fake-camera file: lead_in_s of a neutral desk scene, then the error screen with hand shake."""
    return write_y4m(path, clip_for(code, text, style, seconds, fps, size, seed, lead_in_s), fps)
