"""Soak: calls with churn against a real `lensdesk serve` on loopback for a set time, sampling the server's RSS,
file descriptors, asyncio tasks, threads, temp files and database size; prints a table and each resource's
slope per hour after warm-up (flat: under 1 %/h).

    nice -n 10 .venv/bin/python bench/soak.py --minutes 30        # the documented run
    nice -n 10 .venv/bin/python bench/soak.py --minutes 480       # the long run (8 h)
    nice -n 10 .venv/bin/python bench/soak.py --minutes 20 --tracemalloc   # where memory goes (slower server)

Each churned call: create a ticket and session, the technician joins and negotiates, the customer joins, the
technician asks for video and the customer accepts (escalation), the customer's camera shows an error screen (a
synthetic VP8 clip) until the finding arrives, the technician uploads a snapshot (a manual finding), both hold
the call, the technician ends it. Traffic stays on 127.0.0.1. With --tracemalloc the server runs under
bench/soak_server.py and the bench prints what grew between the first snapshot after warm-up and the last."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

import cv2
import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from testkit.peers import EncodedClip, SyntheticCustomer, SyntheticTechnician  # noqa: E402
from testkit.servers import ServerProcess, start_server  # noqa: E402
from testkit.session_client import CallPair, start_pair  # noqa: E402
from testkit.synth.desk_clip import make_clip  # noqa: E402

COLUMNS = ("rss_mb", "fds", "tasks", "threads", "temp_files", "db_kb")


def sample(server: ServerProcess, temp_dir: Path, token: str) -> dict[str, float]:
    """One reading of the server process's resources."""
    pid = server.proc.pid
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
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


async def escalate_and_find(server: ServerProcess, token: str, pair: CallPair, snapshot: bytes,
                            counts: dict[str, int]) -> None:
    """Video off, then requested and accepted again; wait for the live finding; then a technician's snapshot."""
    await pair.customer_link.send({"type": "video_stop"})
    deadline = time.monotonic() + 10
    while not any(m.get("type") == "video_state" and m.get("state") == "off"  # noqa: ASYNC110 - a plain list
                  for m in pair.technician_link.messages):
        if time.monotonic() > deadline:
            raise TimeoutError("video did not go off")
        await asyncio.sleep(0.05)
    await pair.technician_link.send({"type": "video_request"})
    await pair.customer_link.wait_for("video_requested", 10)
    await pair.customer_link.send({"type": "video_accept"})
    await pair.customer_link.send({"type": "video_started", "facing": "environment"})
    try:
        await pair.technician_link.wait_for("finding", 30)
        counts["findings"] += 1
    except TimeoutError:
        counts["no_finding"] += 1
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=10) as http:
        (await http.post(f"/api/sessions/{pair.session.session_id}/snapshots",
                         files={"file": ("soak.jpg", snapshot, "image/jpeg")},
                         data={"note": "soak"})).raise_for_status()
    counts["snapshots"] += 1


async def churn(server: ServerProcess, clip: EncodedClip, snapshot: bytes, stop_at: float,
                hold_s: float, counts: dict[str, int]) -> None:
    """Run calls one after another until stop_at."""
    while time.monotonic() < stop_at:
        pair = None
        started = time.monotonic()
        token = server.technician_token()  # a fresh one per call: technician tokens live 15 minutes
        try:
            pair = await start_pair(server.url, token, SyntheticCustomer(clip), SyntheticTechnician(), title="soak")
            await escalate_and_find(server, token, pair, snapshot, counts)
            await asyncio.sleep(max(0.0, hold_s - (time.monotonic() - started)))
            counts["calls"] += 1
        except Exception as exc:  # counted and shown: a soak reports failures rather than stopping
            counts["failed"] += 1
            print(f"call failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        finally:
            if pair is not None:
                await pair.close(end_session=True)


def snapshot_diff(folder: Path, first: int, last: int) -> None:
    """Print the allocations and object classes that grew most between two snapshots of the server."""
    import tracemalloc
    old = tracemalloc.Snapshot.load(str(folder / f"tracemalloc-{first}.snap"))
    new = tracemalloc.Snapshot.load(str(folder / f"tracemalloc-{last}.snap"))
    print(f"\ntracemalloc: traced {sum(s.size for s in old.statistics('filename')) / 1e6:.1f} MB -> "
          f"{sum(s.size for s in new.statistics('filename')) / 1e6:.1f} MB; largest growth by line:")
    for stat in new.compare_to(old, "lineno")[:15]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {stat.traceback[0]}")
    before = json.loads((folder / f"objects-{first}.json").read_text())
    after = json.loads((folder / f"objects-{last}.json").read_text())
    grown = sorted(((after[k] - before.get(k, 0), k) for k in after), reverse=True)[:15]
    print("live objects that grew most (class: before -> after):")
    for diff, name in grown:
        print(f"  {name}: {before.get(name, 0)} -> {after[name]} ({diff:+d})")


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="lensdesk-soak-") as work:
        temp_dir = Path(work) / "tmp"
        temp_dir.mkdir()
        snaps = Path(work) / "snapshots"
        snaps.mkdir()
        # As a module from the repository root: run as a script, bench/ would shadow the `signaling` package.
        command = [sys.executable, "-m", "bench.soak_server", str(snaps)] if args.tracemalloc else None
        # An error screen at 10 fps (cheap to encode): every call makes a finding.
        clip, _, _ = make_clip(7, neutral_s=1.0, screen_s=2.0, fps=10)
        ok, jpeg = cv2.imencode(".jpg", np.full((480, 640, 3), (60, 120, 180), np.uint8))
        assert ok
        server = start_server(Path(work) / "data", env={"TMPDIR": str(temp_dir), "PYTHONPATH": str(REPO)},
                              command=command,
                              timeout_s=300 if args.tracemalloc else 90)  # imports are slow under tracemalloc
        counts = {"calls": 0, "failed": 0, "findings": 0, "no_finding": 0, "snapshots": 0}
        dumps: list[float] = []
        started = time.monotonic()
        stop_at = started + args.minutes * 60
        workers = [asyncio.create_task(churn(server, clip, jpeg.tobytes(), stop_at, args.hold_seconds,
                                             counts)) for _ in range(args.calls)]
        rows: list[tuple[float, dict[str, float]]] = []
        print(f"{'minute':>7} {'calls':>6} " + " ".join(f"{c:>10}" for c in COLUMNS), flush=True)
        try:
            while time.monotonic() < stop_at:
                await asyncio.sleep(min(args.sample_seconds, max(0.0, stop_at - time.monotonic())))
                t = time.monotonic() - started
                row = await asyncio.to_thread(sample, server, temp_dir, server.technician_token())
                rows.append((t, row))
                if args.tracemalloc and t >= args.warmup_minutes * 60:
                    server.proc.send_signal(signal.SIGUSR1)  # a snapshot of the server's allocations
                    dumps.append(t)
                print(f"{t / 60:7.1f} {counts['calls']:6d} " + " ".join(f"{row[c]:10.1f}" for c in COLUMNS),
                      flush=True)
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            with contextlib.suppress(Exception):
                server.kill(15)
        after = [(t, r) for t, r in rows if t >= args.warmup_minutes * 60]
        print(f"\n{counts['calls']} calls ({counts['failed']} failed; {counts['findings']} live findings, "
              f"{counts['no_finding']} calls without one, {counts['snapshots']} snapshots) in {args.minutes} min, "
              f"{args.calls} at a time; slope after {args.warmup_minutes} min warm-up ({len(after)} samples):")
        flat = True
        for c in COLUMNS:
            s = slope_per_hour([(t, r[c]) for t, r in after])
            flat &= abs(s) < 1.0 or s != s
            print(f"  {c:>10}: {s:+7.2f} %/h")
        print("flat (every slope under 1 %/h)" if flat else "NOT flat")
        log = server.log()
        print(f"server log: {log.count('Traceback')} tracebacks")
        if len(dumps) >= 2:
            snapshot_diff(snaps, 0, len(dumps) - 1)
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to churn (30 documented; 480 = 8 h)")
    parser.add_argument("--calls", type=int, default=2, help="calls running at once")
    parser.add_argument("--hold-seconds", type=float, default=8.0, help="how long each call lasts (at least)")
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--warmup-minutes", type=float, default=3.0)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="run the server under tracemalloc and print what grew after warm-up")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
