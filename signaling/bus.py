"""The bus between lensdesk nodes: room ownership and message channels (in-process, or Redis for many nodes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

Handler = Callable[[str], Awaitable[None]]
ReconnectHook = Callable[[], Awaitable[None]]
T = TypeVar("T")


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

    async def refresh_rooms(self, session_ids: list[str], node_id: str, ttl_s: int) -> None:
        """Extend the owner's claims on many rooms at once (one round trip)."""

    async def release_room(self, session_id: str, node_id: str) -> None:
        """Give the room up (only if node_id still owns it)."""

    async def room_owner(self, session_id: str) -> str | None:
        """The node that owns the room now, if any."""

    async def take_over_room(self, session_id: str, dead_owner: str, node_id: str, ttl_s: int) -> str:
        """Make node_id the owner if dead_owner still holds the claim; returns the owner after."""

    async def heartbeat(self, node_id: str, ttl_s: int, load: str = "") -> None:
        """Say node_id is alive for ttl_s more seconds, with its load (for placing new rooms)."""

    async def alive(self, node_ids: set[str]) -> set[str]:
        """Those of node_ids whose heartbeat has not expired."""

    async def node_loads(self) -> dict[str, str]:
        """The load every live node published with its latest heartbeat, by node id."""

    async def hold_lease(self, name: str, holder: str, ttl_s: float) -> str:
        """Take the named lease for holder if it is free, or extend it if holder has it; returns its holder."""

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only if holder still has it)."""

    async def publish(self, channel: str, data: str) -> int:
        """Send data to a channel's subscribers; how many nodes' subscriptions received it."""

    async def subscribe(self, channel: str, handler: Handler) -> Subscription:
        """Call handler for every message on the channel, in order."""

    def on_reconnect(self, hook: ReconnectHook) -> None:
        """Run hook each time the bus is back after losing its connection."""

    async def ping(self) -> bool:
        """True if the shared medium answers now."""

    @property
    def connected(self) -> bool:
        """Channels are being delivered right now."""

    @property
    def subscribed(self) -> bool:
        """Connected and every channel confirmed: messages published now reach this node."""

    @property
    def up_for_s(self) -> float:
        """Seconds since the bus (re)connected; 0 while it is down."""

    async def close(self) -> None:
        """Release connections."""


class BusUnavailable(Exception):
    """The shared medium cannot be reached right now (Redis down or restarting); the caller may retry shortly."""


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
        self.loads: dict[str, str] = {}
        self.leases: dict[str, str] = {}

    async def claim_room(self, session_id: str, node_id: str, ttl_s: int) -> str:
        return self.owners.setdefault(session_id, node_id)

    async def refresh_room(self, session_id: str, node_id: str, ttl_s: int) -> None:
        self.owners.setdefault(session_id, node_id)

    async def refresh_rooms(self, session_ids: list[str], node_id: str, ttl_s: int) -> None:
        for session_id in session_ids:
            self.owners.setdefault(session_id, node_id)

    async def release_room(self, session_id: str, node_id: str) -> None:
        if self.owners.get(session_id) == node_id:
            del self.owners[session_id]

    async def room_owner(self, session_id: str) -> str | None:
        return self.owners.get(session_id)

    async def take_over_room(self, session_id: str, dead_owner: str, node_id: str, ttl_s: int) -> str:
        if self.owners.get(session_id) in (None, dead_owner):
            self.owners[session_id] = node_id
        return self.owners[session_id]

    async def heartbeat(self, node_id: str, ttl_s: int, load: str = "") -> None:
        """One node is always alive."""
        self.loads[node_id] = load

    async def alive(self, node_ids: set[str]) -> set[str]:
        return set(node_ids)

    async def node_loads(self) -> dict[str, str]:
        return dict(self.loads)

    async def hold_lease(self, name: str, holder: str, ttl_s: float) -> str:
        """One node holds every lease."""
        return self.leases.setdefault(name, holder)

    async def release_lease(self, name: str, holder: str) -> None:
        if self.leases.get(name) == holder:
            del self.leases[name]

    async def publish(self, channel: str, data: str) -> int:
        handlers = list(self.handlers.get(channel, []))
        for handler in handlers:
            await handler(data)
        return 1 if handlers else 0

    async def subscribe(self, channel: str, handler: Handler) -> Subscription:
        self.handlers.setdefault(channel, []).append(handler)
        return _LocalSubscription(self, channel, handler)

    def on_reconnect(self, hook: ReconnectHook) -> None:
        """Never called: an in-process bus cannot lose its connection."""

    async def ping(self) -> bool:
        return True

    @property
    def connected(self) -> bool:
        return True

    @property
    def subscribed(self) -> bool:
        return True

    @property
    def up_for_s(self) -> float:
        return float("inf")

    async def close(self) -> None:
        self.handlers.clear()


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""
# The owner extends its claim (or claims again a room Redis forgot), never a room another node holds now.
_REFRESH = """
local owner = redis.call('get', KEYS[1])
if owner == false or owner == ARGV[1] then redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return 1
"""
_TAKE_OVER = """
local owner = redis.call('get', KEYS[1])
if owner == false or owner == ARGV[1] then redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3]) return ARGV[2] end
return owner
"""
# A lease: taken when free, extended by its holder, in one step (two nodes never both hold it).
_HOLD_LEASE = """
local holder = redis.call('get', KEYS[1])
if holder == false or holder == ARGV[1] then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return ARGV[1] end
return holder
"""
_SUBSCRIBE_CONFIRM_S = 2.0
_RECONNECT_FIRST_S = 0.1
_RECONNECT_MAX_S = 2.0
_KEEPALIVE = "_keepalive"  # listen() needs one subscription; a node with no channel yet still notices outages


class _Channel:
    """One subscribed channel: its handlers, run in arrival order by one dispatcher task."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.handlers: list[Handler] = []
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.confirmed: asyncio.Event = asyncio.Event()
        self.task = asyncio.create_task(self._dispatch(), name=f"bus:{name}")

    async def _dispatch(self) -> None:
        while True:
            data = await self.queue.get()
            for handler in list(self.handlers):
                try:
                    await handler(data)
                except Exception:
                    log.exception("bus handler for %s failed", self.name)


class _RedisSubscription:
    def __init__(self, bus: RedisBus, channel: str, handler: Handler) -> None:
        self._bus, self._channel, self._handler = bus, channel, handler

    async def close(self) -> None:
        await self._bus._unsubscribe(self._channel, self._handler)


class RedisBus:
    """Rooms owned through SET NX with a TTL; channels over Redis pub/sub.

    All of a node's channels share one subscriber connection (a relayed participant costs a channel, not a
    connection). When Redis goes away the reader reconnects with backoff, subscribes every channel again and
    runs the reconnect hooks (Redis may come back empty: owners re-claim their rooms). A command that fails on
    a stale pooled connection is retried once on a fresh one; if that fails too, BusUnavailable.
    """

    PREFIX = "lensdesk:"

    def __init__(self, url: str) -> None:
        from redis import asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # No silent retries inside the client: a reconnect must be seen here so channels and claims are restored.
        self._redis = aioredis.from_url(url, decode_responses=True, socket_connect_timeout=2.0, socket_timeout=None,
                                        retry=Retry(NoBackoff(), 0))
        self._channels: dict[str, _Channel] = {}
        self._hooks: list[ReconnectHook] = []
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._hook_runs: set[asyncio.Task[None]] = set()  # owned here: the loop keeps only weak references
        self._closing = False
        self._up_since = 0.0
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        """The subscriber connection is up (channels are being delivered)."""
        return self._pubsub is not None

    @property
    def subscribed(self) -> bool:
        """Connected and Redis has confirmed every channel: only then do messages published to them arrive."""
        return self._pubsub is not None and all(e.confirmed.is_set() for e in self._channels.values())

    @property
    def up_for_s(self) -> float:
        """Seconds since the subscriber connection (re)connected; 0 while it is down."""
        return time.monotonic() - self._up_since if self._pubsub is not None else 0.0

    def on_reconnect(self, hook: ReconnectHook) -> None:
        """Run hook after every reconnection to Redis (not the first connection)."""
        self._hooks.append(hook)

    async def _command(self, call: Callable[[], Awaitable[T]]) -> T:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        for attempt in (1, 2):
            try:
                return await call()
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                # The pool dropped the broken connection; the second attempt opens a fresh one.
                if attempt == 2:
                    raise BusUnavailable(f"Redis unavailable: {exc}") from exc
        raise AssertionError("unreachable")

    async def claim_room(self, session_id: str, node_id: str, ttl_s: int) -> str:
        key = f"{self.PREFIX}room:{session_id}"
        if await self._command(lambda: self._redis.set(key, node_id, nx=True, ex=ttl_s)):
            return node_id
        owner = await self._command(lambda: self._redis.get(key))
        if owner is None:  # expired in between: try once more
            if await self._command(lambda: self._redis.set(key, node_id, nx=True, ex=ttl_s)):
                return node_id
            return str(await self._command(lambda: self._redis.get(key)))
        return str(owner)

    async def refresh_room(self, session_id: str, node_id: str, ttl_s: int) -> None:
        key = f"{self.PREFIX}room:{session_id}"
        if await self._command(lambda: self._redis.get(key)) in (None, node_id):
            await self._command(lambda: self._redis.set(key, node_id, ex=ttl_s))

    async def refresh_rooms(self, session_ids: list[str], node_id: str, ttl_s: int) -> None:
        async def refresh() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                for session_id in session_ids:
                    pipe.eval(_REFRESH, 1, f"{self.PREFIX}room:{session_id}", node_id, ttl_s)
                await pipe.execute()

        if session_ids:
            await self._command(refresh)

    async def release_room(self, session_id: str, node_id: str) -> None:
        await self._command(lambda: self._redis.eval(_RELEASE, 1, f"{self.PREFIX}room:{session_id}", node_id))

    async def room_owner(self, session_id: str) -> str | None:
        owner = await self._command(lambda: self._redis.get(f"{self.PREFIX}room:{session_id}"))
        return str(owner) if owner is not None else None

    async def take_over_room(self, session_id: str, dead_owner: str, node_id: str, ttl_s: int) -> str:
        key = f"{self.PREFIX}room:{session_id}"
        return str(await self._command(lambda: self._redis.eval(_TAKE_OVER, 1, key, dead_owner, node_id, ttl_s)))

    async def heartbeat(self, node_id: str, ttl_s: int, load: str = "") -> None:
        async def beat() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(f"{self.PREFIX}alive:{node_id}", load or "1", ex=ttl_s)
                pipe.sadd(f"{self.PREFIX}nodes", node_id)
                await pipe.execute()

        await self._command(beat)

    async def node_loads(self) -> dict[str, str]:
        nodes = sorted(str(n) for n in await self._command(lambda: self._redis.smembers(f"{self.PREFIX}nodes")))
        if not nodes:
            return {}
        found = await self._command(lambda: self._redis.mget([f"{self.PREFIX}alive:{n}" for n in nodes]))
        gone = [n for n, v in zip(nodes, found, strict=True) if v is None]
        if gone:  # a node that comes back adds itself again with its next heartbeat
            await self._command(lambda: self._redis.srem(f"{self.PREFIX}nodes", *gone))
        return {n: str(v) for n, v in zip(nodes, found, strict=True) if v is not None}

    async def alive(self, node_ids: set[str]) -> set[str]:
        ordered = sorted(node_ids)
        if not ordered:
            return set()
        found = await self._command(lambda: self._redis.mget([f"{self.PREFIX}alive:{n}" for n in ordered]))
        return {n for n, v in zip(ordered, found, strict=True) if v is not None}

    async def hold_lease(self, name: str, holder: str, ttl_s: float) -> str:
        key = f"{self.PREFIX}lease:{name}"
        return str(await self._command(lambda: self._redis.eval(_HOLD_LEASE, 1, key, holder, int(ttl_s * 1000))))

    async def release_lease(self, name: str, holder: str) -> None:
        await self._command(lambda: self._redis.eval(_RELEASE, 1, f"{self.PREFIX}lease:{name}", holder))

    async def publish(self, channel: str, data: str) -> int:
        return int(await self._command(lambda: self._redis.publish(self.PREFIX + channel, data)))

    async def subscribe(self, channel: str, handler: Handler) -> Subscription:
        """Register handler; returns once Redis confirmed the subscription (or at once while Redis is down)."""
        entry = self._channels.get(channel)
        if entry is None:
            entry = self._channels[channel] = _Channel(channel)
            pubsub = self._pubsub
            if pubsub is not None:
                with contextlib.suppress(Exception):  # a failure here is an outage: the reader resubscribes
                    await pubsub.subscribe(self.PREFIX + channel)
                    await asyncio.wait_for(entry.confirmed.wait(), _SUBSCRIBE_CONFIRM_S)
        entry.handlers.append(handler)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="bus-reader")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(entry.confirmed.wait(), _SUBSCRIBE_CONFIRM_S)
        return _RedisSubscription(self, channel, handler)

    async def _unsubscribe(self, channel: str, handler: Handler) -> None:
        entry = self._channels.get(channel)
        if entry is None or handler not in entry.handlers:
            return
        entry.handlers.remove(handler)
        if entry.handlers:
            return
        del self._channels[channel]
        entry.task.cancel()
        pubsub = self._pubsub
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe(self.PREFIX + channel)

    async def _read(self) -> None:
        """The one subscriber connection: deliver messages, and reconnect and resubscribe when it breaks."""
        delay, first = _RECONNECT_FIRST_S, True
        while not self._closing:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.PREFIX + _KEEPALIVE, *(self.PREFIX + c for c in self._channels))
                self._up_since = time.monotonic()
                self._pubsub = pubsub
                if not first:
                    self.reconnects += 1
                    log.warning("bus: reconnected to Redis; %d channels subscribed again", len(self._channels))
                    for hook in self._hooks:
                        run = asyncio.create_task(self._run_hook(hook), name="bus-reconnect-hook")
                        self._hook_runs.add(run)
                        run.add_done_callback(self._hook_runs.discard)
                first, delay = False, _RECONNECT_FIRST_S
                async for item in pubsub.listen():
                    self._deliver(item)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._pubsub is not None:
                    log.warning("bus: lost Redis (%s); reconnecting", type(exc).__name__)
            finally:
                self._pubsub = None
                for entry in self._channels.values():
                    entry.confirmed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            if self._closing:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RECONNECT_MAX_S)

    def _deliver(self, item: dict[str, Any]) -> None:
        kind, name = item.get("type"), str(item.get("channel", ""))
        entry = self._channels.get(name.removeprefix(self.PREFIX))
        if entry is None:
            return
        if kind == "subscribe":
            entry.confirmed.set()
        elif kind == "message":
            entry.queue.put_nowait(item["data"])

    async def _run_hook(self, hook: ReconnectHook) -> None:
        try:
            await hook()
        except BusUnavailable:
            log.warning("bus: Redis went away again during a reconnect hook; it runs again on the next reconnect")
        except Exception:
            log.exception("bus: a reconnect hook failed")

    async def ping(self) -> bool:
        """True if Redis answers."""
        try:
            return bool(await self._command(lambda: self._redis.ping()))
        except BusUnavailable:
            return False

    async def close(self) -> None:
        self._closing = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        for run in list(self._hook_runs):
            run.cancel()
        for entry in self._channels.values():
            entry.task.cancel()
        self._channels.clear()
        await self._redis.aclose()
