"""Event-loop lag: how late a periodic wake-up runs, i.e. how long something blocked the loop all media shares."""

from __future__ import annotations

import asyncio
import bisect
import contextlib

LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class LoopLagMonitor:
    """Sleeps `interval_s` in a loop and records how much later than asked each wake-up came."""

    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval_s = interval_s
        self.counts = [0] * (len(LAG_BUCKETS) + 1)  # per bucket; the last is +Inf
        self.total_s = 0.0
        self.last_s = 0.0
        self.max_s = 0.0
        self._task: asyncio.Task[None] | None = None

    def observe(self, lag_s: float) -> None:
        """Count one measured delay."""
        lag_s = max(0.0, lag_s)
        self.counts[bisect.bisect_left(LAG_BUCKETS, lag_s)] += 1
        self.total_s += lag_s
        self.last_s = lag_s
        self.max_s = max(self.max_s, lag_s)

    def start(self) -> None:
        """Begin measuring on the running loop."""
        self._task = asyncio.create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        """Stop measuring."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval_s
            await asyncio.sleep(self.interval_s)
            self.observe(loop.time() - due)
