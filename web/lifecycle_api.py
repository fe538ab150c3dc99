"""Data lifecycle routes (supervisors): legal holds, erasure on request of a ticket or a customer, the retention
job's runs. Every change is audited; erasures reach the connectors as ticket.erased events."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from signaling.policy import Action
from signaling.tokens import Claims
from tickets.lifecycle import ErasureJob
from web.common_api import ApiContext


class LegalHoldIn(BaseModel):
    """Put a ticket on legal hold or release it."""

    model_config = ConfigDict(extra="forbid")
    hold: bool
    reason: str = Field("", max_length=300)


class EraseIn(BaseModel):
    """Why the data goes (kept in the audit log and told to the connectors)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=300, description='e.g. "customer request of 2026-11-29"')


class EraseCustomerIn(EraseIn):
    """Every ticket of this customer (the name as stored on the tickets)."""

    customer: str = Field(min_length=1, max_length=300)


class JobOut(BaseModel):
    """An erasure or retention job (files: how many it still has to remove)."""

    id: str
    kind: str
    target: str
    requested_by: str
    reason: str
    requested_at: datetime
    state: str
    files_left: int
    finished_at: datetime | None

    @classmethod
    def of(cls, j: ErasureJob) -> "JobOut":
        """From a job record."""
        return cls(id=j.id, kind=j.kind, target=j.target, requested_by=j.requested_by, reason=j.reason,
                   requested_at=j.requested_at, state=j.state, files_left=len(j.files), finished_at=j.finished_at)


class HeldTicketOut(BaseModel):
    """A ticket on legal hold."""

    id: str
    title: str
    customer: str


class RetentionPolicyOut(BaseModel):
    """The retention policy this server runs, what it deletes and keeps, the tickets it leaves alone."""

    retention_days: int  # 0: nothing is deleted by age
    interval_s: float
    deletes: list[str]
    keeps: list[str]
    held_tickets: list[HeldTicketOut]
    last_run: JobOut | None


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the lifecycle routes on the /api router."""
    lifecycle = ctx.store.lifecycle
    Steward = Annotated[Claims, Depends(ctx.auth.allow(Action.RETENTION_MANAGE))]

    @router.put("/tickets/{ticket_id}/legal-hold", status_code=204, tags=["lifecycle"])
    async def legal_hold(ticket_id: str, body: LegalHoldIn, claims: Steward) -> None:
        """Hold (nothing of the ticket is deleted, by retention or erasure) or release a ticket; audited."""
        await lifecycle.set_legal_hold(ticket_id, body.hold, actor=claims.subject, reason=body.reason)

    @router.post("/tickets/{ticket_id}/erase", tags=["lifecycle"])
    async def erase_ticket(ticket_id: str, body: EraseIn, claims: Steward) -> JobOut:
        """Erase the ticket's recordings, snapshots, chat and personal fields now (409 while on legal hold)."""
        return JobOut.of(await lifecycle.erase_ticket(ticket_id, actor=claims.subject, reason=body.reason))

    @router.post("/customers/erase", tags=["lifecycle"])
    async def erase_customer(body: EraseCustomerIn, claims: Steward) -> JobOut:
        """Erase every ticket of a customer (409 if any is on legal hold, 404 if the customer has none)."""
        return JobOut.of(await lifecycle.erase_customer(body.customer, actor=claims.subject, reason=body.reason))

    @router.get("/lifecycle/policy", tags=["lifecycle"])
    async def retention_policy(claims: Steward) -> RetentionPolicyOut:
        """The retention policy (LENSDESK_RETENTION_DAYS, _INTERVAL_S), the tickets on legal hold, the last run."""
        last = next((j for j in await lifecycle.jobs() if j.kind == "retention"), None)
        return RetentionPolicyOut(
            retention_days=ctx.retention_days, interval_s=ctx.retention_interval_s,
            deletes=["recordings and their posters", "finding snapshots", "frozen-frame images"],
            keeps=["findings (codes, moments, catalog data)", "tickets and their audit trail",
                   "everything of a ticket on legal hold"],
            held_tickets=[HeldTicketOut(id=i, title=t, customer=c) for i, t, c in await lifecycle.held_tickets()],
            last_run=JobOut.of(last) if last else None)

    @router.get("/lifecycle/jobs", tags=["lifecycle"])
    async def lifecycle_jobs(claims: Steward) -> list[JobOut]:
        """The latest erasure and retention jobs, newest first."""
        return [JobOut.of(j) for j in await lifecycle.jobs()]
