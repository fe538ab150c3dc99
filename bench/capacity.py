"""Capacity: how many support sessions one machine carries, lensdesk pipeline vs the stock aiortc pipeline.

Starts the server (a separate process, so its CPU is measured alone) and N synthetic customer+technician pairs
over loopback: aiortc clients sending a pre-encoded 720p30 VP8 clip of an error screen plus Opus audio (so the
clients cost little), technicians receiving without decoding. For each pipeline and N it reports server CPU
(cores and per session), the worst technician's delivered fps, and send->technician latency p50/p95.

    lensdesk pipeline: encoded passthrough relay + crash-safe remux recorder + analysis (decode + OCR)
    stock pipeline:    MediaRelay into new senders (decode + re-encode) + MediaRecorder (.mp4)

    .venv/bin/python bench/capacity.py [--lensdesk 4,8,12,16] [--stock 1,2,3] [--measure 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.peers import EncodedClip, LatencyBook, SyntheticCustomer, SyntheticTechnician, encode_clip  # noqa: E402
from bench.session_client import CallPair, start_pair  # noqa: E402
from bench.synth.capture import random_capture_params, render_capture  # noqa: E402
from bench.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text  # noqa: E402
from signaling.tokens import TokenService  # noqa: E402
from tests.support import free_port  # noqa: E402

SECRET = "capacity-" + "s" * 40
TARGET_FPS = 28.0
TARGET_SERVER_P95_MS = 50.0


def make_clip(seconds: float = 4.0) -> EncodedClip:
    """A hand-held 720p30 capture of an error screen, VP8 at ~1.5 Mbps."""
    sample = SAMPLES[0]
    style = ScreenStyle(layout="dialog", font="sans", fg=(20, 20, 20), bg=(245, 245, 245))
    screen = render_error_screen(sample.code, screen_text(sample), style, (900, 560))
    rng = np.random.default_rng(3)
    params = random_capture_params(rng, (1280, 720), screen.shape[1] / screen.shape[0], severity=0.5)
    frames = [render_capture(screen, params, (1280, 720), shake=(3 * np.sin(i / 4), 2 * np.cos(i / 6), 0.4 * np.sin(i / 8)),
                             frame_seed=i) for i in range(int(seconds * 30))]
    return encode_clip(frames, bitrate=1_500_000, keyframe_interval=3000)


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of a process and its live children (diagnosis workers), from /proc."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total = 0.0
    for p in pids:
        try:
            fields = _stat(p)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, to show when the bench itself saturates it."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def scrape(url: str) -> str:
    """The server's /metrics text (it needs a technician token)."""
    auth = {"Authorization": f"Bearer {TokenService(SECRET).issue_technician('bench', 'Bench')}"}
    return httpx.get(url + "/metrics", headers=auth, timeout=5).raise_for_status().text


def relay_delay_buckets(url: str) -> dict[float, float]:
    """Cumulative counts of the server's relay-delay histogram (upper bound in s -> count), from /metrics."""
    out: dict[float, float] = {}
    for line in scrape(url).splitlines():
        if line.startswith("lensdesk_relay_delay_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            out[float("inf") if bound == "+Inf" else float(bound)] = float(line.rsplit(" ", 1)[1])
    return out


def metric_value(url: str, name: str) -> float:
    """One sample's value from the server's /metrics (0 if absent)."""
    for line in scrape(url).splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def bucket_quantile(before: dict[float, float], after: dict[float, float], q: float) -> float:
    """Quantile (bucket upper bound, ms) of the observations made between two scrapes."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if total <= 0:
        return float("nan")
    for bound, cumulative in zip(bounds, counts, strict=True):
        if cumulative >= q * total:
            return bound * 1000.0
    return float("inf")


@dataclass
class Result:
    pipeline: str
    sessions: int
    server_cores: float
    min_fps: float
    p50_ms: float
    p95_ms: float
    relay_p50_ms: float = float("nan")
    relay_p95_ms: float = float("nan")
    machine_cores: float = float("nan")
    found_share: float = float("nan")  # sessions whose error screen became a finding

    @property
    def ok(self) -> bool:
        """Every technician got >= 28 fps (the issue's capacity criterion)."""
        return self.min_fps >= TARGET_FPS

    @property
    def ok_latency(self) -> bool:
        """And the server-added delay stayed within target (unknown for stock, whose frames are re-encoded)."""
        return self.ok and not (self.relay_p95_ms > TARGET_SERVER_P95_MS)


def start_server(pipeline: str, port: int, data_dir: str) -> subprocess.Popen[bytes]:
    """The server process, once /healthz answers."""
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("capacity_server.py")),
                             "--pipeline", pipeline, "--port", str(port), "--data-dir", data_dir, "--secret", SECRET])
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("capacity server did not start")


async def run_level(pipeline: str, n: int, clip: EncodedClip, warmup_s: float, measure_s: float) -> Result:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = await asyncio.to_thread(start_server, pipeline, port, tmp)
        url = f"http://127.0.0.1:{port}"
        try:
            token = TokenService(SECRET).issue_technician("bench", "Bench")
            pairs: list[CallPair] = []
            books: list[LatencyBook] = []
            for _ in range(n):
                book = LatencyBook()
                books.append(book)
                pairs.append(await start_pair(url, token, SyntheticCustomer(clip, book), SyntheticTechnician(book)))
            await asyncio.sleep(warmup_s)
            for book in books:
                book.latencies_ms.clear()
            hist0 = relay_delay_buckets(url) if pipeline == "lensdesk" else {}
            cpu0, t0, m0 = cpu_seconds(proc.pid), time.monotonic(), machine_busy()
            await asyncio.sleep(measure_s)
            cpu1, t1, m1 = cpu_seconds(proc.pid), time.monotonic(), machine_busy()
            machine = (m1[0] - m0[0]) / (m1[1] - m0[1]) * (os.cpu_count() or 1)
            hist1 = relay_delay_buckets(url) if pipeline == "lensdesk" else {}
            fps = [len([t for t in p.technician.video_frames if t0 <= t <= t1]) / (t1 - t0) for p in pairs]
            found = metric_value(url, "lensdesk_findings_committed_total") / n if pipeline == "lensdesk" else float("nan")
            lat = [x for b in books for x in b.latencies_ms]
            for p in pairs:
                await p.close(end_session=True)
            return Result(pipeline, n, (cpu1 - cpu0) / (t1 - t0), min(fps),
                          float(np.percentile(lat, 50)) if lat else float("nan"),
                          float(np.percentile(lat, 95)) if lat else float("nan"),
                          bucket_quantile(hist0, hist1, 0.5) if hist1 else float("nan"),
                          bucket_quantile(hist0, hist1, 0.95) if hist1 else float("nan"), machine, found)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def parse_levels(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


async def main_async(args: argparse.Namespace) -> int:
    clip = make_clip()
    print(f"machine: {os.cpu_count()} cores; clip {clip.width}x{clip.height}@{clip.fps} VP8 "
          f"{sum(map(len, clip.video)) * 8 / (len(clip.video) / clip.fps) / 1e6:.2f} Mbps + Opus")
    print("server cores = the server process and its analysis workers; machine = all cores busy, clients included;\n"
          "found = share of sessions whose error screen became a finding on the ticket\n"
          "latency: e2e = customer send -> technician receive (both clients share this machine's CPU);\n"
          "         srv = frame complete at the server -> taken by the technician's sender (<= bucket bound)")
    print(f"{'pipeline':<9} {'N':>3} {'server cores':>12} {'cores/session':>13} {'min fps':>8} "
          f"{'e2e p50':>8} {'e2e p95':>8} {'srv p50':>8} {'srv p95':>8} {'machine':>8} {'found':>6}")
    best: dict[str, Result | None] = {"lensdesk": None, "stock": None}
    best_latency: dict[str, Result | None] = {"lensdesk": None, "stock": None}
    for pipeline, levels in (("stock", parse_levels(args.stock)), ("lensdesk", parse_levels(args.lensdesk))):
        levels = [n for n in levels if n > 0]
        for n in levels:
            r = await run_level(pipeline, n, clip, args.warmup, args.measure)
            print(f"{r.pipeline:<9} {r.sessions:>3} {r.server_cores:>12.2f} {r.server_cores / r.sessions:>13.3f} "
                  f"{r.min_fps:>8.1f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.relay_p50_ms:>8.1f} {r.relay_p95_ms:>8.1f} "
                  f"{r.machine_cores:>8.2f} {r.found_share:>6.0%}  "
                  f"{('ok' if r.ok_latency else 'fps ok, latency over') if r.ok else 'BELOW ' + str(TARGET_FPS)}",
                  flush=True)
            if r.ok_latency:
                best_latency[pipeline] = r
            if r.ok:
                best[pipeline] = r
            else:
                break
    print()
    for name, r in best.items():
        both = best_latency[name]
        print(f"{name}: largest N with every technician >= {TARGET_FPS:.0f} fps: {r.sessions if r else 0}"
              + (f"; with in-server p95 <= {TARGET_SERVER_P95_MS:.0f} ms as well: {both.sessions if both else 0}"
                 if name == "lensdesk" else ""))
    lens, lens_both, stock = best["lensdesk"], best_latency["lensdesk"], best["stock"]
    if lens and stock:
        print(f"ratio: {lens.sessions / stock.sessions:.1f}x the stock pipeline's sessions by fps (target >= 8x)"
              + (f", {lens_both.sessions / stock.sessions:.1f}x with the latency target met too: at N="
                 f"{lens_both.sessions} in-server p95 <= {lens_both.relay_p95_ms:.1f} ms, e2e p95 "
                 f"{lens_both.p95_ms:.1f} ms" if lens_both else ""))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lensdesk", default="1,4,8,12,16,20,24,28,32")
    parser.add_argument("--stock", default="1,2,3,4,5,6")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--measure", type=float, default=8.0)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
