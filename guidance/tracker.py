"""Keeps a technician's marks on the thing they were drawn on while the customer's phone moves.

Each mark is anchored to the frame current when it arrives: ORB features in a region around it are kept as its
reference. Every later frame's features are matched against each mark's reference (ratio test), and a RANSAC
homography maps the mark's drawn points to where they are now. Matching against the fixed reference (never
frame to frame) means no drift and a mark that left the view is found again when its region comes back.

Pure computation on numpy images: no I/O, no threads; the caller decides which frames to feed (the analysis
worker, off the event loop).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

NormPoint = tuple[float, float]
IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """How the tracker works; the defaults keep one update near 15 ms CPU (one thread) with two marks."""

    work_width: int = 480  # frames are downscaled to this width (features are found at this scale)
    features: int = 800  # ORB keypoints per frame
    anchor_features: int = 300  # the strongest ones of a mark's region are its reference
    min_region: float = 0.35  # the anchor region is at least this fraction of the frame on each side
    margin: float = 0.12  # around the mark's own bounding box
    ratio: float = 0.8  # Lowe's ratio test
    min_inliers: int = 12  # fewer RANSAC inliers than this: the region is not in view
    ransac_px: float = 4.0  # reprojection threshold at the working scale
    max_scale_change: float = 6.0  # a homography zooming more than this against the anchor is a false match


@dataclass(frozen=True, slots=True)
class MarkPose:
    """Where a mark is now: h (row-major 3x3, normalised coordinates) maps its drawn points into the current
    frame; visible False when its region is out of view (h is then the last good one)."""

    id: str
    h: tuple[float, ...]
    visible: bool
    inliers: int = 0


@dataclass
class _Anchor:
    points: np.ndarray  # the mark's drawn points, normalised, shape (n, 2)
    keypoints: np.ndarray | None = None  # reference keypoints, normalised, shape (k, 2)
    descriptors: np.ndarray | None = None
    last_h: tuple[float, ...] = IDENTITY


@dataclass
class SceneTracker:
    """Follows the marks of one call through its frames."""

    config: TrackerConfig = field(default_factory=TrackerConfig)
    _anchors: dict[str, _Anchor] = field(default_factory=dict)
    _orb: cv2.ORB | None = None
    _matcher: cv2.BFMatcher | None = None

    def __post_init__(self) -> None:
        self._orb = cv2.ORB.create(nfeatures=self.config.features, fastThreshold=12)
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING)

    @property
    def marks(self) -> list[str]:
        """Ids of the marks being followed."""
        return list(self._anchors)

    def set_marks(self, marks: Mapping[str, Sequence[NormPoint]]) -> None:
        """The marks to follow from now on: new ones are anchored on the next frame, missing ones dropped."""
        for mark_id in [i for i in self._anchors if i not in marks]:
            del self._anchors[mark_id]
        for mark_id, points in marks.items():
            if mark_id not in self._anchors:
                self._anchors[mark_id] = _Anchor(np.asarray(points, dtype=np.float32).reshape(-1, 2))

    def update(self, frame: np.ndarray) -> list[MarkPose]:
        """Where every mark is in this frame (BGR or grey image); anchors new marks on it."""
        if not self._anchors:
            return []
        keypoints, responses, descriptors = self._features(frame)
        poses = []
        for mark_id, anchor in self._anchors.items():
            if anchor.descriptors is None:
                self._anchor(anchor, keypoints, responses, descriptors)
                # Not anchored yet (a blank view): the mark stays where it was drawn until texture shows up.
                poses.append(MarkPose(mark_id, IDENTITY, True,
                                      0 if anchor.keypoints is None else len(anchor.keypoints)))
                continue
            poses.append(self._locate(mark_id, anchor, keypoints, descriptors))
        return poses

    # -- internals -------------------------------------------------------------------------------

    def _features(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Keypoints (normalised, (k, 2)), their strengths and ORB descriptors of a frame at the working scale."""
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        h, w = grey.shape[:2]
        if w > self.config.work_width:
            scale = self.config.work_width / w
            grey = cv2.resize(grey, (self.config.work_width, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        assert self._orb is not None
        kps, desc = self._orb.detectAndCompute(grey, None)
        gh, gw = grey.shape[:2]
        self._work_size = (gw, gh)
        pts = np.array([kp.pt for kp in kps], dtype=np.float32).reshape(-1, 2) / np.array([gw, gh], np.float32)
        return pts, np.array([kp.response for kp in kps], dtype=np.float32), desc

    def _anchor(self, anchor: _Anchor, keypoints: np.ndarray, responses: np.ndarray,
                descriptors: np.ndarray | None) -> None:
        if descriptors is None or len(keypoints) == 0:
            return
        cfg = self.config
        lo, hi = anchor.points.min(axis=0), anchor.points.max(axis=0)
        centre, half = (lo + hi) / 2, np.maximum((hi - lo) / 2 + cfg.margin, cfg.min_region / 2)
        while True:  # grow the region until it holds enough texture to be found again
            inside = np.all(np.abs(keypoints - centre) <= half, axis=1)
            if inside.sum() >= 3 * cfg.min_inliers or np.all(half >= 1.0):
                break
            half = np.minimum(half * 1.4, 1.0)
        if inside.sum() < cfg.min_inliers:
            return  # a blank view: try again on the next frame
        chosen = np.flatnonzero(inside)
        chosen = chosen[np.argsort(-responses[chosen])[:cfg.anchor_features]]
        anchor.keypoints, anchor.descriptors = keypoints[chosen], descriptors[chosen]

    def _locate(self, mark_id: str, anchor: _Anchor, keypoints: np.ndarray,
                descriptors: np.ndarray | None) -> MarkPose:
        cfg = self.config
        lost = MarkPose(mark_id, anchor.last_h, False)
        if (descriptors is None or len(keypoints) < cfg.min_inliers or anchor.keypoints is None
                or anchor.descriptors is None):
            return lost
        assert self._matcher is not None
        pairs = self._matcher.knnMatch(anchor.descriptors, descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < cfg.ratio * p[1].distance]
        if len(good) < cfg.min_inliers:
            return lost
        src = anchor.keypoints[[g.queryIdx for g in good]]
        dst = keypoints[[g.trainIdx for g in good]]
        gw, gh = self._work_size
        threshold = cfg.ransac_px / max(gw, gh)
        h, mask = cv2.findHomography(src, dst, cv2.RANSAC, threshold, maxIters=500, confidence=0.99)
        if h is None or mask is None or int(mask.sum()) < cfg.min_inliers or not _plausible(h, cfg):
            return lost
        flat = tuple(float(v) for v in (h / h[2, 2]).ravel())
        moved = cv2.perspectiveTransform(anchor.points.reshape(-1, 1, 2), h).reshape(-1, 2)
        centre = moved.mean(axis=0)
        if not (0.0 <= centre[0] <= 1.0 and 0.0 <= centre[1] <= 1.0):
            return MarkPose(mark_id, flat, False, int(mask.sum()))  # found, but its place is outside the view
        anchor.last_h = flat
        return MarkPose(mark_id, flat, True, int(mask.sum()))


def _plausible(h: np.ndarray, cfg: TrackerConfig) -> bool:
    """A homography a hand-held phone can produce: no mirroring, no collapse, bounded zoom and perspective."""
    if abs(h[2, 2]) < 1e-9:
        return False
    h = h / h[2, 2]
    det = float(np.linalg.det(h[:2, :2]))
    if det <= 0 or not (1 / cfg.max_scale_change**2 <= det <= cfg.max_scale_change**2):
        return False
    return bool(abs(h[2, 0]) < 2.0 and abs(h[2, 1]) < 2.0)


def apply(h: Sequence[float], points: Sequence[NormPoint]) -> list[NormPoint]:
    """A row-major 3x3 homography applied to normalised points."""
    arr = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    out = cv2.perspectiveTransform(arr, np.asarray(h, dtype=np.float64).reshape(3, 3)).reshape(-1, 2)
    return [(float(x), float(y)) for x, y in out]
