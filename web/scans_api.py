"""Full-resolution scan upload: the customer's page posts the still a scan asked for (issue 10, part 3).

`POST /api/sessions/{session_id}/scans/{scan_id}/still`, body = the image itself (Content-Type image/jpeg or
image/png), `Authorization: Bearer <the customer's join or rejoin token for this session>`.
Answers 202 when the still is accepted and being read (the result goes to the technicians over the call);
401 without a valid token, 403 for a technician's token or another session's, 413 when too large, 415 for
another content type, 422 when the body is not a readable JPEG/PNG, 409 when no scan of this id is waiting
for a photo (none was requested, it ended, or its photo already arrived). An unrequested photo is refused
rather than read: the server only reads what a technician or the live analysis asked for.
"""

import asyncio
import io
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from PIL import Image, UnidentifiedImageError

from signaling.policy import Action
from signaling.tokens import Claims, Role
from web.auth import TokenAuth
from web.body_limit import body_limit
from web.problems import Problem

StillSource = Literal["takePhoto", "grabFrame", "video"]
ACCEPTED_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
MAX_PIXELS = 50_000_000  # a 50 MP photo is larger than any phone's; beyond it decoding is a memory bomb


@dataclass(frozen=True, slots=True)
class StillMeta:
    """What the page says about its still, and what the header shows."""

    width: int
    height: int
    content_type: str
    source: StillSource
    capture_delay_s: float  # from the scan request reaching the page to the shutter


class StillRefused(Exception):
    """The call service will not take this still; becomes a problem response."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class ScanService(Protocol):
    """Whoever runs calls: takes a scan's still and has it read."""

    async def accept_still(self, session_id: str, scan_id: str, claims: Claims, data: bytes, meta: StillMeta) -> None:
        """Take the still of a waiting scan (read off the event loop); raises StillRefused."""


def _too_large(limit: int) -> Problem:
    return Problem(413, "upload-too-large", "Content too large", f"The photo may be at most {limit} bytes.",
                   max_bytes=limit)


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from the image header (no decoding); ValueError when it is not a JPEG or PNG."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("JPEG", "PNG"):
                raise ValueError(f"a {img.format} image")
            return int(img.width), int(img.height)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValueError("not a readable image") from exc


def build_scans_router(auth: TokenAuth, service: ScanService, *, max_bytes: int) -> APIRouter:
    """The /api scan routes."""
    router = APIRouter(prefix="/api", tags=["scans"])
    Customer = Annotated[Claims, Depends(auth.allow(Action.SCAN_UPLOAD))]

    @router.post("/sessions/{session_id}/scans/{scan_id}/still", status_code=202,
                 responses={202: {"description": "Accepted; the result goes to the technicians in the call"}})
    @body_limit(max_bytes)  # larger than the app-wide body limit; also enforced while the body streams in
    async def upload_still(
        request: Request, session_id: str, scan_id: str, claims: Customer,
        delay_ms: Annotated[int, Query(ge=0, le=120_000, description="Request received -> photo taken")] = 0,
        source: Annotated[StillSource, Query(description="How the page took the still")] = "takePhoto",
    ) -> JSONResponse:
        """The customer's page uploads the full-resolution still a scan asked for."""
        if claims.role is not Role.CUSTOMER or claims.session_id != session_id:
            raise Problem(403, "not-this-session", "Forbidden",
                          "Only the customer's page of this session can upload its scan photo.")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_TYPES:
            raise Problem(415, "unsupported-media-type", "Unsupported media type",
                          "Send the photo as image/jpeg or image/png.", accepted=sorted(ACCEPTED_TYPES))
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(max_bytes)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(max_bytes)
        data = bytes(body)
        if not data.startswith(ACCEPTED_TYPES[content_type]):
            raise Problem(422, "not-an-image", "Not an image", f"The body is not a {content_type} image.")
        try:
            width, height = await asyncio.to_thread(image_size, data)
        except ValueError as exc:
            raise Problem(422, "not-an-image", "Not an image", f"The photo cannot be read: {exc}.") from exc
        if width * height > MAX_PIXELS:
            raise Problem(422, "image-too-large", "Image too large",
                          f"The photo has {width}x{height} pixels; at most {MAX_PIXELS} pixels are read.")
        meta = StillMeta(width, height, content_type, source, delay_ms / 1000)
        try:
            await service.accept_still(session_id, scan_id, claims, data, meta)
        except StillRefused as exc:
            raise Problem(exc.status, exc.code.replace("_", "-"), HTTPStatus(exc.status).phrase, exc.message) from exc
        return JSONResponse({"scan_id": scan_id, "status": "reading", "width": width, "height": height},
                            status_code=202)

    return router
