"""`lensdesk serve` for bench/soak.py, with two signals the bench uses between calls.

SIGUSR2: a full garbage collection; the number of objects it freed goes to `<folder>/collected.txt`. Every call
leaves its aiortc objects (peer connection, transports, receivers with their bitrate estimators: about 0.2 MB)
as cyclic garbage, which Python frees only at its next full collection, every few calls; the soak reads the
server's memory after one so that it measures what stays, not when the collector last ran.
SIGUSR1: tracemalloc on demand (bench/soak.py --tracemalloc): the first signal starts tracing, every one writes
a snapshot of the Python allocations to `<folder>/tracemalloc-N.snap` and the live objects by class (after a
full collection) to `<folder>/objects-N.json`; the soak diffs the second against the last (allocated after the
first dump and still alive). Tracing starts at the first dump, after warm-up, because a server traced from its
first import took over 5 minutes to start on a loaded machine.
Usage: python -m bench.soak_server FOLDER [lensdesk arguments].

A bench-only wrapper: the application itself never starts tracemalloc nor forces collections."""

from __future__ import annotations

import gc
import itertools
import json
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType

from lensdesk.cli import main


def _on_signals(folder: Path) -> None:
    numbers = itertools.count()

    def dump(_signum: int, _frame: FrameType | None) -> None:
        n = next(numbers)
        if not tracemalloc.is_tracing():
            tracemalloc.start(8)
        gc.collect()  # count what is alive, not garbage waiting for the collector
        tracemalloc.take_snapshot().dump(str(folder / f"tracemalloc-{n}.snap"))
        counts: dict[str, int] = {}
        for obj in gc.get_objects():  # live objects by class: what a leak of our own records would show
            name = f"{type(obj).__module__}.{type(obj).__qualname__}"
            counts[name] = counts.get(name, 0) + 1
        (folder / f"objects-{n}.json").write_text(json.dumps(counts))

    def collect(_signum: int, _frame: FrameType | None) -> None:
        freed = gc.collect()
        (folder / "collected.tmp").write_text(str(freed))
        (folder / "collected.tmp").replace(folder / "collected.txt")

    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGUSR2, collect)


if __name__ == "__main__":
    _on_signals(Path(sys.argv[1]))
    sys.argv = [sys.argv[0], *sys.argv[2:]]
    sys.exit(main())
