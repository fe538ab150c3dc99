"""Time to finding: from the first frame of an error screen at the server to the finding committed on the ticket.

A synthetic aiortc customer (pre-encoded 720p30 VP8 + Opus) shows 2 s of a neutral scene, then a phone capture of an
error screen; the server relays, records and analyses as in production. Per trial: a new session and a different screen.
Prints p50/p95 of (commit - first screen frame arrival) and of the push to the technician's WebSocket.

    .venv/bin/python bench/time_to_finding.py [--trials 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synth.capture import random_capture_params, render_capture  # noqa: E402
from bench.synth.screens import SAMPLES, random_style, render_error_screen, screen_size_for, screen_text  # noqa: E402
from media.frames import EncodedFrame  # noqa: E402
from testkit.inprocess import serve_in_process  # noqa: E402
from testkit.peers import LatencyBook, SyntheticCustomer, SyntheticTechnician, encode_clip, frame_key  # noqa: E402
from testkit.session_client import start_pair  # noqa: E402

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


async def trial(server, seed: int) -> dict[str, float | str | None]:
    clip, code, screen_keys = make_clip(seed)
    first_screen: list[float] = []

    def observe(source: str, frame: EncodedFrame) -> None:
        if source == "customer" and not first_screen and frame_key(frame.data) in screen_keys:
            first_screen.append(frame.arrival)

    customer = SyntheticCustomer(clip, LatencyBook())
    technician = SyntheticTechnician()
    pair = await start_pair(server.url, server.technician_token(), customer, technician, title=f"ttf-{seed}")
    calls = server.services.calls
    calls.calls[pair.session.session_id].media.add_observer(observe)
    started = time.monotonic()
    deadline = time.monotonic() + NEUTRAL_S + SCREEN_S + 6
    pushed: float | None = None
    while time.monotonic() < deadline:
        if pushed is None and any(m.get("type") == "finding" for m in pair.technician_link.messages):
            pushed = time.monotonic()
        new = [f for f in calls.recent_findings if f[1] >= started]
        if new and pushed is not None:
            break
        await asyncio.sleep(0.005)
    new = [f for f in calls.recent_findings if f[1] >= started]
    await pair.close(end_session=True)
    hit = next((t for c, t in new if c == code), None)
    t0 = first_screen[0] if first_screen else None
    return {"code": code, "found": [c for c, _ in new],
            "commit_s": (hit - t0) if hit is not None and t0 is not None else None,
            "push_s": (pushed - t0) if pushed is not None and t0 is not None else None}


async def main_async(trials: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        async with serve_in_process(Path(tmp)) as server:
            rows = [await trial(server, seed) for seed in range(trials)]
    commits = [r["commit_s"] for r in rows if isinstance(r["commit_s"], float)]
    pushes = [r["push_s"] for r in rows if isinstance(r["push_s"], float)]
    print(f"{'trial':>5} {'code':<14} {'commit s':>9} {'push s':>8}  found")
    for i, r in enumerate(rows):
        c = f"{r['commit_s']:.3f}" if isinstance(r["commit_s"], float) else "miss"
        p = f"{r['push_s']:.3f}" if isinstance(r["push_s"], float) else "-"
        print(f"{i:>5} {r['code']:<14} {c:>9} {p:>8}  {r['found']}")
    print(f"found {len(commits)}/{len(rows)} screens")
    if commits:
        print(f"time to finding committed: p50 {np.percentile(commits, 50):.3f} s, p95 {np.percentile(commits, 95):.3f} s"
              "  (target p95 <= 1.5 s)")
    if pushes:
        print(f"time to console push:      p50 {np.percentile(pushes, 50):.3f} s, p95 {np.percentile(pushes, 95):.3f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    return asyncio.run(main_async(parser.parse_args().trials))


if __name__ == "__main__":
    sys.exit(main())
