"""Fixtures: migrated stores in temp dirs and webhook receivers on free loopback ports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.integration.tickets.receiver import RunningReceiver, WebhookReceiver
from tickets.store import TicketStore


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'lensdesk.db'}"


@pytest.fixture
async def store(db_url: str, tmp_path: Path) -> AsyncIterator[TicketStore]:
    s = TicketStore(db_url, tmp_path)
    await s.migrate()
    yield s
    await s.close()


@pytest.fixture
async def start_receiver() -> AsyncIterator[Callable[..., Awaitable[WebhookReceiver]]]:
    running: list[RunningReceiver] = []

    async def start(**kwargs: object) -> WebhookReceiver:
        kwargs.setdefault("secret", "hook-secret")
        server = RunningReceiver(WebhookReceiver(**kwargs))  # type: ignore[arg-type]
        await server.start()
        running.append(server)
        return server.receiver

    yield start
    for server in running:
        await server.stop()
