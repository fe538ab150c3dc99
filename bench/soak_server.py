"""`lensdesk serve` with tracemalloc on demand, for bench/soak.py --tracemalloc: SIGUSR1 starts tracing (the first
time) and writes a snapshot of the server's Python allocations to `<folder>/tracemalloc-N.snap` and its live
objects by class to `<folder>/objects-N.json` (the soak diffs the second against the last: what was allocated
after the first dump and is still alive). Tracing starts at the first dump, after warm-up, because a server
traced from its first import took over 5 minutes to start on a loaded machine.
Usage: soak_server.py FOLDER [lensdesk arguments].

A bench-only wrapper: the application itself never starts tracemalloc (it costs memory and CPU)."""

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


def _dump_on_signal(folder: Path) -> None:
    numbers = itertools.count()

    def dump(_signum: int, _frame: FrameType | None) -> None:
        n = next(numbers)
        if not tracemalloc.is_tracing():
            tracemalloc.start(8)
        tracemalloc.take_snapshot().dump(str(folder / f"tracemalloc-{n}.snap"))
        counts: dict[str, int] = {}
        for obj in gc.get_objects():  # live objects by class: what a leak of our own records would show
            name = f"{type(obj).__module__}.{type(obj).__qualname__}"
            counts[name] = counts.get(name, 0) + 1
        (folder / f"objects-{n}.json").write_text(json.dumps(counts))

    signal.signal(signal.SIGUSR1, dump)


if __name__ == "__main__":
    _dump_on_signal(Path(sys.argv[1]))
    sys.argv = [sys.argv[0], *sys.argv[2:]]
    sys.exit(main())
