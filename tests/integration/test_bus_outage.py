"""The Redis bus against a real redis-server that is SIGKILLed and restarted empty on the same port."""

from __future__ import annotations

import asyncio
import functools
import signal
from pathlib import Path

import pytest
from redis import asyncio as aioredis

from signaling.bus import BusUnavailable, RedisBus
from testkit.polling import eventually
from testkit.servers import running_redis_server


def test_bus_resubscribes_retries_and_reclaims_after_redis_is_killed(tmp_path: Path):
    with running_redis_server(tmp_path / "redis") as redis:

        async def scenario() -> None:
            bus, sender = RedisBus(redis.url), RedisBus(redis.url)
            got: dict[str, list[str]] = {f"conn:{i}": [] for i in range(150)}
            reconnected: list[int] = []

            async def rehome() -> None:
                reconnected.append(1)
                await bus.claim_room("s1", "node-a", 30)

            bus.on_reconnect(rehome)
            try:
                for channel, box in got.items():
                    await bus.subscribe(channel, functools.partial(_append, box))
                assert await bus.claim_room("s1", "node-a", 30) == "node-a"
                await sender.publish("conn:149", "before")
                await eventually(lambda: got["conn:149"] == ["before"])
                # 150 channels, one subscriber connection: Redis counts the node's clients
                admin = aioredis.from_url(redis.url, decode_responses=True)
                clients = [c for c in await admin.client_list() if c.get("cmd") in ("subscribe", "ssubscribe")
                           or int(c.get("sub", 0)) > 0]
                assert len(clients) == 1 and int(clients[0]["sub"]) == 151  # 150 + keep-alive channel
                await admin.aclose()

                redis.stop(signal.SIGKILL)
                await eventually(lambda: not bus.connected)
                with pytest.raises(BusUnavailable):  # a clear, retryable failure while Redis is away
                    await sender.publish("conn:0", "lost")
                with pytest.raises(BusUnavailable):
                    await bus.claim_room("s2", "node-a", 30)

                redis.start()  # back, and empty
                await eventually(lambda: bus.connected and reconnected == [1])
                # the owner re-claimed its room in the empty Redis: another node cannot take it
                assert await sender.claim_room("s1", "node-b", 30) == "node-a"
                # the sender's pooled connections were broken by the kill: its first command works anyway
                for i in (0, 77, 149):
                    await sender.publish(f"conn:{i}", "after")
                await eventually(lambda: got["conn:0"] == ["after"] and got["conn:77"] == ["after"]
                            and got["conn:149"] == ["before", "after"])
            finally:
                await bus.close()
                await sender.close()

        asyncio.run(scenario())


async def _append(box: list[str], data: str) -> None:
    box.append(data)


def test_heartbeats_expire_and_only_a_dead_owners_claim_is_taken_over(tmp_path: Path):
    with running_redis_server(tmp_path / "redis") as redis:

        async def scenario() -> None:
            bus = RedisBus(redis.url)
            try:
                await bus.heartbeat("a", 1)
                await bus.heartbeat("b", 30)
                assert await bus.alive({"a", "b", "c"}) == {"a", "b"}
                assert await bus.claim_room("s", "a", 30) == "a"
                assert await bus.take_over_room("s", "x", "b", 30) == "a"  # not the owner named: refused
                await asyncio.sleep(1.2)
                assert await bus.alive({"a", "b"}) == {"b"}
                assert await bus.take_over_room("s", "a", "b", 30) == "b"
                assert await bus.claim_room("s", "a", 30) == "b"
            finally:
                await bus.close()

        asyncio.run(scenario())


def test_room_claims_are_refreshed_together_and_never_taken_from_another_owner(tmp_path: Path):
    with running_redis_server(tmp_path / "redis") as redis:

        async def scenario() -> None:
            bus = RedisBus(redis.url)
            admin = aioredis.from_url(redis.url, decode_responses=True)
            try:
                for i in range(600):
                    assert await bus.claim_room(f"s{i}", "a", 5) == "a"
                assert await bus.claim_room("other", "b", 5) == "b"
                await admin.delete(f"{RedisBus.PREFIX}room:s7")  # Redis forgot one (e.g. restarted empty)
                await bus.refresh_rooms([f"s{i}" for i in range(600)] + ["other"], "a", 60)  # one pipeline
                ttls = [await admin.ttl(f"{RedisBus.PREFIX}room:s{i}") for i in (0, 7, 599)]
                assert all(55 < t <= 60 for t in ttls), ttls  # extended, the forgotten one claimed again
                assert await bus.room_owner("other") == "b"  # another node's room is left alone
                assert await admin.ttl(f"{RedisBus.PREFIX}room:other") <= 5
            finally:
                await admin.aclose()
                await bus.close()

        asyncio.run(scenario())
