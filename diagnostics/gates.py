"""Cheap checks that decide whether a frame is worth reading: sharpness, exposure, change."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from diagnostics.config import DiagnosticsConfig

THUMB_SIZE = (64, 36)


@dataclass(frozen=True, slots=True)
class FrameQuality:
    """Measurements of one frame, taken on a small grey copy."""

    sharpness: float  # variance of the Laplacian
    brightness: float  # mean grey level 0..255
    clipped_share: float  # share of pixels at >= 250
    thumb: np.ndarray  # 64x36 float32 thumbnail for change detection


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """Whether to analyse, and why not if not."""

    ok: bool
    reason: str  # "ok" | "blurry" | "dark" | "overexposed" | "unchanged"


def measure(gray: np.ndarray, gate_width: int) -> FrameQuality:
    """Measure sharpness, exposure and a change thumbnail on a copy scaled to gate_width."""
    h, w = gray.shape[:2]
    scale = min(1.0, gate_width / w)
    small = cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    lap = cv2.Laplacian(small, cv2.CV_32F)
    sharpness = float(lap.var())
    brightness = float(small.mean())
    clipped = float(np.count_nonzero(small >= 250)) / small.size
    thumb = cv2.resize(small, THUMB_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
    return FrameQuality(sharpness, brightness, clipped, thumb)


class QualityGate:
    """Stateful gate: rejects blurry, badly exposed and unchanged frames."""

    def __init__(self, config: DiagnosticsConfig) -> None:
        self._config = config
        self._last_thumb: np.ndarray | None = None
        self._last_time = float("-inf")

    def check(self, quality: FrameQuality, t: float, *, settled: bool = False) -> GateVerdict:
        """Verdict for a frame measured at stream time t; a passing frame becomes the change reference.

        settled: the scene's codes are all reported, so only a clear change (or the longer settled recheck
        time) is worth another read; hand shake on a screen already read is not."""
        c = self._config
        min_change = c.settled_change if settled else c.min_change
        recheck_s = c.settled_recheck_s if settled else c.unchanged_recheck_s
        if quality.brightness < c.min_brightness:
            return GateVerdict(False, "dark")
        if quality.brightness > c.max_brightness or quality.clipped_share > c.max_clipped_share:
            return GateVerdict(False, "overexposed")
        if quality.sharpness < c.min_sharpness:
            return GateVerdict(False, "blurry")
        if self._last_thumb is not None and t - self._last_time < recheck_s:
            change = float(np.abs(quality.thumb - self._last_thumb).mean())
            if change < min_change:
                return GateVerdict(False, "unchanged")
        self._last_thumb = quality.thumb
        self._last_time = t
        return GateVerdict(True, "ok")

    def forget(self) -> None:
        """Drop the change reference so the next good frame is analysed."""
        self._last_thumb = None
        self._last_time = float("-inf")
