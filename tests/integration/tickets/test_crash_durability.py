"""SIGKILL right after attach_finding returns loses nothing; a fresh worker delivers the event."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.integration.tickets.receiver import WebhookReceiver
from tests.unit.tickets.factories import make_jpeg
from tickets.connectors.webhook import WebhookConnector
from tickets.outbox import OutboxWorker
from tickets.store import TicketStore

ROOT = Path(__file__).resolve().parents[3]


async def test_finding_survives_sigkill(tmp_path: Path, start_receiver: Callable[..., Awaitable[WebhookReceiver]]
                                        ) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'lensdesk.db'}"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.tickets.crash_writer", db_url, str(tmp_path),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
    finally:
        child.send_signal(signal.SIGKILL)
        await asyncio.wait_for(child.wait(), 10)
    assert child.returncode == -signal.SIGKILL
    ids = json.loads(line)

    store = TicketStore(db_url, tmp_path)
    await store.migrate()
    finding = await store.get_finding(ids["finding"])
    assert finding is not None and finding.code == "E42" and finding.ticket_id == ids["ticket"]
    found = await store.find_snapshot(ids["snapshot"])
    assert found is not None and found[1].read_bytes() == make_jpeg(42)
    [event] = await store.outbox.list()
    assert event.status == "pending" and event.payload["finding"]["id"] == finding.id

    receiver = await start_receiver()
    hook = WebhookConnector(receiver.url, receiver.secret)
    assert await OutboxWorker(store, [hook], max_attempts=3).drain_once() == 1
    assert list(receiver.processed) == [f"finding.attached:{finding.id}"]
    await hook.aclose()
    await store.close()
