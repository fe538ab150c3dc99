"""Outbox worker + signed webhook against a real HTTP receiver on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from tests.integration.tickets.receiver import WebhookReceiver
from tests.unit.tickets.factories import new_finding
from tickets.connectors.base import Delivery
from tickets.connectors.webhook import (
    HEADER_EVENT,
    HEADER_IDEMPOTENCY_KEY,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    WebhookConnector,
    event_body,
    sign,
)
from tickets.outbox import OutboxWorker
from tickets.store import TicketStore

StartReceiver = Callable[..., Awaitable[WebhookReceiver]]


async def _session(store: TicketStore) -> str:
    ticket = await store.create_ticket("Printer", external_ref="rt:1", created_by="tech")
    return (await store.create_session(ticket.id, created_by="tech")).id


async def _wait_for(predicate: Callable[[], Awaitable[bool]], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_events_arrive_signed_and_complete(store: TicketStore, start_receiver: StartReceiver) -> None:
    receiver = await start_receiver()
    hook = WebhookConnector(receiver.url, receiver.secret)
    worker = OutboxWorker(store, [hook], max_attempts=3, base_delay_s=0.05)
    session_id = await _session(store)
    finding = await store.attach_finding(session_id, new_finding("E12"))
    await store.end_session(session_id, actor="tech")
    assert await worker.drain_once() == 2
    assert receiver.rejected == []
    body = receiver.processed[f"finding.attached:{finding.id}"]
    assert body["type"] == "finding.attached"
    assert body["data"]["finding"]["code"] == "E12"
    assert body["data"]["finding"]["snapshot_id"] == finding.snapshot_id
    assert f"session.ended:{session_id}" in receiver.processed
    assert (await store.outbox.counts()) == {"delivered": 2}
    assert await worker.drain_once() == 0  # nothing is delivered twice by a healthy worker
    await hook.aclose()


async def test_same_event_twice_is_processed_once(store: TicketStore, start_receiver: StartReceiver) -> None:
    receiver = await start_receiver()
    hook = WebhookConnector(receiver.url, receiver.secret)
    await store.attach_finding(await _session(store), new_finding())
    [event] = await store.outbox.list()
    await hook.deliver(Delivery(event=event))
    await hook.deliver(Delivery(event=event))  # at-least-once: a retry after a lost acknowledgement
    assert len(receiver.processed) == 1 and receiver.duplicates == 1 and len(receiver.requests) == 2
    await hook.aclose()


async def test_replayed_request_outside_window_is_rejected(store: TicketStore,
                                                           start_receiver: StartReceiver) -> None:
    receiver = await start_receiver(window_s=300)
    await store.attach_finding(await _session(store), new_finding())
    [event] = await store.outbox.list()
    body = event_body(Delivery(event=event))

    def signed(ts: int, secret: str = receiver.secret) -> dict[str, str]:
        return {HEADER_TIMESTAMP: str(ts), HEADER_SIGNATURE: sign(secret, ts, body),
                HEADER_EVENT: event.type, HEADER_IDEMPOTENCY_KEY: event.idempotency_key}

    now = int(time.time())
    async with httpx.AsyncClient() as client:
        assert (await client.post(receiver.url, content=body, headers=signed(now))).status_code == 200
        assert (await client.post(receiver.url, content=body, headers=signed(now, "guessed"))).status_code == 401
        # a genuine request captured 10 minutes ago and replayed now
        assert (await client.post(receiver.url, content=body, headers=signed(now - 600))).status_code == 401
    assert receiver.rejected == ["signature does not match", "timestamp outside the replay window"]


async def test_receiver_down_at_first_then_delivered_after_backoff(store: TicketStore,
                                                                   start_receiver: StartReceiver) -> None:
    receiver = await start_receiver(fail_first=2)
    hook = WebhookConnector(receiver.url, receiver.secret)
    worker = OutboxWorker(store, [hook], max_attempts=5, base_delay_s=0.2, poll_interval_s=0.02)
    task = asyncio.create_task(worker.run())
    await store.attach_finding(await _session(store), new_finding())

    async def delivered() -> bool:
        return (await store.outbox.counts()) == {"delivered": 1}

    await _wait_for(delivered)
    task.cancel()
    [event] = await store.outbox.list()
    assert event.attempts == 3 and event.last_error is None and event.delivered_to == ["webhook"]
    gaps = [b - a for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # half of 0.2 s, then half of 0.4 s, at least
    await hook.aclose()


async def test_always_failing_receiver_dead_letters(store: TicketStore, start_receiver: StartReceiver) -> None:
    receiver = await start_receiver(fail_always=True)
    hook = WebhookConnector(receiver.url, receiver.secret)
    worker = OutboxWorker(store, [hook], max_attempts=3, base_delay_s=0.01, poll_interval_s=0.01)
    task = asyncio.create_task(worker.run())
    await store.attach_finding(await _session(store), new_finding())

    async def dead() -> bool:
        return (await store.outbox.counts()) == {"dead": 1}

    await _wait_for(dead)
    await asyncio.sleep(0.2)  # a dead event is left alone
    task.cancel()
    [event] = await store.outbox.list()
    assert event.attempts == 3 and "HTTP 503" in (event.last_error or "")
    assert len(receiver.requests) == 3
    assert await store.outbox.retry_dead(event.id, event.next_attempt_at)  # operator re-queues it
    receiver.fail_always = False
    assert await OutboxWorker(store, [hook], max_attempts=3).drain_once() == 1
    assert (await store.outbox.counts()) == {"delivered": 1}
    await hook.aclose()


async def test_permanent_rejection_dead_letters_at_once(store: TicketStore,
                                                        start_receiver: StartReceiver) -> None:
    receiver = await start_receiver(fail_always=True, fail_status=400)
    hook = WebhookConnector(receiver.url, receiver.secret)
    worker = OutboxWorker(store, [hook], max_attempts=5, base_delay_s=0.01)
    await store.attach_finding(await _session(store), new_finding())
    await worker.drain_once()
    [event] = await store.outbox.list()
    assert event.status == "dead" and event.attempts == 1
    await hook.aclose()


async def test_wrong_secret_is_rejected_by_receiver_and_never_counts(store: TicketStore,
                                                                     start_receiver: StartReceiver) -> None:
    receiver = await start_receiver()
    hook = WebhookConnector(receiver.url, "not-the-receivers-secret")
    worker = OutboxWorker(store, [hook], max_attempts=2, base_delay_s=0.0)
    await store.attach_finding(await _session(store), new_finding())
    await worker.drain_once()
    await worker.drain_once()
    assert receiver.processed == {} and receiver.rejected == ["signature does not match"] * 2
    assert (await store.outbox.counts()) == {"dead": 1}
    await hook.aclose()


async def test_retry_goes_only_to_the_connector_that_failed(store: TicketStore,
                                                            start_receiver: StartReceiver) -> None:
    good = await start_receiver()
    flaky = await start_receiver(fail_first=1)
    a = WebhookConnector(good.url, good.secret, name="a")
    b = WebhookConnector(flaky.url, flaky.secret, name="b")
    worker = OutboxWorker(store, [a, b], max_attempts=3, base_delay_s=0.0)
    await store.attach_finding(await _session(store), new_finding())
    await worker.drain_once()
    [event] = await store.outbox.list()
    assert event.status == "pending" and event.delivered_to == ["a"] and "b: webhook: HTTP 503" in str(event.last_error)
    await worker.drain_once()
    [event] = await store.outbox.list()
    assert event.status == "delivered" and sorted(event.delivered_to) == ["a", "b"]
    assert len(good.requests) == 1 and len(flaky.requests) == 2
    await a.aclose()
    await b.aclose()


async def test_pending_events_survive_a_restart(db_url: str, tmp_path: Path,
                                                start_receiver: StartReceiver) -> None:
    first = TicketStore(db_url, tmp_path)
    await first.migrate()
    session_id = await _session(first)
    await first.attach_finding(session_id, new_finding())
    await first.end_session(session_id, actor="tech")
    await first.close()  # the process stops before any delivery

    receiver = await start_receiver()
    second = TicketStore(db_url, tmp_path)
    await second.migrate()
    hook = WebhookConnector(receiver.url, receiver.secret)
    assert await OutboxWorker(second, [hook], max_attempts=3).drain_once() == 2
    assert len(receiver.processed) == 2 and (await second.outbox.counts()) == {"delivered": 2}
    await hook.aclose()
    await second.close()


async def test_running_worker_wakes_on_commit(store: TicketStore, start_receiver: StartReceiver) -> None:
    receiver = await start_receiver()
    hook = WebhookConnector(receiver.url, receiver.secret)
    worker = OutboxWorker(store, [hook], max_attempts=3, poll_interval_s=30.0)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.1)  # the worker is now idle, waiting for up to 30 s
    started = time.monotonic()
    await store.attach_finding(await _session(store), new_finding())

    async def arrived() -> bool:
        return len(receiver.processed) == 1

    await _wait_for(arrived, timeout_s=5.0)
    assert time.monotonic() - started < 2.0
    task.cancel()
    await worker.aclose()
    assert hook._client.is_closed
