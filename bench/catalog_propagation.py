"""Catalog edits reaching every node: time from an entry saved through node A's API until node B's analysis worker
reads with it, and the CPU a change costs.

Starts a real redis-server on loopback and two lensdesk nodes in this process (each with its own bus connection,
catalog service and one analysis worker process; one SQLite database), then saves `--edits` entries on node A one
after another and, for each, times (wall clock, the figure that matters to a technician) until node B's catalog
service has applied it (bus + database read) and until node B's worker has acknowledged the new version. Also
prints the CPU time (process_time) of building the new catalog and its delta for the built-in catalog's size.

    .venv/bin/python bench/catalog_propagation.py [--edits 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnostics.catalog import CatalogEntry, load_catalog  # noqa: E402
from diagnostics.config import DEFAULT_CATALOG  # noqa: E402
from testkit.inprocess import serve_in_process  # noqa: E402
from testkit.servers import running_redis  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _line(name: str, values_ms: list[float]) -> str:
    return (f"{name:<38} p50 {statistics.median(values_ms):7.1f} ms   p95 {_pct(values_ms, 0.95):7.1f} ms   "
            f"max {max(values_ms):7.1f} ms")


def delta_cost(repeats: int = 50) -> tuple[int, float]:
    """(entries in the built-in catalog, CPU ms per edit for overlay + diff + apply, as node and worker do)."""
    catalog = load_catalog(DEFAULT_CATALOG)
    started = time.process_time()
    for i in range(repeats):
        newer = catalog.overlaid([CatalogEntry("bench", f"B{i}", "t", "c", "r", "info")])
        catalog.applied(catalog.diff(newer, i, i + 1))
    return len(catalog), (time.process_time() - started) * 1000 / repeats


async def propagation(edits: int) -> tuple[list[float], list[float], list[float]]:
    """Per edit: ms until node A answered, until node B's catalog has it, until node B's worker reads with it."""
    with tempfile.TemporaryDirectory() as tmp, running_redis(Path(tmp) / "redis") as redis_url:
        options = {"redis_url": redis_url, "recording_enabled": False, "analysis_workers": 1}
        async with serve_in_process(Path(tmp) / "data", **options) as node_a, \
                serve_in_process(Path(tmp) / "data", **options) as node_b:
            pool = node_b.services.calls._analysis_pool
            pool.start()
            for _ in range(1200):  # until the worker is up and reading (spawning takes seconds on a busy machine)
                if pool.worker_catalog_versions() == [0]:
                    break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError("node B's analysis worker did not start")
            answer_times, node_times, worker_times = [], [], []
            headers = {"Authorization": f"Bearer {node_a.technician_token()}"}
            async with httpx.AsyncClient(headers=headers, timeout=10) as client:
                for i in range(edits):
                    entry = {"family": "bench", "code": f"B-{i:03d}", "title": "Bench entry", "cause": "A bench.",
                             "remedy": "None needed.", "severity": "info"}
                    started = time.perf_counter()
                    response = await client.post(node_a.url + "/api/catalog", json=entry)
                    response.raise_for_status()
                    answer_times.append((time.perf_counter() - started) * 1000)
                    version = node_a.services.catalog.version
                    node_done = None
                    while pool.worker_catalog_versions() != [version]:
                        if node_done is None and node_b.services.catalog.version >= version:
                            node_done = time.perf_counter()
                        if time.perf_counter() - started > 10:
                            raise RuntimeError(f"edit {i} did not reach node B's worker within 10 s")
                        await asyncio.sleep(0.001)
                    done = time.perf_counter()
                    node_times.append(((node_done or done) - started) * 1000)
                    worker_times.append((done - started) * 1000)
            return answer_times, node_times, worker_times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args()
    entries, cpu_ms = delta_cost()
    print(f"built-in catalog: {entries} entries; overlay + diff + apply of one edit: {cpu_ms:.2f} ms CPU")
    answer_ms, node_ms, worker_ms = asyncio.run(propagation(args.edits))
    print(f"{args.edits} edits saved on node A (POST /api/catalog), measured from the request:")
    print(_line("node A answered (saved, audited)", answer_ms))
    print(_line("node B's catalog has it", node_ms))
    print(_line("node B's analysis worker reads with it", worker_ms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
