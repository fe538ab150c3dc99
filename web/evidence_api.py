"""Evidence routes: a session's bundle (zip), signed share links to it (expiring, revocable, every download
audited), and clips of a recording cut without re-encoding. Zips and clips are made in threads, never on the loop."""

import asyncio
import contextlib
import io
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from atrest.sealed import SealedFileError, open_for_reading
from signaling.policy import Action
from signaling.tokens import Claims, TokenError
from tickets.evidence import bundle_contents, write_bundle
from tickets.evidence_shares import MAX_SHARE_DAYS, ShareRecord
from tickets.schema import utcnow
from vocabulary import PLAYABLE_RECORDINGS
from web.common_api import ApiContext
from web.problems import Problem, not_found
from web.sealed_media import sealed_file_response

MAX_CLIP_S = 600.0  # clips are made in memory


class ShareIn(BaseModel):
    """A new share link."""

    model_config = ConfigDict(extra="forbid")
    ttl_hours: float = Field(72.0, gt=0, le=MAX_SHARE_DAYS * 24, description="How long the link works")
    note: str = Field("", max_length=300, description='Who it is for, e.g. "vendor case 1234"')


class ShareOut(BaseModel):
    """A share link (url only when just created: it is not stored)."""

    id: str
    session_id: str
    note: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    downloads: int
    url: str | None = None

    @classmethod
    def of(cls, r: ShareRecord, url: str | None = None) -> "ShareOut":
        """From a store record."""
        return cls(id=r.id, session_id=r.session_id, note=r.note, created_by=r.created_by, created_at=r.created_at,
                   expires_at=r.expires_at, revoked_at=r.revoked_at, downloads=r.downloads, url=url)


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the evidence routes on the /api router."""
    store = ctx.store
    Exporter = Annotated[Claims, Depends(ctx.auth.allow(Action.EXPORT))]
    MediaExporter = Annotated[Claims, Depends(ctx.auth.allow(Action.EXPORT, media=True))]
    exports = store.data_dir / "exports"  # made and removed per response; never listed by anything

    async def bundle_response(session_id: str, actor: str, detail: dict[str, str]) -> Response:
        contents = await bundle_contents(store, session_id)
        if contents is None:
            raise not_found("session")
        await asyncio.to_thread(exports.mkdir, parents=True, exist_ok=True)
        out = exports / f"{uuid.uuid4().hex}.zip"
        try:
            await asyncio.to_thread(write_bundle, contents, out, store.at_rest_key)
        except SealedFileError as exc:
            await asyncio.to_thread(_discard, out)
            raise Problem(503, "sealed-file-unreadable", "Cannot decrypt", str(exc)) from None
        except BaseException:
            await asyncio.to_thread(_discard, out)
            raise
        await store.audit(actor=actor, action="bundle_downloaded", session_id=session_id,
                          target=f"session:{session_id}", detail=detail)
        # sealed like the recordings when a key is set; streamed decrypted, deleted once sent
        response = await sealed_file_response(
            out, store.at_rest_key, None, media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="lensdesk-session-{session_id}.zip"'})
        response.background = BackgroundTask(asyncio.to_thread, _discard, out)
        return response

    @router.get("/sessions/{session_id}/bundle", tags=["evidence"], response_class=StreamingResponse)
    async def session_bundle(session_id: str, claims: MediaExporter) -> Response:
        """The session's evidence as a zip (header or ?token=): recordings, findings.json, snapshots, chat and audit
        trail, and an index.html that plays offline. Every download is audited."""
        return await bundle_response(session_id, claims.subject, {"via": "token"})

    @router.post("/sessions/{session_id}/shares", status_code=201, tags=["evidence"])
    async def create_share(session_id: str, body: ShareIn, claims: Exporter) -> ShareOut:
        """A signed link to the session's bundle that works without a token until it expires or is revoked."""
        share = await store.shares.create(session_id, ttl=timedelta(hours=body.ttl_hours), note=body.note,
                                          actor=claims.subject)
        token = ctx.tokens.issue_share(share.id, share.expires_at.timestamp())
        return ShareOut.of(share, url=f"{ctx.base_url}/api/public/shares/{token}")

    @router.get("/sessions/{session_id}/shares", tags=["evidence"])
    async def list_shares(session_id: str, claims: Exporter) -> list[ShareOut]:
        """The session's share links (without their URLs), with their download counts."""
        if await store.get_session(session_id) is None:
            raise not_found("session")
        return [ShareOut.of(s) for s in await store.shares.of_session(session_id)]

    @router.post("/shares/{share_id}/revoke", tags=["evidence"])
    async def revoke_share(share_id: str, claims: Exporter) -> ShareOut:
        """Revoke a share link at once (audited)."""
        return ShareOut.of(await store.shares.revoke(share_id, actor=claims.subject))

    @router.get("/public/shares/{token}", tags=["evidence"], response_class=StreamingResponse)
    async def shared_bundle(token: str, request: Request) -> Response:
        """A bundle through its share link (no sign-in): refused once expired or revoked; every download audited."""
        try:
            share_id = ctx.tokens.verify_share(token)
        except TokenError as exc:
            raise Problem(410 if exc.code == "share_expired" else 404, exc.code.replace("_", "-"),
                          "Gone" if exc.code == "share_expired" else "Not Found", exc.message) from exc
        share = await store.shares.get(share_id)
        if share is None or not share.usable(utcnow()):
            raise Problem(410, "share-revoked", "Gone", "This share link has been revoked or has expired.")
        await store.shares.count_download(share, client=request.client.host if request.client else "")
        return await bundle_response(share.session_id, f"share:{share.id}", {"via": "share"})

    @router.get("/recordings/{recording_id}/clip", tags=["evidence"], response_class=Response)
    async def recording_clip(
        recording_id: str, claims: MediaExporter,
        start_s: Annotated[float, Query(ge=0, description="From (s); the clip starts at the keyframe before")],
        end_s: Annotated[float, Query(gt=0, description="To (s), exclusive")],
    ) -> Response:
        """A clip of the recording from start_s to end_s (at most MAX_CLIP_S), packets copied, no re-encoding: it
        starts at the keyframe before start_s (X-Clip-Start-S). Made in memory (no plaintext on disk). Audited."""
        recording = await store.get_recording(recording_id)
        if recording is None:
            raise not_found("recording")
        if recording.status not in PLAYABLE_RECORDINGS:
            raise Problem(409, "recording-not-ready", "Conflict", "Only a finalised recording can be clipped.")
        if end_s <= start_s or end_s - start_s > MAX_CLIP_S:
            raise Problem(422, "clip-range", "Unprocessable Content",
                          f"end_s must be after start_s, at most {MAX_CLIP_S:.0f} s later.")
        source = Path(recording.path)
        webm = source.suffix.lower() != ".mkv"

        cutter = ctx.cut_clip
        if cutter is None:
            raise Problem(501, "clips-unavailable", "Not Implemented", "This server cannot cut clips.")

        def cut() -> tuple[float, bytes]:
            with open_for_reading(source, store.at_rest_key) as plain:
                out = io.BytesIO()
                return cutter(plain, out, start_s, end_s, webm), out.getvalue()

        try:
            clip_start, clip = await asyncio.to_thread(cut)
        except FileNotFoundError:
            raise Problem(410, "recording-gone", "Gone", "The recording file is no longer available.") from None
        except SealedFileError as exc:
            raise Problem(503, "sealed-file-unreadable", "Cannot decrypt", str(exc)) from None
        except ValueError as exc:  # the range holds nothing of the recording
            raise Problem(422, "clip-empty", "Unprocessable Content", str(exc)) from exc
        await store.audit(actor=claims.subject, action="clip_exported", session_id=recording.session_id,
                          target=f"recording:{recording_id}",
                          detail={"start_s": round(clip_start, 3), "end_s": end_s, "asked_start_s": start_s})
        name = f"lensdesk-clip-{recording_id}-{clip_start:.0f}-{end_s:.0f}.{'webm' if webm else 'mkv'}"
        return Response(clip, media_type="video/webm" if webm else "video/x-matroska",
                        headers={"X-Clip-Start-S": f"{clip_start:.3f}",
                                 "Content-Disposition": f'attachment; filename="{name}"'})
