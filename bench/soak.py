"""Soak: calls with churn against a real `lensdesk serve` on loopback for a set time, sampling the server's RSS,
file descriptors, asyncio tasks, threads, temp files and database size; prints a table and each resource's
slope per hour after warm-up (flat: under 1 %/h).

    nice -n 10 .venv/bin/python bench/soak.py --minutes 30        # the documented run
    nice -n 10 .venv/bin/python bench/soak.py --minutes 480       # the long run (8 h)
    nice -n 10 .venv/bin/python bench/soak.py --minutes 20 --tracemalloc   # where memory goes (slower server)

Each churned call: create a ticket and session, the technician joins and negotiates, the customer joins, the
technician asks for video and the customer accepts (escalation), the customer's camera shows an error screen (a
synthetic VP8 clip) until the finding arrives, the technician uploads a snapshot (a manual finding), both hold
the call, the technician ends it. Traffic stays on 127.0.0.1.

Every sample is taken at the same phase: the churn is held until the server reports 0 calls, teardown settles,
the server runs a full garbage collection (bench/soak_server.py wraps `lensdesk serve` for that signal: each
call's aiortc objects are cyclic garbage until the collector's next full pass), then the readings are taken.
With --tracemalloc the bench also prints what grew between the second snapshot after warm-up and the last
(tracing starts at the first)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from media.host_addresses import gather_host_candidates_on  # noqa: E402
from testkit.peers import EncodedClip, SyntheticCustomer, SyntheticTechnician  # noqa: E402
from testkit.servers import ServerProcess, start_server  # noqa: E402
from testkit.session_client import CallPair, start_pair  # noqa: E402
from testkit.synth.desk_clip import make_clip  # noqa: E402

COLUMNS = ("rss_mb", "fds", "tasks", "threads", "temp_files", "db_kb")


def sample(server: ServerProcess, temp_dir: Path, token: str) -> dict[str, float]:
    """One reading of the server process's resources."""
    if server.proc.poll() is not None:
        raise RuntimeError(f"the server exited with code {server.proc.returncode}:\n{server.log()[-3000:]}")
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


GROWS_BY_DESIGN = {"db_kb"}  # every churned call leaves a ticket, a session, participants and audit rows
FLAT_PERCENT_PER_HOUR = 1.0  # issue 15: flat means a slope under 1 % per hour after warm-up


@dataclass(frozen=True)
class Verdict:
    """One resource's trend over the samples after warm-up."""

    first: float
    last: float
    lowest: float
    highest: float
    percent_per_hour: float
    per_call: float  # the fitted change per completed call, in the resource's unit

    @property
    def flat(self) -> bool:
        """Under the bar, or not measurable (fewer than two samples)."""
        return not abs(self.percent_per_hour) >= FLAT_PERCENT_PER_HOUR

    def line(self, name: str) -> str:
        """A printed line: values, slope, verdict."""
        verdict = "grows by design" if name in GROWS_BY_DESIGN else ("flat" if self.flat else "NOT flat")
        return (f"{name:>10}: {self.first:9.1f} -> {self.last:9.1f} (range {self.lowest:.1f}-{self.highest:.1f}) "
                f"{self.percent_per_hour:+7.2f} %/h, {self.per_call:+.4f} per call: {verdict}")


def verdicts(rows: list[tuple[float, int, dict[str, float]]]) -> dict[str, Verdict]:
    """Each resource's trend over (seconds, calls completed, readings) rows taken at the same phase."""
    out = {}
    for c in COLUMNS:
        values = [r[c] for _, _, r in rows]
        by_call = slope_per_hour([(float(n), r[c]) for _, n, r in rows])  # % of the mean per 3600 calls
        mean = sum(values) / len(values) if values else 0.0
        out[c] = Verdict(values[0] if values else float("nan"), values[-1] if values else float("nan"),
                         min(values, default=float("nan")), max(values, default=float("nan")),
                         slope_per_hour([(t, r[c]) for t, _, r in rows]),
                         by_call / 100 * mean / 3600 if by_call == by_call else float("nan"))
    return out


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


class Phase:
    """Lets the sampler read the server between calls: churn starts no new call while `open` is clear."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.open.set()
        self.in_flight = 0


async def churn(server: ServerProcess, clip: EncodedClip, snapshot: bytes, stop_at: float,
                hold_s: float, counts: dict[str, int], phase: Phase) -> None:
    """Run calls one after another until stop_at, pausing while the sampler reads the server."""
    while time.monotonic() < stop_at:
        await phase.open.wait()
        if time.monotonic() >= stop_at:
            break
        pair = None
        started = time.monotonic()
        phase.in_flight += 1
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
                with contextlib.suppress(Exception):
                    await pair.close(end_session=True)
            phase.in_flight -= 1


def calls_on_server(server: ServerProcess, token: str) -> float:
    """The server's own count of calls running (`lensdesk_calls` in /metrics)."""
    metrics = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10).text
    found = re.search(r"^lensdesk_calls (\S+)$", metrics, re.M)
    return float(found.group(1)) if found else float("nan")


async def between_calls(server: ServerProcess, phase: Phase, settle_s: float) -> float:
    """Stop starting calls, wait until none is in flight here and the server reports 0 calls, let teardown
    settle; returns how long the churn was held. Every sample is taken at this same phase, so fds, tasks and
    threads are compared like with like instead of by where a sample fell in a call."""
    held = time.monotonic()
    phase.open.clear()
    deadline = held + 180
    while phase.in_flight and time.monotonic() < deadline:  # noqa: ASYNC110 - a counter, polled
        await asyncio.sleep(0.1)
    while time.monotonic() < deadline:
        if await asyncio.to_thread(calls_on_server, server, server.technician_token()) == 0:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(settle_s)
    return time.monotonic() - held


async def full_collection(server: ServerProcess, folder: Path) -> float:
    """Have the server run a full garbage collection (bench/soak_server.py, SIGUSR2); the objects it freed.

    Each call leaves its aiortc objects as cyclic garbage until Python's next full collection; reading memory
    after one measures what the server keeps rather than when its collector last ran."""
    done = folder / "collected.txt"
    done.unlink(missing_ok=True)
    server.proc.send_signal(signal.SIGUSR2)
    deadline = time.monotonic() + 60
    while not done.exists():
        if time.monotonic() > deadline:
            return float("nan")
        await asyncio.sleep(0.05)
    return float(done.read_text())


def snapshot_diff(folder: Path, first: int, last: int) -> None:
    """Print the allocations and object classes that grew most between two snapshots of the server."""
    import tracemalloc
    old = tracemalloc.Snapshot.load(str(folder / f"tracemalloc-{first}.snap"))
    new = tracemalloc.Snapshot.load(str(folder / f"tracemalloc-{last}.snap"))
    print(f"\ntracemalloc: traced {sum(s.size for s in old.statistics('filename')) / 1e6:.1f} MB -> "
          f"{sum(s.size for s in new.statistics('filename')) / 1e6:.1f} MB; largest growth by line:")
    for stat in new.compare_to(old, "lineno")[:15]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {stat.traceback[0]}")
    print("largest growth by call chain (innermost first, up to 6 frames):")
    for stat in new.compare_to(old, "traceback")[:8]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks")
        for frame in list(stat.traceback)[-1:-7:-1]:
            print(f"      {frame.filename.removeprefix(str(REPO) + '/')}:{frame.lineno}")
    before = json.loads((folder / f"objects-{first}.json").read_text())
    after = json.loads((folder / f"objects-{last}.json").read_text())
    grown = sorted(((after[k] - before.get(k, 0), k) for k in after), reverse=True)[:15]
    print("live objects that grew most (class: before -> after):")
    for diff, name in grown:
        print(f"  {name}: {before.get(name, 0)} -> {after[name]} ({diff:+d})")


async def run(args: argparse.Namespace) -> int:
    # The bench's own peers gather on 127.0.0.1 only, as the tests' do (tests/conftest.py): aioice leaves loopback
    # out by default, and the server refuses the other interfaces' candidates, so without this no call of the
    # soak ever carried media (ICE: "no candidate pairs"), as happened in its first runs.
    gather_host_candidates_on(["127.0.0.1"])
    with tempfile.TemporaryDirectory(prefix="lensdesk-soak-") as work:
        temp_dir = Path(work) / "tmp"
        temp_dir.mkdir()
        snaps = Path(work) / "snapshots"
        snaps.mkdir()
        # As a module from the repository root: run as a script, bench/ would shadow the `signaling` package.
        # The real `lensdesk serve`, wrapped for the signals the bench sends between calls (full collection, dumps).
        command = [sys.executable, "-m", "bench.soak_server", str(snaps)]
        # An error screen at 10 fps (cheap to encode): every call makes a finding.
        clip, _, _ = make_clip(7, neutral_s=1.0, screen_s=2.0, fps=10)
        ok, jpeg = cv2.imencode(".jpg", np.full((480, 640, 3), (60, 120, 180), np.uint8))
        assert ok
        server = start_server(Path(work) / "data", env={"TMPDIR": str(temp_dir), "PYTHONPATH": str(REPO)},
                              command=command, timeout_s=180)
        counts = {"calls": 0, "failed": 0, "findings": 0, "no_finding": 0, "snapshots": 0}
        dumps: list[float] = []
        phase = Phase()
        started = time.monotonic()
        stop_at = started + args.minutes * 60
        workers = [asyncio.create_task(churn(server, clip, jpeg.tobytes(), stop_at, args.hold_seconds,
                                             counts, phase)) for _ in range(args.calls)]
        rows: list[tuple[float, int, dict[str, float]]] = []
        loads: list[float] = []
        held_s = 0.0
        print(f"{'minute':>7} {'calls':>6} " + " ".join(f"{c:>10}" for c in COLUMNS) + f" {'load1':>6} "
              f"{'gc_freed':>9}", flush=True)
        try:
            while time.monotonic() < stop_at:
                await asyncio.sleep(min(args.sample_seconds, max(0.0, stop_at - time.monotonic())))
                held_s += await between_calls(server, phase, args.settle_seconds)
                freed = await full_collection(server, snaps)
                t = time.monotonic() - started
                row = await asyncio.to_thread(sample, server, temp_dir, server.technician_token())
                if args.tracemalloc and t >= args.warmup_minutes * 60:
                    server.proc.send_signal(signal.SIGUSR1)  # a snapshot of the server's allocations, between calls
                    dumps.append(t)
                    await asyncio.sleep(args.settle_seconds)  # the dump runs on the server's loop: not during calls
                phase.open.set()
                rows.append((t, counts["calls"], row))
                loads.append(os.getloadavg()[0])
                print(f"{t / 60:7.1f} {counts['calls']:6d} " + " ".join(f"{row[c]:10.1f}" for c in COLUMNS)
                      + f" {loads[-1]:6.1f} {freed:9.0f}", flush=True)
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            with contextlib.suppress(Exception):
                server.kill(15)
            if args.keep_log:
                shutil.copy(server.log_path, args.keep_log)
        after = [(t, n, r) for t, n, r in rows if t >= args.warmup_minutes * 60]
        print(f"\n{counts['calls']} calls ({counts['failed']} failed; {counts['findings']} live findings, "
              f"{counts['no_finding']} calls without one, {counts['snapshots']} snapshots) in {args.minutes} min, "
              f"{args.calls} at a time; every sample taken between calls (0 calls on the server, "
              f"{args.settle_seconds:g} s after the last ended, after a full garbage collection; churn held "
              f"{held_s / 60:.1f} min in all); "
              f"load average {min(loads, default=0):.1f}-{max(loads, default=0):.1f}")
        if counts["calls"] and not counts["findings"]:
            print("WARNING: no call got a live finding: did media flow? (the server log says why)")
        print(f"after {args.warmup_minutes:g} min warm-up ({len(after)} samples, "
              f"{after[-1][1] - after[0][1] if after else 0} calls):")
        flat = True
        for c, verdict in verdicts(after).items():
            flat &= verdict.flat or c in GROWS_BY_DESIGN
            print(f"  {verdict.line(c)}")
        print("flat: every resource's slope under 1 %/h (the database grows by design)" if flat else "NOT flat")
        log = server.log()
        print(f"server log: {log.count('Traceback')} tracebacks")
        if len(dumps) >= 3:  # the first dump only starts tracing: diff the second against the last
            snapshot_diff(snaps, 1, len(dumps) - 1)
        if args.keep_snapshots:
            shutil.copytree(snaps, args.keep_snapshots, dirs_exist_ok=True)
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to churn (30 documented; 480 = 8 h)")
    parser.add_argument("--calls", type=int, default=2, help="calls running at once")
    parser.add_argument("--hold-seconds", type=float, default=8.0, help="how long each call lasts (at least)")
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--warmup-minutes", type=float, default=3.0)
    parser.add_argument("--settle-seconds", type=float, default=2.0,
                        help="wait after the last call ended before a sample (teardown finishing)")
    parser.add_argument("--keep-log", type=Path, help="copy the server's log to this file")
    parser.add_argument("--keep-snapshots", type=Path, help="copy the tracemalloc snapshots to this folder")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="run the server under tracemalloc and print what grew after warm-up")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
