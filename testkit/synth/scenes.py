"""Synthetic camera views of a textured scene under known homographies (panning, rotating, zooming phones)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

VIEW = (640, 360)  # width, height of a camera view


def textured_scene(seed: int = 7, size: tuple[int, int] = (2400, 1600), labels: bool = True) -> np.ndarray:
    """A large BGR image with the texture a device and its surroundings have: blobs, edges, labels (letters,
    which the OCR would try to read: pass labels=False where only the tracker should work)."""
    rng = np.random.default_rng(seed)
    w, h = size
    noise = rng.integers(0, 255, (h // 8, w // 8, 3), dtype=np.uint8)
    scene = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(900):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        kind = int(rng.integers(0, 3 if labels else 2))
        if kind == 0:
            cv2.rectangle(scene, (x, y), (x + int(rng.integers(8, 60)), y + int(rng.integers(8, 60))), colour, -1)
        elif kind == 1:
            cv2.circle(scene, (x, y), int(rng.integers(4, 30)), colour, int(rng.integers(-1, 4)) or -1)
        else:
            text = "".join(chr(int(c)) for c in rng.integers(65, 91, 4))
            cv2.putText(scene, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.5, 1.5)), colour, 2)
    return scene


@dataclass(frozen=True)
class Camera:
    """A view of the scene: its centre in the scene (px), rotation (degrees) and zoom (scene px per view px)."""

    cx: float
    cy: float
    angle: float = 0.0
    scale: float = 1.5

    def homography(self, view: tuple[int, int] = VIEW) -> np.ndarray:
        """Scene px -> view px."""
        vw, vh = view
        a = math.radians(self.angle)
        cos, sin = math.cos(a) / self.scale, math.sin(a) / self.scale
        # rotate and scale about the camera centre, then put the centre in the middle of the view
        return np.array([[cos, sin, vw / 2 - cos * self.cx - sin * self.cy],
                         [-sin, cos, vh / 2 + sin * self.cx - cos * self.cy],
                         [0.0, 0.0, 1.0]])


def render(scene: np.ndarray, camera: Camera, view: tuple[int, int] = VIEW, seed: int = 0) -> np.ndarray:
    """The camera's view of the scene, with a little sensor noise."""
    image = cv2.warpPerspective(scene, camera.homography(view), view, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=(40, 40, 40))
    cv2.setRNGSeed(seed)
    noise = np.zeros(image.shape, np.int16)
    cv2.randn(noise, 0, 3)  # type: ignore[call-overload]  # OpenCV takes scalars; the stubs want arrays
    return cv2.add(image, noise, dtype=cv2.CV_8U)


def project(points: list[tuple[float, float]], start: Camera, now: Camera,
            view: tuple[int, int] = VIEW) -> list[tuple[float, float]]:
    """Normalised points seen in the start view -> where the same scene points are in the current view."""
    vw, vh = view
    px = np.array([[x * vw, y * vh] for x, y in points], dtype=np.float64).reshape(-1, 1, 2)
    h = now.homography(view) @ np.linalg.inv(start.homography(view))
    out = cv2.perspectiveTransform(px, h).reshape(-1, 2)
    return [(float(x) / vw, float(y) / vh) for x, y in out]
