"""The event-loop lag monitor sees a blocked loop."""

from __future__ import annotations

import asyncio
import time

from lensdesk.loop_lag import LAG_BUCKETS, LoopLagMonitor


def test_observations_land_in_their_buckets():
    monitor = LoopLagMonitor()
    for lag in (0.0005, 0.003, 0.003, 0.2, 5.0):
        monitor.observe(lag)
    assert sum(monitor.counts) == 5 and monitor.counts[-1] == 1  # 5 s is beyond the last bound
    assert monitor.counts[LAG_BUCKETS.index(0.005)] == 2 and monitor.max_s == 5.0 and monitor.last_s == 5.0


async def test_a_blocked_loop_shows_up_as_lag():
    monitor = LoopLagMonitor(interval_s=0.02)
    monitor.start()
    await asyncio.sleep(0.1)
    time.sleep(0.3)  # block the loop, as a CPU-heavy handler would  # noqa: ASYNC251
    await asyncio.sleep(0.1)
    await monitor.stop()
    assert monitor.max_s >= 0.25
    assert sum(monitor.counts) >= 3
