"""Re-analysis of stored recordings as jobs (e.g. after the catalog grew): submit, and follow progress."""

from collections.abc import Awaitable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from signaling.policy import Action
from signaling.tokens import Claims
from tickets.store import TicketStore
from web.auth import TokenAuth
from web.problems import Problem, not_found


class Jobs(Protocol):
    """The queue as the API sees it (reanalysis.jobs.ReanalysisService)."""

    def submit(self, recording_path: str) -> Awaitable[dict[str, Any]]: ...

    def get(self, key: str) -> Awaitable[dict[str, Any] | None]: ...


class ReanalysisRequest(BaseModel):
    """Which recordings to read again: listed ones, or every recording of a ticket."""

    recording_ids: list[str] = Field(default_factory=list, max_length=1000)
    ticket_id: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "ReanalysisRequest":
        if not self.recording_ids and not self.ticket_id:
            raise ValueError("give recording_ids or a ticket_id")
        return self


class ReanalysisJobOut(BaseModel):
    """One job: its id (the idempotency key: recording + reader version), state and what it attached."""

    id: str
    recording_id: str | None = None
    status: str
    progress: float
    attempts: int
    attached: list[str]
    already_known: list[str]
    ticket_id: str | None
    error: str | None


def build_reanalysis_router(jobs: Jobs, store: TicketStore, auth: TokenAuth) -> APIRouter:
    """/api/reanalysis: POST recordings to read again (202), GET a job's progress."""
    router = APIRouter(prefix="/api")
    Writer = Annotated[Claims, Depends(auth.allow(Action.TICKETS_WRITE))]
    Reader = Annotated[Claims, Depends(auth.allow(Action.TICKETS_READ))]

    def out(job: dict[str, Any], recording_id: str | None = None) -> ReanalysisJobOut:
        fields = {k: v for k, v in job.items() if k != "recording"}
        return ReanalysisJobOut(recording_id=recording_id, **fields)

    @router.post("/reanalysis", status_code=202, tags=["reanalysis"])
    async def submit(body: ReanalysisRequest, claims: Writer) -> list[ReanalysisJobOut]:
        """Queue a re-analysis per recording; submitting again returns the same job (until the catalog changes)."""
        recordings = []
        if body.ticket_id:
            if await store.get_ticket(body.ticket_id) is None:
                raise not_found("ticket")
            recordings += await store.list_recordings(body.ticket_id)
        for rid in body.recording_ids:
            record = await store.get_recording(rid)
            if record is None:
                raise not_found("recording")
            recordings.append(record)
        jobs_out = []
        for record in recordings:
            if record.status == "recording":
                raise Problem(409, "recording-in-progress", "Conflict",
                              f"Recording {record.id} is not finalised yet; re-analyse it once the call ended.")
            jobs_out.append(out(await jobs.submit(record.path), record.id))
        return jobs_out

    @router.get("/reanalysis/{job_id}", tags=["reanalysis"])
    async def get_job(job_id: str, claims: Reader) -> ReanalysisJobOut:
        """A job's status, progress (0..1), attempts, and the codes it attached."""
        job = await jobs.get(job_id)
        if job is None:
            raise not_found("re-analysis job")
        record = await store.recording_by_path(job["recording"])
        return out(job, record.id if record is not None else None)

    return router
