"""Recording routes: metadata and the media file (technicians only; Range requests work)."""

import asyncio
import mimetypes
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from atrest.sealed import is_sealed
from signaling.policy import Action
from signaling.tokens import Claims
from web.common_api import ApiContext, RecordingOut
from web.problems import Problem, not_found
from web.sealed_media import private_image, sealed_file_response

_MEDIA_TYPES = {".webm": "video/webm", ".mkv": "video/x-matroska", ".mp4": "video/mp4", ".ogg": "audio/ogg"}


def _media_type(path: Path) -> str:
    return _MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the recording routes on the /api router."""
    store = ctx.store
    Reader = Annotated[Claims, Depends(ctx.auth.allow(Action.TICKETS_READ))]
    MediaReader = Annotated[Claims, Depends(ctx.auth.allow(Action.MEDIA_READ, media=True))]

    @router.get("/tickets/{ticket_id}/recordings", tags=["recordings"])
    async def ticket_recordings(ticket_id: str, claims: Reader) -> list[RecordingOut]:
        """Recordings of a ticket, oldest first."""
        if await store.get_ticket(ticket_id) is None:
            raise not_found("ticket")
        return [RecordingOut.of(r) for r in await store.list_recordings(ticket_id)]

    @router.get("/recordings/{recording_id}", tags=["recordings"])
    async def get_recording(recording_id: str, claims: Reader) -> RecordingOut:
        """Recording metadata."""
        recording = await store.get_recording(recording_id)
        if recording is None:
            raise not_found("recording")
        return RecordingOut.of(recording)

    @router.get("/recordings/{recording_id}/file", tags=["recordings"], response_class=FileResponse)
    async def recording_file(recording_id: str, request: Request, claims: MediaReader) -> Response:
        """The recording (header or ?token=); one byte range per request (Range). Every response is audited."""
        recording = await store.get_recording(recording_id)
        if recording is None:
            raise not_found("recording")
        if recording.status == "recording":
            raise Problem(409, "recording-in-progress", "Conflict", "The recording is not finalised yet.")
        path = Path(recording.path)
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            raise Problem(410, "recording-gone", "Gone", "The recording file is no longer available.") from None
        byte_range = request.headers.get("range")
        # One audit line per response, seeks included: each one hands out part of the recording.
        detail = {"range": byte_range[:100]} if byte_range else {}
        if byte_range and "," in byte_range:
            await store.audit(actor=claims.subject, action="refused", ticket_id=recording.ticket_id,
                              session_id=recording.session_id, target=f"recording:{recording.id}",
                              detail={**detail, "reason": "multi-range"})
            raise Problem(416, "range-not-satisfiable", "Range not satisfiable",
                          "Ask for one byte range per request.", headers={"Content-Range": f"bytes */{size}"})
        await store.audit(actor=claims.subject, action="viewed", ticket_id=recording.ticket_id,
                          session_id=recording.session_id, target=f"recording:{recording.id}", detail=detail)
        name = f"session-{recording.session_id}{path.suffix}"
        if await asyncio.to_thread(is_sealed, path):  # encrypted at rest: decrypted on the fly, ranges too
            return await sealed_file_response(path, store.at_rest_key, byte_range, media_type=_media_type(path),
                                              headers={"Cache-Control": "private, no-store",
                                                       "Content-Disposition": f'inline; filename="{name}"'})
        return FileResponse(path, media_type=_media_type(path), filename=name,
                            content_disposition_type="inline", headers={"Cache-Control": "private, no-store"})

    @router.get("/recordings/{recording_id}/poster", tags=["recordings"], response_class=FileResponse)
    async def recording_poster(recording_id: str, claims: MediaReader) -> Response:
        """The poster frame of a recording (the view is audited)."""
        recording = await store.get_recording(recording_id)
        if recording is None or not recording.poster_path:
            raise not_found("poster")
        path = Path(recording.poster_path)
        if not await asyncio.to_thread(path.is_file):
            raise not_found("poster")
        await store.audit(actor=claims.subject, action="viewed", ticket_id=recording.ticket_id,
                          session_id=recording.session_id, target=f"poster:{recording.id}")
        media_type = mimetypes.guess_type(path.name)[0] or "image/jpeg"
        return await private_image(path, store.at_rest_key, media_type)
