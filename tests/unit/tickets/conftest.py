"""Fixtures: a migrated SQLite store in a temp dir."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tickets.store import TicketStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[TicketStore]:
    s = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'lensdesk.db'}", tmp_path)
    await s.migrate()
    yield s
    await s.close()
