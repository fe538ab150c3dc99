"""Finding routes: list per ticket, search by code, dismiss, manual snapshot upload, snapshot images."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from signaling.policy import Action
from signaling.tokens import Claims
from tickets.records import NewFinding
from vocabulary import FindingView
from web.body_limit import body_limit
from web.common_api import ApiContext, finding_view
from web.problems import Problem, not_found, session_ended
from web.sealed_media import private_image

_MULTIPART_OVERHEAD = 64 * 1024  # form fields and boundaries around the file


class FindingPage(BaseModel):
    """A page of findings; pass next_cursor as ?cursor= for the next one."""

    items: list[FindingView]
    next_cursor: str | None


class DismissIn(BaseModel):
    """Why a finding is wrong."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    correct_code: str = Field("", max_length=100, description="The code the screen really shows, if known; the "
                              "snapshot is kept as a labelled example either way")


def _too_large(limit: int) -> Problem:
    return Problem(413, "upload-too-large", "Content too large", f"The snapshot may be at most {limit} bytes.",
                   max_bytes=limit)


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the finding and snapshot routes on the /api router."""
    store = ctx.store
    Reader = Annotated[Claims, Depends(ctx.auth.allow(Action.TICKETS_READ))]
    Writer = Annotated[Claims, Depends(ctx.auth.allow(Action.TICKETS_WRITE))]
    MediaReader = Annotated[Claims, Depends(ctx.auth.allow(Action.MEDIA_READ, media=True))]

    @router.get("/tickets/{ticket_id}/findings", tags=["findings"])
    async def ticket_findings(ticket_id: str, claims: Reader,
                              include_dismissed: bool = True) -> list[FindingView]:
        """Findings of a ticket, oldest first."""
        if await store.get_ticket(ticket_id) is None:
            raise not_found("ticket")
        return [finding_view(f) for f in await store.list_findings(ticket_id, include_dismissed=include_dismissed)]

    @router.get("/findings", tags=["findings"])
    async def search_findings(
        claims: Reader,
        code: Annotated[str, Query(min_length=1, max_length=100, description="Error code, case-insensitive")],
        include_dismissed: bool = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> FindingPage:
        """Findings with this code across all tickets, newest first."""
        page = await store.search_findings(code, include_dismissed=include_dismissed, limit=limit, cursor=cursor)
        return FindingPage(items=[finding_view(f) for f in page.items], next_cursor=page.next_cursor)

    @router.get("/findings/{finding_id}", tags=["findings"])
    async def get_finding(finding_id: str, claims: Reader) -> FindingView:
        """One finding."""
        finding = await store.get_finding(finding_id)
        if finding is None:
            raise not_found("finding")
        return finding_view(finding)

    @router.post("/findings/{finding_id}/dismiss", tags=["findings"])
    async def dismiss_finding(finding_id: str, body: DismissIn, claims: Writer) -> FindingView:
        """Mark a finding wrong; it stays on the ticket, flagged, and the dismissal is audited."""
        finding = await store.dismiss_finding(finding_id, actor=claims.subject, reason=body.reason,
                                              correct_code=body.correct_code)
        if ctx.on_finding_dismissed is not None:
            await ctx.on_finding_dismissed(finding)
        return finding_view(finding)

    @router.post("/sessions/{session_id}/snapshots", status_code=201, tags=["findings"],
                 form_limits={"max_files": 1, "max_fields": 8, "max_part_size": 16 * 1024})  # one image, a few fields
    @body_limit(ctx.max_upload_bytes + _MULTIPART_OVERHEAD)  # counted while streaming, before anything is spooled
    async def upload_snapshot(
        session_id: str,
        claims: Writer,
        file: Annotated[UploadFile, File(description="JPEG or PNG")],
        note: Annotated[str, Form(max_length=2000)] = "",
        code: Annotated[str, Form(max_length=100, description="The code the image shows, if the technician typed "
                                                          "it; the image is then kept as a labelled example")] = "",
        offset_s: Annotated[float | None, Form(ge=0)] = None,
    ) -> FindingView:
        """A technician's own snapshot with a note, stored as a "manual" finding (with a code: also an example)."""
        data = await file.read(ctx.max_upload_bytes + 1)
        if len(data) > ctx.max_upload_bytes:
            raise _too_large(ctx.max_upload_bytes)
        session = await store.get_session(session_id)
        if session is None:
            raise not_found("session")
        if session.status != "active":
            raise session_ended()
        if offset_s is None and ctx.recording_offset is not None:
            offset_s = await ctx.recording_offset(session_id)  # taken during the call: now, in its recording
        finding = await store.attach_finding(session_id, NewFinding(
            code=code, family="manual", title=note[:300] or "Manual snapshot", cause="", remedy="",
            severity="info", known=False, text="", confidence=1.0, frame_time=None, offset_s=offset_s,
            snapshot_jpeg=data, source="manual", note=note, actor=claims.subject))
        if ctx.on_finding_attached is not None:
            await ctx.on_finding_attached(finding)
        return finding_view(finding)

    @router.get("/snapshots/{snapshot_id}", tags=["findings"], response_class=FileResponse,
                responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
    async def get_snapshot(snapshot_id: str, claims: MediaReader) -> Response:
        """The snapshot image (technician token in the header or ?token=); the view is audited."""
        found = await store.find_snapshot(snapshot_id)
        if found is None:
            raise not_found("snapshot")
        finding, path = found
        await store.audit(actor=claims.subject, action="viewed", ticket_id=finding.ticket_id,
                          session_id=finding.session_id, target=f"snapshot:{finding.id}")
        return await private_image(path, store.at_rest_key, finding.snapshot_type)
