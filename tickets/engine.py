"""Creates the async engine: SQLite in WAL mode with full fsync, or PostgreSQL via asyncpg."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# A pooled connection idle longer than this is checked before use (PostgreSQL may have restarted meanwhile). Not
# every checkout: asyncpg's ping is three round trips (BEGIN, ';', ROLLBACK), measured as the largest part of a
# join's database work; a connection in steady use fails at most one statement after a restart, and that failure
# invalidates the whole pool (SQLAlchemy's disconnect handling), so the next checkout connects afresh.
PING_IDLE_S = 10.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    @event.listens_for(engine.sync_engine, "checkin")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()  # just connected, or just used

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("checked_in", 0.0) < PING_IDLE_S:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:  # the pool then tries another (new) connection
            raise DisconnectionError("stale pooled connection") from exc


def create_engine(database_url: str) -> AsyncEngine:
    """An engine for the URL, with SQLite tuned for durability and concurrent readers."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        engine = create_async_engine(url)
        _ping_when_idle(engine)
        return engine
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a commit survives power loss, not only SIGKILL
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine
