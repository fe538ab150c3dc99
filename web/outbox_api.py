"""Outbox routes for operators: see what is pending or dead-lettered, and re-queue a dead event."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from signaling.policy import Action
from signaling.tokens import Claims
from tickets.records import OutboxEvent, OutboxStatus
from tickets.schema import utcnow
from web.common_api import ApiContext
from web.problems import Problem


class OutboxEventOut(BaseModel):
    """Delivery state of one ticket event."""

    id: str
    type: str
    idempotency_key: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_to: list[str]
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]

    @classmethod
    def of(cls, e: OutboxEvent) -> "OutboxEventOut":
        """From a store record."""
        return cls.model_validate(e, from_attributes=True)  # by field name


class OutboxSummary(BaseModel):
    """Counts per status and the events asked for."""

    counts: dict[str, int]
    items: list[OutboxEventOut]


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the outbox routes on the /api router."""
    store = ctx.store
    Operator = Annotated[Claims, Depends(ctx.auth.allow(Action.OUTBOX))]

    @router.get("/outbox", tags=["outbox"])
    async def list_outbox(claims: Operator,
                          status: Annotated[OutboxStatus | None, Query()] = "dead",
                          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> OutboxSummary:
        """Outbox events (dead-lettered ones by default), oldest first."""
        events = await store.outbox.list(status=status, limit=limit)
        return OutboxSummary(counts=await store.outbox.counts(), items=[OutboxEventOut.of(e) for e in events])

    @router.post("/outbox/{event_id}/retry", tags=["outbox"])
    async def retry_event(event_id: str, claims: Operator) -> OutboxSummary:
        """Put a dead event back in the queue with a fresh attempt budget (audited)."""
        if not await store.outbox.retry_dead(event_id, utcnow()):
            raise Problem(404, "not-found", "Not found", "No dead-lettered event with this id.")
        await store.audit(actor=claims.subject, action="outbox_retried", target=f"event:{event_id}")
        events = [e for e in await store.outbox.list(status="pending", limit=500) if e.id == event_id]
        return OutboxSummary(counts=await store.outbox.counts(), items=[OutboxEventOut.of(e) for e in events])
