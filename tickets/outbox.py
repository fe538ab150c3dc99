"""OutboxWorker: delivers queued ticket events to every connector, at least once.

State lives in the outbox table, so a restart resumes where the last process stopped. An event is
"delivered" once every connector has acknowledged it (acknowledgements are remembered per connector,
so a retry only goes to the connectors that failed); after `max_attempts` failed attempts, or one
permanent failure, it is "dead" and waits for an operator (OutboxTable.retry_dead).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from datetime import timedelta

from tickets.connectors.base import Attachment, Connector, Delivery, DeliveryError
from tickets.events import FINDING_ATTACHED
from tickets.records import OutboxEvent
from tickets.schema import utcnow
from tickets.store import TicketStore

log = logging.getLogger(__name__)


def backoff_delay(attempt: int, base_delay_s: float, max_delay_s: float,
                  rand: Callable[[], float] = random.random) -> float:
    """Delay before retry number `attempt` (1-based): exponential, capped, half of it jittered."""
    delay = min(max_delay_s, base_delay_s * (2 ** (attempt - 1)))
    return delay / 2 + rand() * delay / 2


class OutboxWorker:
    """Background delivery of the outbox (one asyncio task; several workers may share a database)."""

    def __init__(self, store: TicketStore, connectors: Sequence[Connector], *, max_attempts: int,
                 base_delay_s: float = 1.0, max_delay_s: float = 300.0, poll_interval_s: float = 1.0,
                 lease_s: float = 30.0, batch_size: int = 50) -> None:
        names = [c.name for c in connectors]
        if len(set(names)) != len(names):
            raise ValueError(f"connector names must be unique: {names}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._store = store
        self._connectors = list(connectors)
        self._max_attempts = max_attempts
        self._base_delay_s = base_delay_s
        self._max_delay_s = max_delay_s
        self._poll_interval_s = poll_interval_s
        self._lease = timedelta(seconds=lease_s)
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        store.add_outbox_listener(self._wake.set)

    async def run(self) -> None:
        """Deliver until cancelled; wakes on new events and otherwise polls (for retries and peers)."""
        while True:
            try:
                handled = await self.drain_once()
            except Exception:  # the database may be briefly unavailable; keep the worker alive
                log.exception("outbox pass failed")
                handled = 0
            if handled:
                continue
            self._wake.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that races the wake-up
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval_s):
                    await self._wake.wait()

    async def aclose(self) -> None:
        """Close the connectors' HTTP clients (call after cancelling run())."""
        for connector in self._connectors:
            with contextlib.suppress(Exception):
                await connector.aclose()

    async def drain_once(self) -> int:
        """One pass over the due events; returns how many were attempted."""
        now = utcnow()
        attempted = 0
        for event in await self._store.outbox.due(now, self._batch_size):
            if not await self._store.outbox.claim(event, now, now + self._lease):
                continue  # another worker has it
            await self._attempt(event)
            attempted += 1
        return attempted

    async def _attempt(self, event: OutboxEvent) -> None:
        delivery = Delivery(event=event, snapshot=await self._snapshot_of(event))
        delivered = list(event.delivered_to)
        errors: list[str] = []
        permanent = False
        for connector in self._connectors:
            if connector.name in delivered:
                continue
            try:
                await connector.deliver(delivery)
            except DeliveryError as exc:
                errors.append(f"{connector.name}: {exc}")
                permanent = permanent or exc.permanent
            except Exception as exc:  # a connector bug must not stop the worker; retry like any failure
                log.exception("connector %s crashed on %s", connector.name, event.id)
                errors.append(f"{connector.name}: {type(exc).__name__}: {exc}")
            else:
                delivered.append(connector.name)
        attempts = event.attempts + 1
        now = utcnow()
        if not errors:
            await self._store.outbox.record_attempt(event.id, attempts=attempts, delivered_to=delivered,
                                                    status="delivered", next_attempt_at=now, last_error=None,
                                                    delivered_at=now)
            return
        dead = permanent or attempts >= self._max_attempts
        delay = backoff_delay(attempts, self._base_delay_s, self._max_delay_s)
        log.warning("outbox event %s (%s) attempt %d failed%s: %s", event.id, event.type, attempts,
                    " -> dead" if dead else f", retry in {delay:.1f}s", "; ".join(errors))
        await self._store.outbox.record_attempt(
            event.id, attempts=attempts, delivered_to=delivered, status="dead" if dead else "pending",
            next_attempt_at=now + timedelta(seconds=delay), last_error="; ".join(errors)[:4000],
            delivered_at=None)

    async def _snapshot_of(self, event: OutboxEvent) -> Attachment | None:
        if event.type != FINDING_ATTACHED:
            return None
        finding = event.payload.get("finding", {})
        found = await self._store.find_snapshot(str(finding.get("snapshot_id", "")))
        if found is None:
            return None
        record, path = found
        data = await asyncio.to_thread(path.read_bytes)
        name = f"{record.code or 'snapshot'}-{record.id[:8]}{path.suffix}"
        return Attachment(file_name=name, content_type=record.snapshot_type, data=data)
