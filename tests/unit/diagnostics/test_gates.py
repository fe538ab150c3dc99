"""Quality gates: blur, exposure and change."""

import cv2
import numpy as np

from diagnostics.config import DiagnosticsConfig
from diagnostics.gates import QualityGate, measure


def _textured(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((360, 640), 200, np.uint8)
    for _ in range(40):
        x, y = int(rng.integers(0, 600)), int(rng.integers(20, 340))
        cv2.putText(img, "E-204", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 20, 2)
    return img


def test_sharp_frame_passes_and_blurred_copy_is_rejected():
    cfg = DiagnosticsConfig()
    sharp = _textured()
    assert QualityGate(cfg).check(measure(sharp, cfg.gate_width), 0.0).ok
    blurred = cv2.GaussianBlur(sharp, (0, 0), 6)
    verdict = QualityGate(cfg).check(measure(blurred, cfg.gate_width), 0.0)
    assert (verdict.ok, verdict.reason) == (False, "blurry")


def test_black_and_white_frames_are_rejected():
    cfg = DiagnosticsConfig()
    gate = QualityGate(cfg)
    assert gate.check(measure(np.zeros((360, 640), np.uint8), cfg.gate_width), 0.0).reason == "dark"
    assert gate.check(measure(np.full((360, 640), 255, np.uint8), cfg.gate_width), 0.0).reason == "overexposed"


def test_unchanged_frame_is_skipped_until_recheck_time():
    cfg = DiagnosticsConfig(unchanged_recheck_s=1.0)
    gate = QualityGate(cfg)
    frame = _textured()
    q = measure(frame, cfg.gate_width)
    assert gate.check(q, 0.0).ok
    assert gate.check(q, 0.3).reason == "unchanged"
    assert gate.check(q, 1.2).ok  # a still scene is looked at again now and then
    other = measure(_textured(seed=5), cfg.gate_width)
    assert gate.check(other, 1.3).ok  # a different picture always passes


def test_forget_makes_the_next_frame_pass():
    cfg = DiagnosticsConfig()
    gate = QualityGate(cfg)
    q = measure(_textured(), cfg.gate_width)
    assert gate.check(q, 0.0).ok
    gate.forget()
    assert gate.check(q, 0.1).ok
