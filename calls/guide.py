"""Worker-side guidance for one call: paces the scene tracker over the decoded frames and captures frozen frames.

Runs in the analysis worker process (calls/analysis_pool.py), next to the call's decoder; never on the event loop.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import cv2
import numpy as np

from guidance.tracker import MarkPose, NormPoint, SceneTracker

TRACK_RATE_HZ = 15.0  # tracker updates per second of video while marks exist (the pages need >= 10)
# While the worker is behind (newer frames wait in its inbox), it tracks only this often: the tracker is most of
# the worker's CPU, and shedding it keeps the decoder up with the video instead of dropping to the next keyframe
# (which costs every update until then).
BEHIND_TRACK_RATE_HZ = 10.5
FREEZE_MAX_SIDE = 1920  # px; a frozen frame larger than this is scaled down before it is sent to the pages
FREEZE_JPEG_QUALITY = 85


@dataclass(frozen=True, slots=True)
class TrackedPoses:
    """The tracker's answer for one frame: where each mark is, and what it cost."""

    poses: list[MarkPose]
    cpu_s: float
    t: float  # stream time of the frame (s)


@dataclass(frozen=True, slots=True)
class FrozenFrame:
    """A frame captured for a freeze (jpeg_b64 empty: it could not be had, error says why)."""

    freeze_id: str
    jpeg_b64: str
    width: int
    height: int
    error: str = ""
    source: Literal["frame", "still"] = "frame"  # the decoded video, or a full-resolution still of a scan


@dataclass
class CallGuide:
    """The guidance state of one call in its worker."""

    tracker: SceneTracker = field(default_factory=SceneTracker)
    freezes: list[str] = field(default_factory=list)
    _next_t: float = float("-inf")
    _last_t: float = float("-inf")
    _last_tracked_t: float = float("-inf")
    behind: bool = False  # set by the worker: newer frames are waiting for it

    def set_marks(self, marks: Mapping[str, Sequence[NormPoint]]) -> None:
        """The live marks to follow (the whole set)."""
        self.tracker.set_marks(marks)

    def freeze(self, freeze_id: str) -> None:
        """Capture the next decoded frame for this freeze."""
        self.freezes.append(freeze_id)

    def wants(self, t: float) -> bool:
        """Should the frame at stream time t be converted for guidance?"""
        if t < self._last_t:  # the stream restarted
            self._next_t = self._last_tracked_t = float("-inf")
        return bool(self.freezes) or (bool(self.tracker.marks) and self._due(t))

    def _due(self, t: float) -> bool:
        # a millisecond of slack: frame times are fractions (t = n/30 lands a hair before n/30 + 1/15)
        if self.behind:
            return t + 0.001 >= self._last_tracked_t + 1.0 / BEHIND_TRACK_RATE_HZ
        return t + 0.001 >= self._next_t

    def process(self, image: np.ndarray, t: float) -> tuple[TrackedPoses | None, list[FrozenFrame]]:
        """Track the marks in this frame (when due) and serve waiting freezes with it."""
        self._last_t = t
        tracked = None
        if self.tracker.marks and self._due(t):
            self._next_t = t + 1.0 / TRACK_RATE_HZ
            self._last_tracked_t = t
            started = time.thread_time()
            poses = self.tracker.update(image)
            tracked = TrackedPoses(poses, time.thread_time() - started, t)
        frozen = [encode_freeze(fid, image) for fid in self.freezes]
        self.freezes.clear()
        return tracked, frozen


def encode_freeze(freeze_id: str, image: np.ndarray) -> FrozenFrame:
    """A frame as the base64 JPEG the pages show (scaled down to FREEZE_MAX_SIDE)."""
    h, w = image.shape[:2]
    if max(h, w) > FREEZE_MAX_SIDE:
        scale = FREEZE_MAX_SIDE / max(h, w)
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, FREEZE_JPEG_QUALITY])
    if not ok:
        return FrozenFrame(freeze_id, "", 0, 0, "the frame could not be encoded")
    return FrozenFrame(freeze_id, base64.b64encode(data.tobytes()).decode("ascii"), w, h)


def encode_still(freeze_id: str, data: bytes) -> FrozenFrame:
    """A full-resolution still (a JPEG/PNG upload) as a frozen frame (decoded, oriented and re-encoded)."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return FrozenFrame(freeze_id, "", 0, 0, "the photo could not be decoded", "still")
    return replace(encode_freeze(freeze_id, image), source="still")
