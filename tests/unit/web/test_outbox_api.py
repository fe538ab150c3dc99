"""Operators see dead-lettered events and re-queue them."""

from __future__ import annotations

from tests.unit.tickets.factories import new_finding
from tests.unit.web.conftest import Api, assert_problem
from tickets.connectors.base import Delivery, DeliveryError
from tickets.outbox import OutboxWorker


class RejectingConnector:
    """A receiver that refuses everything for good (like an HTTP 400)."""

    name = "rejecting"

    async def deliver(self, delivery: Delivery) -> None:
        raise DeliveryError("HTTP 400 from receiver", permanent=True)

    async def aclose(self) -> None:
        return None


async def test_dead_events_are_listed_and_can_be_requeued(api: Api) -> None:
    ticket = await api.ticket()
    session_id = (await api.session(ticket["id"]))["session"]["id"]
    await api.store.attach_finding(session_id, new_finding())
    await OutboxWorker(api.store, [RejectingConnector()], max_attempts=3).drain_once()

    summary = (await api.client.get("/api/outbox", headers=api.tech)).json()
    assert summary["counts"] == {"dead": 1}
    [event] = summary["items"]
    assert event["type"] == "finding.attached" and "HTTP 400" in event["last_error"] and event["attempts"] == 1

    retried = (await api.client.post(f"/api/outbox/{event['id']}/retry", headers=api.tech)).json()
    assert retried["counts"] == {"pending": 1} and retried["items"][0]["attempts"] == 0
    assert_problem(await api.client.post(f"/api/outbox/{event['id']}/retry", headers=api.tech), 404)
    assert_problem(await api.client.get("/api/outbox", headers=api.customer(session_id)), 403)
    assert_problem(await api.client.get("/api/outbox", params={"status": "lost"}, headers=api.tech), 422)
    audit = await api.store.list_audit()
    assert audit[-1].action == "outbox_retried" and audit[-1].actor == "tech-1"
