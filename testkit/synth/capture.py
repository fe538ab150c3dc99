"""Simulates a phone camera filming a device screen: perspective, bezel, blur, noise, glare, moire."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class CaptureParams:
    """One take's camera set-up; per-frame hand shake is applied on top."""

    quad: np.ndarray  # 4x2 float32, screen corners in the output frame (TL, TR, BR, BL)
    bezel: float  # bezel width as a share of the screen width
    blur_sigma: float
    noise_sigma: float
    gain: float
    glare_xy: tuple[float, float]  # glare centre, share of the output frame
    glare_radius: float  # share of the output width
    glare_strength: float  # 0..1
    moire_freq: tuple[float, float]  # cycles per pixel along x and y
    moire_amp: float
    background: tuple[int, int, int]
    seed: int


def random_capture_params(rng: np.random.Generator, out_size: tuple[int, int], screen_aspect: float,
                          severity: float = 1.0) -> CaptureParams:
    """Random but plausible camera set-up; severity scales tilt, blur, glare and moire."""
    w, h = out_size
    fill = rng.uniform(0.5, 0.85)  # share of the frame width the screen covers
    sw = w * fill
    sh = sw / screen_aspect
    if sh > h * 0.85:
        sh = h * 0.85
        sw = sh * screen_aspect
    cx = w / 2 + rng.uniform(-0.5, 0.5) * (w - sw) * 0.8
    cy = h / 2 + rng.uniform(-0.5, 0.5) * (h - sh) * 0.8
    base = np.array([[-sw / 2, -sh / 2], [sw / 2, -sh / 2], [sw / 2, sh / 2], [-sw / 2, sh / 2]])
    angle = np.deg2rad(rng.uniform(-7, 7) * severity)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    quad = base @ rot.T
    # Keystone: the camera is rarely square to the screen, so the edges converge.
    jitter = rng.uniform(-0.07, 0.07, size=(4, 2)) * np.array([sw, sh]) * severity
    quad = quad + jitter + np.array([cx, cy])
    # People frame the screen they want to show: keep the device (with bezel) inside the picture.
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    margin = np.array([w, h]) * 0.09  # room for the bezel
    quad += np.maximum(0, margin - lo) - np.maximum(0, hi - (np.array([w, h]) - margin))
    return CaptureParams(
        quad=quad.astype(np.float32),
        bezel=float(rng.uniform(0.02, 0.06)),
        blur_sigma=float(rng.uniform(0.3, 1.3) * severity),
        noise_sigma=float(rng.uniform(1.5, 5.0) * severity),
        gain=float(rng.uniform(0.75, 1.15)),
        glare_xy=(float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.15, 0.85))),
        glare_radius=float(rng.uniform(0.08, 0.25)),
        glare_strength=float(rng.uniform(0.0, 0.45) * severity),
        moire_freq=(float(rng.uniform(0.08, 0.3)), float(rng.uniform(0.08, 0.3))),
        moire_amp=float(rng.uniform(0.0, 0.12) * severity),
        background=(int(rng.integers(40, 200)), int(rng.integers(40, 200)), int(rng.integers(40, 200))),
        seed=int(rng.integers(0, 2**31 - 1)),
    )


@lru_cache(maxsize=4)
def _background(out_size: tuple[int, int], colour: tuple[int, int, int], seed: int) -> np.ndarray:
    """A smooth desk/wall texture: low-frequency noise around a base colour."""
    w, h = out_size
    r = np.random.default_rng(seed)
    # Mostly luminance variation with a little colour, like a desk or wall out of focus.
    lum = r.normal(0, 25, size=(9, 16, 1))
    small = (lum + r.normal(0, 6, size=(9, 16, 3))).astype(np.float32) + np.array(colour, np.float32)
    return np.clip(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), 0, 255)


@lru_cache(maxsize=4)
def _glare(out_size: tuple[int, int], xy: tuple[float, float], radius: float) -> np.ndarray:
    """A soft reflection of a lamp or window: a Gaussian blob (additive, fixed while the phone moves)."""
    w, h = out_size
    gx, gy = xy[0] * w, xy[1] * h
    yy, xx = np.ogrid[0:h, 0:w]
    rad = radius * w
    return np.exp(-(((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * rad * rad))).astype(np.float32)


@lru_cache(maxsize=8)
def _moire_base(out_size: tuple[int, int], freq: tuple[float, float]) -> np.ndarray:
    w, h = out_size
    xx = np.arange(w, dtype=np.float32)[None, :] * freq[0]
    yy = np.arange(h, dtype=np.float32)[:, None] * freq[1]
    return (2 * np.pi * (xx + yy)).astype(np.float32)


def _moire(out_size: tuple[int, int], freq: tuple[float, float], amp: float, phase: float) -> np.ndarray:
    """Interference stripes of the screen's pixel grid against the sensor's (multiplicative)."""
    return 1.0 + amp * np.sin(_moire_base(out_size, freq) + np.float32(phase * 0.3))


def render_capture(screen: np.ndarray, params: CaptureParams, out_size: tuple[int, int],
                   shake: tuple[float, float, float] = (0.0, 0.0, 0.0), frame_seed: int = 0) -> np.ndarray:
    """Film `screen` with the given set-up; shake = (dx px, dy px, rotation degrees) for hand motion."""
    w, h = out_size
    sh, sw = screen.shape[:2]
    pad = max(2, int(sw * params.bezel))
    device = cv2.copyMakeBorder(screen, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(28, 28, 30))
    dh, dw = device.shape[:2]
    quad = params.quad.copy()
    centre = quad.mean(axis=0)
    a = np.deg2rad(shake[2])
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    quad = (quad - centre) @ rot.T + centre + np.array(shake[:2], np.float32)
    # Grow the screen quad outwards so the bezel surrounds it.
    grow = np.float32(pad / sw)
    quad = quad + (quad - quad.mean(axis=0)) * grow * 2
    src = np.array([[0, 0], [dw - 1, 0], [dw - 1, dh - 1], [0, dh - 1]], np.float32)
    m = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    frame = _background(out_size, params.background, params.seed)
    warped = cv2.warpPerspective(device, m, (w, h), flags=cv2.INTER_LINEAR).astype(np.float32)
    mask = cv2.warpPerspective(np.ones((dh, dw), np.float32), m, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    if params.moire_amp > 0:
        warped *= _moire(out_size, params.moire_freq, params.moire_amp, shake[0])[..., None]
    frame = frame * (1 - mask) + warped * mask
    if params.glare_strength > 0:
        frame += (255 * params.glare_strength) * _glare(out_size, params.glare_xy, params.glare_radius)[..., None] * mask
    frame *= params.gain
    if params.blur_sigma > 0.2:
        frame = cv2.GaussianBlur(frame, (0, 0), params.blur_sigma)
    noise = np.empty((h, w, 3), np.float32)
    cv2.setRNGSeed((params.seed + frame_seed) % (2**31 - 1))
    cv2.randn(noise, 0.0, params.noise_sigma)  # type: ignore[call-overload]  # OpenCV takes scalars; the stubs want arrays
    frame += noise
    return np.clip(frame, 0, 255).astype(np.uint8)


def phone_capture(img: np.ndarray, rng: np.random.Generator, out_size: tuple[int, int]) -> np.ndarray:
    """One phone-camera still of a flat screen image, size out_size = (width, height)."""
    params = random_capture_params(rng, out_size, img.shape[1] / img.shape[0])
    return render_capture(img, params, out_size, frame_seed=int(rng.integers(0, 1 << 30)))
