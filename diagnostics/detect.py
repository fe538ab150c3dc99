"""Text lines found by a learned detector: RapidOCR's PP-OCRv4 DBNet (onnxruntime, model shipped in the wheel).

The morphological finder (lines.py) costs milliseconds but loses lines on screens it was not shaped for (dot-matrix
grids, segment ghosts, light text on dark, e-ink grain); the detector finds nearly every line of any screen, but at
RapidOCR's default scale (short side 736 px) it costs ~0.7 s per 720p frame on one core. Run on a reduced copy
(longer side MAX_SIDE px) it costs a fraction of that, and the analyzer calls it only on still views whose cheap
passes found no code, once per view (follow.py keeps its boxes while the view only shifts).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

from diagnostics.errors import OcrUnavailableError
from diagnostics.rapid import bundled_model

MODEL = "ch_PP-OCRv4_det_infer.onnx"
MAX_SIDE = 640  # the detector's input, longer side (a multiple of 32); 720p frames' text stays >= ~8 px tall
MIN_BOX_PX = 6  # shorter boxes (in the input's pixels) are specks
MAX_BOXES = 40  # more candidates than this on one view are texture, not a screen's lines


@dataclass(frozen=True, slots=True)
class DetectedLine:
    """One detected text line: its box (x, y, w, h) in the image handed to detect(), and the detector's score."""

    x: int
    y: int
    w: int
    h: int
    score: float
    # The line's own corners (TL, TR, BR, BL; 4 x 2 float32) in the same pixels: a line turned with the screen (a phone
    # held at an angle, a slip on a counter) is cut along them, upright, rather than by its upright bounding box.
    quad: np.ndarray | None = field(default=None, compare=False)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x, y, w, h)."""
        return self.x, self.y, self.w, self.h


def upright_crop(image: np.ndarray, quad: np.ndarray, pad: float = 0.15) -> np.ndarray:
    """The line inside quad (TL, TR, BR, BL in image pixels) warped upright, with pad of its height around it.

    A turned line cut by its upright bounding box brings slices of the lines above and below and reads as a slope:
    the recogniser (trained on upright lines) drops or confuses glyphs ("S96" for ": SP964" turned 4 degrees)."""
    q = quad.astype(np.float32)
    width = float(max(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[2] - q[3])))
    height = float(max(np.linalg.norm(q[3] - q[0]), np.linalg.norm(q[2] - q[1])))
    p = pad * height
    w, h = max(2, round(width + 2 * p)), max(2, round(height + 2 * p))
    target = np.array([[p, p], [p + width, p], [p + width, p + height], [p, p + height]], np.float32)
    m = cv2.getPerspectiveTransform(q, target)
    out: np.ndarray = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return out


class LineDetector:
    """DBNet text-line detection on a reduced copy of a grey or BGR image. Not thread-safe (one per worker)."""

    name = "dbnet"

    def __init__(self, max_side: int = MAX_SIDE) -> None:
        try:
            from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess
        except ImportError as exc:
            raise OcrUnavailableError(f"rapidocr-onnxruntime cannot be imported: {exc}") from exc
        self._session = bundled_model(MODEL)
        self._input = self._session.get_inputs()[0].name
        self._max_side = max(64, max_side // 32 * 32)
        # RapidOCR's own post-processing settings (thresholds on the probability map, box growth).
        self._post = DBPostProcess(thresh=0.3, box_thresh=0.5, max_candidates=200, unclip_ratio=1.6,
                                   score_mode="fast", use_dilation=True)

    @property
    def max_side(self) -> int:
        """The longer side of the detector's input, in pixels."""
        return self._max_side

    def detect(self, image: np.ndarray) -> list[DetectedLine]:
        """Upright boxes of the image's text lines, top to bottom (empty when the image is too small or busy)."""
        h, w = image.shape[:2]
        if h < 16 or w < 16:
            return []
        ratio = min(1.0, self._max_side / max(h, w))
        rh, rw = max(32, round(h * ratio / 32) * 32), max(32, round(w * ratio / 32) * 32)
        small = cv2.resize(image, (rw, rh), interpolation=cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR)
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        blob = (small.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        pred = self._session.run(None, {self._input: blob})[0]
        quads, scores = self._post(pred, (h, w))
        min_px = MIN_BOX_PX / ratio
        out = []
        for quad, score in zip(quads, scores, strict=True):
            x0, y0 = (int(v) for v in quad.min(axis=0))
            x1, y1 = (int(v) for v in quad.max(axis=0))
            if y1 - y0 < min_px or x1 - x0 < min_px:
                continue
            out.append(DetectedLine(x0, y0, x1 - x0, y1 - y0, float(score), _ordered(quad)))
        if len(out) > MAX_BOXES:
            out = sorted(out, key=lambda d: -d.score)[:MAX_BOXES]
        return sorted(out, key=lambda d: (d.y, d.x))


def _ordered(quad: np.ndarray) -> np.ndarray:
    """A box's four corners as TL, TR, BR, BL (float32)."""
    pts = np.asarray(quad, np.float32).reshape(4, 2)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


_per_thread = threading.local()


def thread_line_detector() -> LineDetector:
    """The calling thread's detector, loaded on first use (onnxruntime sessions are kept per worker thread)."""
    detector: LineDetector | None = getattr(_per_thread, "detector", None)
    if detector is None:
        detector = _per_thread.detector = LineDetector()
    return detector
