"""Soak: calls with churn against a real `lensdesk serve` on loopback for a set time, sampling the server's RSS,
file descriptors, asyncio tasks, threads, temp files and database size; prints a table and each resource's
slope per hour after warm-up (flat: under 1 %/h).

    nice -n 10 .venv/bin/python bench/soak.py --minutes 30        # the documented run
    nice -n 10 .venv/bin/python bench/soak.py --minutes 480       # the long run (8 h)

Each churned call: create a ticket and session, the technician joins and negotiates, the customer joins and sends
video (a synthetic VP8 clip), both hold the call, the technician ends it. Traffic stays on 127.0.0.1."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.peers import SyntheticCustomer, SyntheticTechnician, moving_bar_clip  # noqa: E402
from bench.session_client import start_pair  # noqa: E402
from tests.support import ServerProcess, start_server  # noqa: E402

COLUMNS = ("rss_mb", "fds", "tasks", "threads", "temp_files", "db_kb")


def sample(server: ServerProcess, temp_dir: Path, token: str) -> dict[str, float]:
    """One reading of the server process's resources."""
    pid = server.proc.pid
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    metrics = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10).text
    tasks = re.search(r"^lensdesk_asyncio_tasks (\S+)$", metrics, re.M)
    db_bytes = sum(p.stat().st_size for p in server.data_dir.rglob("*.db*") if p.is_file())
    return {"rss_mb": rss_kb / 1024, "fds": len(list(Path(f"/proc/{pid}/fd").iterdir())),
            "tasks": float(tasks.group(1)) if tasks else float("nan"), "threads": threads,
            "temp_files": sum(1 for p in temp_dir.rglob("*") if p.is_file()), "db_kb": db_bytes / 1024}


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope in % of the mean per hour."""
    n = len(points)
    if n < 2:
        return float("nan")
    mt, mv = sum(t for t, _ in points) / n, sum(v for _, v in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0 or mv == 0:
        return 0.0
    slope = sum((t - mt) * (v - mv) for t, v in points) / var  # per second
    return slope * 3600 / mv * 100


async def churn(server: ServerProcess, token: str, stop_at: float, hold_s: float, counts: dict[str, int]) -> None:
    """Run calls one after another until stop_at."""
    clip = moving_bar_clip(keyframe_interval=30, seconds=2.0)
    while time.monotonic() < stop_at:
        pair = None
        try:
            pair = await start_pair(server.url, token, SyntheticCustomer(clip), SyntheticTechnician(), title="soak")
            await asyncio.sleep(hold_s)
            counts["calls"] += 1
        except Exception as exc:  # counted and shown: a soak reports failures rather than stopping
            counts["failed"] += 1
            print(f"call failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        finally:
            if pair is not None:
                await pair.close(end_session=True)


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="lensdesk-soak-") as work:
        temp_dir = Path(work) / "tmp"
        temp_dir.mkdir()
        server = start_server(Path(work) / "data", env={"TMPDIR": str(temp_dir)})
        token = server.technician_token()
        counts = {"calls": 0, "failed": 0}
        started = time.monotonic()
        stop_at = started + args.minutes * 60
        workers = [asyncio.create_task(churn(server, token, stop_at, args.hold_seconds, counts))
                   for _ in range(args.calls)]
        rows: list[tuple[float, dict[str, float]]] = []
        print(f"{'minute':>7} {'calls':>6} " + " ".join(f"{c:>10}" for c in COLUMNS), flush=True)
        try:
            while time.monotonic() < stop_at:
                await asyncio.sleep(min(args.sample_seconds, max(0.0, stop_at - time.monotonic())))
                t = time.monotonic() - started
                row = await asyncio.to_thread(sample, server, temp_dir, token)
                rows.append((t, row))
                print(f"{t / 60:7.1f} {counts['calls']:6d} " + " ".join(f"{row[c]:10.1f}" for c in COLUMNS),
                      flush=True)
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            with contextlib.suppress(Exception):
                server.kill(15)
        after = [(t, r) for t, r in rows if t >= args.warmup_minutes * 60]
        print(f"\n{counts['calls']} calls ({counts['failed']} failed) in {args.minutes} min, "
              f"{args.calls} at a time; slope after {args.warmup_minutes} min warm-up ({len(after)} samples):")
        flat = True
        for c in COLUMNS:
            s = slope_per_hour([(t, r[c]) for t, r in after])
            flat &= abs(s) < 1.0 or s != s
            print(f"  {c:>10}: {s:+7.2f} %/h")
        print("flat (every slope under 1 %/h)" if flat else "NOT flat")
        log = server.log()
        print(f"server log: {log.count('Traceback')} tracebacks")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to churn (30 documented; 480 = 8 h)")
    parser.add_argument("--calls", type=int, default=2, help="calls running at once")
    parser.add_argument("--hold-seconds", type=float, default=5.0, help="how long each call lasts")
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--warmup-minutes", type=float, default=3.0)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
