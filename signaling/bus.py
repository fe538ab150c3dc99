"""The bus between lensdesk nodes: room ownership and message channels (in-process, or Redis for many nodes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger(__name__)

Handler = Callable[[str], Awaitable[None]]


class Subscription(Protocol):
    """A live channel subscription."""

    async def close(self) -> None:
        """Stop receiving."""


class Bus(Protocol):
    """What routing needs from the shared medium."""

    async def claim_room(self, session_id: str, node_id: str, ttl_s: int) -> str:
        """Make node_id the room's owner unless another node owns it; returns the owner."""

    async def refresh_room(self, session_id: str, node_id: str, ttl_s: int) -> None:
        """Extend the owner's claim."""

    async def release_room(self, session_id: str, node_id: str) -> None:
        """Give the room up (only if node_id still owns it)."""

    async def publish(self, channel: str, data: str) -> None:
        """Send data to a channel's subscribers."""

    async def subscribe(self, channel: str, handler: Handler) -> Subscription:
        """Call handler for every message on the channel, in order."""

    async def close(self) -> None:
        """Release connections."""


class _LocalSubscription:
    def __init__(self, bus: InProcessBus, channel: str, handler: Handler) -> None:
        self._bus, self._channel, self._handler = bus, channel, handler

    async def close(self) -> None:
        handlers = self._bus.handlers.get(self._channel, [])
        if self._handler in handlers:
            handlers.remove(self._handler)


class InProcessBus:
    """One node: every room is owned here and channels are plain callbacks."""

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}
        self.handlers: dict[str, list[Handler]] = {}

    async def claim_room(self, session_id: str, node_id: str, ttl_s: int) -> str:
        return self.owners.setdefault(session_id, node_id)

    async def refresh_room(self, session_id: str, node_id: str, ttl_s: int) -> None:
        self.owners.setdefault(session_id, node_id)

    async def release_room(self, session_id: str, node_id: str) -> None:
        if self.owners.get(session_id) == node_id:
            del self.owners[session_id]

    async def publish(self, channel: str, data: str) -> None:
        for handler in list(self.handlers.get(channel, [])):
            await handler(data)

    async def subscribe(self, channel: str, handler: Handler) -> Subscription:
        self.handlers.setdefault(channel, []).append(handler)
        return _LocalSubscription(self, channel, handler)

    async def close(self) -> None:
        self.handlers.clear()


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


class _RedisSubscription:
    def __init__(self, task: asyncio.Task[None], pubsub: object) -> None:
        self._task, self._pubsub = task, pubsub

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[attr-defined]


class RedisBus:
    """Rooms owned through SET NX with a TTL; channels over Redis pub/sub."""

    PREFIX = "lensdesk:"

    def __init__(self, url: str) -> None:
        from redis import asyncio as aioredis

        self._redis = aioredis.from_url(url, decode_responses=True)

    async def claim_room(self, session_id: str, node_id: str, ttl_s: int) -> str:
        key = f"{self.PREFIX}room:{session_id}"
        if await self._redis.set(key, node_id, nx=True, ex=ttl_s):
            return node_id
        owner = await self._redis.get(key)
        if owner is None:  # expired in between: try once more
            return node_id if await self._redis.set(key, node_id, nx=True, ex=ttl_s) else str(await self._redis.get(key))
        return str(owner)

    async def refresh_room(self, session_id: str, node_id: str, ttl_s: int) -> None:
        key = f"{self.PREFIX}room:{session_id}"
        if await self._redis.get(key) in (None, node_id):
            await self._redis.set(key, node_id, ex=ttl_s)

    async def release_room(self, session_id: str, node_id: str) -> None:
        await self._redis.eval(_RELEASE, 1, f"{self.PREFIX}room:{session_id}", node_id)

    async def publish(self, channel: str, data: str) -> None:
        await self._redis.publish(self.PREFIX + channel, data)

    async def subscribe(self, channel: str, handler: Handler) -> Subscription:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self.PREFIX + channel)

        async def pump() -> None:
            async for item in pubsub.listen():
                if item.get("type") != "message":
                    continue
                try:
                    await handler(item["data"])
                except Exception:
                    log.exception("bus handler for %s failed", channel)

        return _RedisSubscription(asyncio.create_task(pump(), name=f"bus:{channel}"), pubsub)

    async def ping(self) -> bool:
        """True if Redis answers."""
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()
