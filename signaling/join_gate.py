"""How many joins a node works on at once: the others wait their turn in order, up to a depth; beyond it (or after
waiting too long) a join is refused with `busy` and a `retry_after_ms` the pages honour.

A burst of joins (a load balancer's node came back, a shift starts) must queue rather than time out: each join
costs database writes and Redis round trips, and working on hundreds at once makes every one of them late.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from . import messages as m

BUSY_MESSAGE = "The call server is taking many joins right now; your page tries again by itself."
MIN_RETRY_MS = 500
MAX_RETRY_MS = 15_000


@dataclass(frozen=True)
class JoinLimits:
    """in_flight: joins worked on at once; depth: joins that may wait; max_wait_s: how long one may wait."""

    in_flight: int = 8
    depth: int = 1000
    max_wait_s: float = 10.0


class JoinGate:
    """A FIFO of joins with a bound on those in flight and on those waiting."""

    def __init__(self, limits: JoinLimits = JoinLimits(), clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._running = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._durations: collections.deque[float] = collections.deque(maxlen=64)  # recent joins' work, seconds
        self.refused = 0

    @property
    def running(self) -> int:
        """Joins being worked on now."""
        return self._running

    @property
    def waiting(self) -> int:
        """Joins waiting for their turn now."""
        return len(self._waiting)

    def retry_after_ms(self) -> int:
        """When a refused join should come back: about when the joins ahead of it will be done."""
        mean_s = sum(self._durations) / len(self._durations) if self._durations else 0.05
        ahead = self._running + len(self._waiting)
        return int(min(MAX_RETRY_MS, max(MIN_RETRY_MS, 1000 * mean_s * ahead / self.limits.in_flight)))

    def _busy(self) -> m.ProtocolError:
        self.refused += 1
        return m.ProtocolError("busy", BUSY_MESSAGE, self.retry_after_ms())

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for this join's turn (ProtocolError `busy` when the queue is full or the wait too long)."""
        if self._running >= self.limits.in_flight or self._waiting:
            if len(self._waiting) >= self.limits.depth:
                raise self._busy()
            ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append(ticket)
            try:
                await asyncio.wait_for(asyncio.shield(ticket), self.limits.max_wait_s)
            except TimeoutError:
                if ticket.done():  # the turn came at the deadline: pass it on
                    self._next()
                else:
                    self._waiting.remove(ticket)
                raise self._busy() from None
            except BaseException:
                if ticket.done():
                    self._next()
                else:
                    self._waiting.remove(ticket)
                raise
        else:
            self._running += 1
        started = self._clock()
        try:
            yield
        finally:
            self._durations.append(self._clock() - started)
            self._next()

    def _next(self) -> None:
        """A turn ends: hand it to the oldest waiting join (it counts as running from now), else free it."""
        while self._waiting:
            ticket = self._waiting.popleft()
            if not ticket.done():
                ticket.set_result(None)  # the slot passes on: _running stays the same
                return
        self._running -= 1
