"""Wait on a condition by polling it, instead of sleeping for a fixed time (one helper, not one per test file)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def eventually(condition: Callable[[], object], within_s: float = 15.0, interval_s: float = 0.05,
                     what: str = "the condition") -> float:
    """Seconds until condition() was truthy; AssertionError naming `what` after within_s seconds."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within_s:
            raise AssertionError(f"{what} did not hold within {within_s:.1f} s")
        await asyncio.sleep(interval_s)
    return time.monotonic() - started


def wait_until(condition: Callable[[], object], within_s: float = 15.0, interval_s: float = 0.05,
               what: str = "the condition") -> float:
    """Blocking eventually(): for tests without an event loop (subprocess servers, worker processes)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within_s:
            raise AssertionError(f"{what} did not hold within {within_s:.1f} s")
        time.sleep(interval_s)
    return time.monotonic() - started
