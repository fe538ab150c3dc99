"""What a full-resolution scan adds: codes too small for 640x360 live video, read from a 1920x1080 still.

Per scene (a dialog or panel screen with small text, filmed hand-held at 1920x1080): the live pipeline
(SessionDiagnostics, 3 frames/s) sees `--live-frames` frames scaled to 640x360 (no VP8 loss, so this favours the
live path), and read_still reads the 1080p still. Prints, per text size, how many scenes each confirmed with the
right code, any wrong code, and the CPU time of one still read (process CPU time, one worker process).

    .venv/bin/python bench/scan_read.py [--seeds 2] [--live-frames 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnostics import DiagnosticsConfig, SessionDiagnostics, read_still  # noqa: E402
from diagnostics.ocr import make_engine  # noqa: E402
from testkit.synth.capture import random_capture_params, render_capture  # noqa: E402
from testkit.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text  # noqa: E402

FULL = (1920, 1080)
LIVE = (640, 360)
TEXT_SCALES = (0.25, 0.35)  # share of the generator's nominal text height: small print on a big screen


def scenes(seeds: int) -> list[tuple[str, float, int, list[np.ndarray]]]:
    """(code, text scale, seed, frames) for every text screen sample (segment displays excluded: big glyphs)."""
    out = []
    samples = [s for s in SAMPLES if s.kind != "appliance"]
    for scale in TEXT_SCALES:
        for seed in range(seeds):
            for i, sample in enumerate(samples):
                rng = np.random.default_rng(1000 * seed + i)
                layout = "dialog" if sample.kind == "pc" else "panel"
                style = ScreenStyle(layout, "cjk" if sample.lang == "zh" else "sans", (20, 20, 20), (240, 240, 240),
                                    text_scale=scale)
                screen = render_error_screen(sample.code, screen_text(sample), style, (1400, 860))
                params = random_capture_params(rng, FULL, screen.shape[1] / screen.shape[0], severity=0.4)
                frames = [render_capture(screen, params, FULL, shake=(2 * np.sin(k / 5), 1.5 * np.cos(k / 7), 0.0),
                                         frame_seed=k) for k in range(4)]
                out.append((sample.code, scale, seed, frames))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--live-frames", type=int, default=15)
    args = ap.parse_args()
    cfg = DiagnosticsConfig()
    engine = make_engine(cfg.tessdata_path, cfg.languages)
    rows: dict[float, dict[str, list[float]]] = {s: {"live": [], "live_wrong": [], "scan": [], "scan_wrong": [],
                                                     "cpu_ms": []} for s in TEXT_SCALES}
    for code, scale, _seed, frames in scenes(args.seeds):
        live = SessionDiagnostics(cfg, engine=engine)
        seen: list[str] = []
        for k in range(args.live_frames):
            small = cv2.resize(frames[k % len(frames)], LIVE, interpolation=cv2.INTER_AREA)
            seen += [f.code for f in live.process(small, k / 3)]
        started = time.process_time()
        read = [f.code for f in read_still(frames[0], cfg, engine)]
        cpu_ms = (time.process_time() - started) * 1000
        r = rows[scale]
        r["live"].append(code in seen)
        r["live_wrong"].append(any(c != code for c in seen))
        r["scan"].append(code in read)
        r["scan_wrong"].append(any(c != code for c in read))
        r["cpu_ms"].append(cpu_ms)
    print(f"{'text scale':>10} {'scenes':>6} {'live 360p':>10} {'live wrong':>10} {'scan 1080p':>10} "
          f"{'scan wrong':>10} {'scan CPU ms p50/max':>20}")
    for scale, r in rows.items():
        n = len(r["live"])
        print(f"{scale:>10} {n:>6} {int(sum(r['live'])):>10} {int(sum(r['live_wrong'])):>10} {int(sum(r['scan'])):>10} "
              f"{int(sum(r['scan_wrong'])):>10} {statistics.median(r['cpu_ms']):>12.0f}/{max(r['cpu_ms']):.0f}")


if __name__ == "__main__":
    main()
