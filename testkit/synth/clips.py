"""Short video clips of a phone filming an error screen: lead-in scene, then the screen with hand shake."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from testkit.synth.capture import CaptureParams, random_capture_params, render_capture
from testkit.synth.screens import ScreenStyle, render_error_screen, screen_size_for


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """What a clip shows and how it is filmed."""

    code: str  # the true code on screen ("" for a screen without a code)
    text: str  # newline-separated screen lines
    style: ScreenStyle
    size: tuple[int, int] = (1280, 720)
    fps: int = 15
    lead_in_s: float = 0.6  # camera on the desk before it points at the screen
    screen_s: float = 2.4  # then the error screen
    seed: int = 0


def _shake_path(n: int, rng: np.random.Generator, amp_px: float) -> np.ndarray:
    """Smooth hand tremor: low-pass filtered random walk of (dx, dy, degrees) per frame."""
    steps = rng.normal(0, 1, size=(n + 8, 3))
    kernel = np.ones(8) / 8
    smooth = np.stack([np.convolve(steps[:, i], kernel, mode="valid")[:n] for i in range(3)], axis=1)
    smooth = np.cumsum(smooth, axis=0) * 0.35
    smooth -= smooth.mean(axis=0)
    return smooth * np.array([amp_px, amp_px, 0.15])


def _noise_bank(size: tuple[int, int], sigma: float, seed: int, count: int = 3) -> list[tuple[np.ndarray, np.ndarray]]:
    """Sensor noise frames as (positive, negative) uint8 parts, for fast saturating add/subtract."""
    w, h = size
    bank = []
    for k in range(count):
        noise = np.empty((h, w, 3), np.float32)
        cv2.setRNGSeed((seed * 7 + k) % (2**31 - 1))
        cv2.randn(noise, 0.0, sigma)  # type: ignore[call-overload]  # OpenCV takes scalars; the stubs want arrays
        bank.append((np.clip(noise, 0, 255).astype(np.uint8), np.clip(-noise, 0, 255).astype(np.uint8)))
    return bank


def _apply(base: np.ndarray, shake: np.ndarray, noise: tuple[np.ndarray, np.ndarray], motion_blur: int) -> np.ndarray:
    h, w = base.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), float(shake[2]), 1.0)
    m[:, 2] += shake[:2]
    frame = cv2.warpAffine(base, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    if motion_blur > 1:  # the odd frame smeared by a faster movement
        k = np.zeros((motion_blur, motion_blur), np.float32)
        k[motion_blur // 2, :] = 1.0 / motion_blur
        frame = cv2.filter2D(frame, -1, k)
    return cv2.subtract(cv2.add(frame, noise[0]), noise[1])


def make_error_clip(spec: ClipSpec, params: CaptureParams | None = None) -> list[np.ndarray]:
    """BGR frames of the clip: lead-in (desk only) then the error screen, with hand shake and sensor noise."""
    rng = np.random.default_rng(spec.seed)
    screen_size = screen_size_for(spec.style, rng)
    screen = render_error_screen(spec.code, spec.text, spec.style, screen_size)
    return film_screen(screen, spec.size, spec.fps, spec.lead_in_s, spec.screen_s, spec.seed, rng, params)


def film_screen(screen: np.ndarray, size: tuple[int, int], fps: int, lead_in_s: float, screen_s: float, seed: int,
                rng: np.random.Generator, params: CaptureParams | None = None) -> list[np.ndarray]:
    """BGR frames of a phone filming a rendered screen: lead-in (desk only), then the screen, hand-held."""
    if params is None:
        params = random_capture_params(rng, size, screen.shape[1] / screen.shape[0])
    noise_sigma = params.noise_sigma
    quiet = replace(params, noise_sigma=0.0)  # noise is added per frame from a bank
    base = render_capture(screen, quiet, size)
    desk = render_capture(np.full((8, 8, 3), params.background, np.uint8), replace(quiet, quad=quiet.quad * 0 - 10), size)
    bank = _noise_bank(size, noise_sigma, seed)
    n_lead = int(round(lead_in_s * fps))
    n_screen = int(round(screen_s * fps))
    amp = size[0] / 640 * 2.0
    path = _shake_path(n_lead + n_screen, rng, amp)
    frames = []
    for i in range(n_lead + n_screen):
        src = desk if i < n_lead else base
        blur = int(rng.choice([0, 0, 0, 0, 0, 3, 5]) * size[0] / 640) if i >= n_lead else 0
        frames.append(_apply(src, path[i], bank[i % len(bank)], blur))
    return frames


def clip_for(code: str, text: str, style: ScreenStyle, seconds: float = 3.0, fps: int = 30,
             size: tuple[int, int] = (1280, 720), seed: int = 0, lead_in_s: float = 1.0) -> list[np.ndarray]:
    """A ~seconds long clip of an error-screen scene (for fake cameras and end-to-end tests)."""
    spec = ClipSpec(code, text, style, size, fps, lead_in_s, max(0.1, seconds - lead_in_s), seed)
    return make_error_clip(spec)


def film_geometry(screen_shape: tuple[int, ...], size: tuple[int, int], fps: int, lead_in_s: float, screen_s: float,
                  rng: np.random.Generator, params: CaptureParams | None = None) -> list[np.ndarray | None]:
    """Per frame of film_screen (same rng, same draws): the 3x3 map from screen pixels to frame pixels (None for
    lead-in frames). Lets benches find a rendered screen's code box in the filmed frames."""
    sh, sw = screen_shape[:2]
    if params is None:
        params = random_capture_params(rng, size, sw / sh)
    n_lead = int(round(lead_in_s * fps))
    n_screen = int(round(screen_s * fps))
    path = _shake_path(n_lead + n_screen, rng, size[0] / 640 * 2.0)
    pad = max(2, int(sw * params.bezel))  # render_capture's bezel and grown quad
    quad = params.quad.astype(np.float32)
    quad = quad + (quad - quad.mean(axis=0)) * np.float32(pad / sw) * 2
    dh, dw = sh + 2 * pad, sw + 2 * pad
    src = np.array([[0, 0], [dw - 1, 0], [dw - 1, dh - 1], [0, dh - 1]], np.float32)
    device = cv2.getPerspectiveTransform(src, quad) @ np.array([[1, 0, pad], [0, 1, pad], [0, 0, 1]], np.float64)
    w, h = size
    out: list[np.ndarray | None] = []
    for i in range(n_lead + n_screen):
        if i < n_lead:
            out.append(None)
            continue
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(path[i][2]), 1.0)
        m[:, 2] += path[i][:2]
        out.append(np.vstack([m, [0, 0, 1]]) @ device)
    return out
