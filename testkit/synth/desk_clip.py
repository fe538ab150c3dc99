"""A clip of a neutral desk, then a phone capture of an error screen with hand shake: what a customer's camera
sends in the time-to-finding bench (bench/time_to_finding.py) and in the tests that need a finding from real video."""

from __future__ import annotations

import numpy as np

from testkit.peers import encode_clip, frame_key
from testkit.synth.capture import random_capture_params, render_capture
from testkit.synth.screens import SAMPLES, random_style, render_error_screen, screen_size_for, screen_text

FPS = 30
NEUTRAL_S = 2.0
SCREEN_S = 4.0
SIZE = (1280, 720)


def make_clip(seed: int, neutral_s: float = NEUTRAL_S, screen_s: float = SCREEN_S, fps: int = FPS):
    """Neutral desk, then the error screen, with hand shake; returns (clip, code, keys of screen frames)."""
    rng = np.random.default_rng(seed)
    sample = SAMPLES[(seed * 11) % len(SAMPLES)]  # spread trials over PC, printer, appliance and Chinese screens
    style = random_style(rng, sample)
    screen = render_error_screen(sample.code, screen_text(sample), style, screen_size_for(style, rng))
    params = random_capture_params(rng, SIZE, screen.shape[1] / screen.shape[0], severity=0.6)
    neutral = np.full((SIZE[1], SIZE[0], 3), (70, 80, 90), np.uint8)
    frames = []
    for _ in range(int(neutral_s * fps)):
        frames.append(np.clip(neutral.astype(np.int16) + rng.integers(-3, 4, neutral.shape), 0, 255).astype(np.uint8))
    n_neutral = len(frames)
    for i in range(int(screen_s * fps)):
        shake = (2 * np.sin(i / 5), 1.5 * np.cos(i / 7), 0.3 * np.sin(i / 9))
        frames.append(render_capture(screen, params, SIZE, shake=shake, frame_seed=i))
    clip = encode_clip(frames, fps=fps, bitrate=1_500_000, keyframe_interval=300)
    return clip, sample.code, {frame_key(d) for d in clip.video[n_neutral:]}
