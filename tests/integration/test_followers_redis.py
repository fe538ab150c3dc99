"""Revocations and code-catalog edits reach another node through a real redis-server, not through the fallback poll
(polls set to an hour here), and what was stored while Redis was down reaches it when Redis is back."""

from __future__ import annotations

import asyncio
import functools
import signal
import time
from pathlib import Path

import pytest

from diagnostics.catalog import CatalogEntry, load_catalog
from nodesync.catalogs import CatalogService
from nodesync.revocations import Revoker
from signaling.bus import RedisBus
from signaling.revocation import Revocation
from signaling.tokens import TokenService
from testkit.polling import eventually
from testkit.servers import running_redis_server
from tickets.store import TicketStore

CORE = Path(__file__).resolve().parents[2] / "diagnostics" / "catalogs" / "core.yaml"
NO_POLL_S = 3600.0  # only the bus (or its reconnection) can deliver within the test



def _entry(code: str) -> CatalogEntry:
    return CatalogEntry(family="xerox", code=code, title="Test entry", cause="A test", remedy="None", severity="error",
                        vendor="Xerox", device="printer", origin="technician")


@pytest.mark.serial  # a timing assertion: runs after the parallel phase, alone
def test_revocations_and_catalog_edits_travel_through_redis_and_catch_up_after_an_outage(tmp_path: Path):
    with running_redis_server(tmp_path / "redis") as redis:

        async def scenario() -> None:
            store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'lensdesk.db'}", tmp_path)
            await store.migrate()
            buses = [RedisBus(redis.url), RedisBus(redis.url)]
            tokens = [TokenService("unit-test-secret-unit-test-secret") for _ in buses]
            revokers = [Revoker(store, t, b, poll_s=NO_POLL_S) for t, b in zip(tokens, buses, strict=True)]
            versions: list[list[int]] = [[], []]
            catalogs = [CatalogService(load_catalog(CORE), store.catalog, b, functools.partial(_version_to, box),
                                       poll_s=NO_POLL_S) for b, box in zip(buses, versions, strict=True)]
            followers: list[Revoker | CatalogService] = [*revokers, *catalogs]
            try:
                for follower in followers:
                    await follower.start()
                leaked = Revocation("token", "tech-leaked", time.time() + 600, "revoked")
                await revokers[0].revoke(leaked, actor="test")
                assert await eventually(lambda: tokens[1].revocations.knows(leaked), 1.0, interval_s=0.01) < 1.0
                await catalogs[0].save(_entry("TEST-1"), actor="tech", mode="create")
                await eventually(lambda: catalogs[1].current.get("xerox", "TEST-1") is not None, 1.0)
                assert versions[1] == [1]

                # Redis crashes; a revocation and an edit are stored meanwhile (their announcements are lost) ...
                redis.stop(signal.SIGKILL)
                await eventually(lambda: not buses[1].connected, 10)
                during = Revocation("token", "tech-during", time.time() + 600, "revoked")
                await revokers[0].revoke(during, actor="test")
                await catalogs[0].save(_entry("TEST-2"), actor="tech", mode="create")
                assert not tokens[1].revocations.knows(during)
                # ... and reach the other node as soon as its bus is back, not at the next poll
                redis.start()
                await eventually(lambda: tokens[1].revocations.knows(during), 15)
                await eventually(lambda: catalogs[1].current.get("xerox", "TEST-2") is not None, 5)
                assert versions[1] == [1, 2]
                assert revokers[1].follower.caught_up_after_reconnect >= 1
            finally:
                for follower in followers:
                    await follower.stop()
                for bus in buses:
                    await bus.close()
                await store.close()

        asyncio.run(scenario())


def _version_to(box: list[int], catalog: object, version: int) -> None:
    box.append(version)
