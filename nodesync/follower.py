"""Keeping every node current with a table that any node (or the CLI) appends to: code-catalog edits, revocations.

The change is stored first, then announced on a bus channel. Each node follows: it catches up from the table at
start, acts on every announcement at once, catches up again whenever the bus is back after an outage (what was
announced meanwhile was lost with the subscription), and polls the table as a last fallback (a CLI without Redis,
a dropped message). One definition of that follow loop for every such table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from signaling.bus import Bus, Subscription

log = logging.getLogger(__name__)

CatchUp = Callable[[], Awaitable[object]]
Announced = Callable[[str], Awaitable[None]]


class Follower:
    """Follows one table through its bus channel, bus reconnections and a fallback poll."""

    def __init__(self, name: str, bus: Bus | None, channel: str, catch_up: CatchUp, announced: Announced, *,
                 poll_s: float, every_poll: Callable[[], object] | None = None) -> None:
        self._name, self._bus, self._channel = name, bus, channel
        self._catch_up, self._announced, self._every_poll = catch_up, announced, every_poll
        self._poll_s = poll_s
        self._subscription: Subscription | None = None
        self._poller: asyncio.Task[None] | None = None
        self.caught_up_after_reconnect = 0  # catch-ups a bus reconnection started (for tests and metrics)

    async def start(self) -> None:
        """Catch up, then follow the channel, reconnections and the poll."""
        await self._catch_up()
        if self._bus is not None:
            self._subscription = await self._bus.subscribe(self._channel, self._heard)
            self._bus.on_reconnect(self._reconnected)
        self._poller = asyncio.create_task(self._poll(), name=f"{self._name}-poll")

    async def stop(self) -> None:
        """Stop following."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

    async def announce(self, data: str) -> None:
        """Tell the other nodes (the change is stored already: should Redis be away, their polls find it)."""
        if self._bus is None:
            return
        try:
            await self._bus.publish(self._channel, data)
        except Exception:
            log.exception("%s: could not announce a change; other nodes' polls will pick it up", self._name)

    async def _heard(self, data: str) -> None:
        try:
            await self._announced(data)
        except Exception:
            log.exception("%s: acting on an announcement failed", self._name)

    async def _reconnected(self) -> None:
        if self._poller is None:  # stopped
            return
        self.caught_up_after_reconnect += 1
        try:
            await self._catch_up()
        except Exception:
            log.exception("%s: catching up after the bus came back failed", self._name)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                await self._catch_up()
            except Exception:
                log.exception("%s: polling failed", self._name)
            if self._every_poll is not None:
                self._every_poll()
