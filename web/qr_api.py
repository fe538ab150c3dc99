"""QR code of a join link for the technician's screen: technician-only, rendered off the event loop, cached.

POST, not GET: the link carries the customer's token, which must not appear in a URL (access logs, history).
"""

import asyncio
import functools
import io
from typing import Annotated

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from signaling.policy import Action
from signaling.tokens import Claims
from web.common_api import ApiContext


class QrIn(BaseModel):
    """What to encode."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2048)


@functools.lru_cache(maxsize=64)
def render_qr_svg(text: str) -> bytes:
    """SVG bytes of a QR code (CPU-heavy: call it from a worker thread)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue()


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register POST /api/qr.svg on the /api router."""
    Writer = Annotated[Claims, Depends(ctx.auth.allow(Action.TICKETS_WRITE))]
    renders = asyncio.Semaphore(2)  # at most two renders at once, so a burst cannot take every worker thread

    @router.post("/qr.svg", tags=["sessions"], response_class=Response,
                 responses={200: {"content": {"image/svg+xml": {}}}})
    async def qr(body: QrIn, claims: Writer) -> Response:
        """A QR code (SVG) of a join link, so a customer can scan it from the technician's screen."""
        async with renders:
            svg = await asyncio.to_thread(render_qr_svg, body.text)
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})
