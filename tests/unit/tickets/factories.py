"""Builders for test data: real JPEGs and findings."""

from __future__ import annotations

import cv2
import numpy as np

from tickets.records import NewFinding


def make_jpeg(seed: int = 0) -> bytes:
    """A small real JPEG (noise, so each seed differs)."""
    image = np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return bytes(buf.tobytes())


def new_finding(code: str = "E12", *, seed: int = 0, **overrides: object) -> NewFinding:
    """A live finding as diagnostics would hand it over; keyword overrides replace fields."""
    fields: dict[str, object] = dict(
        code=code, family="printer", title="Paper jam", cause="Paper stuck in tray 2",
        remedy="Open tray 2 and remove the paper", severity="high", known=True, text=f"ERROR {code}",
        confidence=0.93, frame_time=12.5, offset_s=8.25, snapshot_jpeg=make_jpeg(seed), source="live", note="",
    )
    fields.update(overrides)
    return NewFinding(**fields)  # type: ignore[arg-type]
