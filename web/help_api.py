"""Device help links: stickers for technicians to print and revoke, and the two routes a help link's token opens
(what device it is for; ask for help). The help token grants nothing else: every other route refuses it.

The link is `{base}/help#h=TOKEN` (token in the fragment: never in a server or proxy log).
"""

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from signaling.policy import Action
from signaling.tokens import Claims, TokenError, TokenService
from tickets.records import HelpLinkRecord, QueueRequestRecord
from tickets.store import TicketStore
from vocabulary import CallMedia
from web.auth import TokenAuth, bearer_token, unauthorized
from web.body_limit import body_limit
from web.problems import Problem, not_found
from web.stickers import Sticker, sticker_png, sticker_sheet_pdf, sticker_svg

MiB = 1024 * 1024
MAX_PHOTO_BYTES = 5 * MiB
HELP_PREFIX = "/api/help/"  # the only paths a help token opens (see web/auth_gate.py)
Enqueue = Callable[[QueueRequestRecord, HelpLinkRecord], Awaitable[None]]


class HelpLinkIn(BaseModel):
    """A device (serial given) or a product line to print a help sticker for."""

    model_config = ConfigDict(extra="forbid")
    family: str = Field(min_length=1, max_length=100, description="Vendor/device family: routes requests to "
                        "technicians skilled for it", pattern=r"^[\w .+-]+$")
    model: str = Field(min_length=1, max_length=200)
    serial: str = Field("", max_length=200)
    site: str = Field("", max_length=200, description="Site or customer reference (becomes the ticket's external ref)")
    label: str = Field("", max_length=200)


class HelpLinkOut(BaseModel):
    """A help link as technicians see it (with its URL: the sticker's content)."""

    id: str
    family: str
    model: str
    serial: str
    site: str
    label: str
    url: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class SheetIn(BaseModel):
    """Links to print on one PDF sheet."""

    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(min_length=1, max_length=120)


class DeviceOut(BaseModel):
    """What the customer's phone shows: the device the sticker is on."""

    family: str
    model: str
    serial: str
    site: str
    label: str


class HelpRequestIn(BaseModel):
    """A customer's request for help."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    media: CallMedia = "voice"
    language: str = Field("", max_length=20, pattern=r"^[A-Za-z-]*$")
    photo: str = Field("", max_length=MAX_PHOTO_BYTES * 4 // 3 + 4, description="Base64 JPEG or PNG")


class HelpRequestOut(BaseModel):
    """The request, and the customer's token for waiting in the queue and then joining the call."""

    request_id: str
    session_id: str
    token: str
    token_expires_at: datetime


def sticker_of(link: HelpLinkRecord, url: str) -> Sticker:
    """The sticker of a link: its URL and the lines naming the device."""
    lines = [link.label or link.model]
    if link.label:
        lines.append(link.model)
    if link.serial:
        lines.append(f"S/N {link.serial}")
    if link.site:
        lines.append(link.site)
    return Sticker(url, tuple(lines))


def build_help_router(store: TicketStore, tokens: TokenService, auth: TokenAuth, *, base_url: str,
                      request_token_ttl_s: int, max_open_per_link: int, enqueue: Enqueue) -> APIRouter:
    """Routes for help links: supervisors manage stickers (Action.STICKERS_MANAGE); help tokens ask for help."""
    router = APIRouter()
    desk = store.help_desk
    Manager = Annotated[Claims, Depends(auth.allow(Action.STICKERS_MANAGE))]
    MediaManager = Annotated[Claims, Depends(auth.allow(Action.STICKERS_MANAGE, media=True))]
    renders = asyncio.Semaphore(2)  # stickers and sheets render in worker threads, two at a time

    def url_of(link: HelpLinkRecord) -> str:
        return f"{base_url.rstrip('/')}/help#h={tokens.issue_help(link.id)}"

    def out(link: HelpLinkRecord) -> HelpLinkOut:
        return HelpLinkOut(id=link.id, family=link.family, model=link.model, serial=link.serial, site=link.site,
                           label=link.label, url=url_of(link), created_by=link.created_by,
                           created_at=link.created_at, revoked_at=link.revoked_at)

    async def live_link(request: Request) -> HelpLinkRecord:
        try:
            link_id = tokens.verify_help(bearer_token(request))
        except TokenError as exc:
            raise unauthorized(exc.code, exc.message) from exc
        link = await desk.get_link(link_id)
        if link is None or link.revoked_at is not None:
            raise Problem(410, "help-link-revoked", "Gone",
                          "This help sticker is no longer in use; contact the device's support another way.")
        return link

    HelpLink = Annotated[HelpLinkRecord, Depends(live_link)]

    @router.post("/api/help-links", status_code=201, tags=["help"])
    async def create_link(body: HelpLinkIn, claims: Manager) -> HelpLinkOut:
        """A help link (non-expiring, revocable) for a device or a product line."""
        link = await desk.create_link(family=body.family, model=body.model, serial=body.serial, site=body.site,
                                      label=body.label, actor=claims.subject)
        return out(link)

    @router.get("/api/help-links", tags=["help"])
    async def list_links(claims: Manager,
                         include_revoked: Annotated[bool, Query()] = False) -> list[HelpLinkOut]:
        """Help links, newest first."""
        return [out(link) for link in await desk.list_links(include_revoked=include_revoked)]

    @router.post("/api/help-links/{link_id}/revoke", tags=["help"])
    async def revoke_link(link_id: str, claims: Manager) -> HelpLinkOut:
        """Revoke a help link: its sticker asks for help no more (waiting requests stay in the queue)."""
        return out(await desk.revoke_link(link_id, actor=claims.subject))

    @router.get("/api/help-links/{link_id}/sticker.{fmt}", tags=["help"], response_class=Response,
                responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}})
    async def sticker(link_id: str, fmt: Literal["png", "svg"], claims: MediaManager) -> Response:
        """One sticker as PNG (300 dpi) or SVG."""
        link = await desk.get_link(link_id)
        if link is None:
            raise not_found("help link")
        if link.revoked_at is not None:
            raise Problem(409, "help-link-revoked", "Conflict", "This help link is revoked; create a new one.")
        render = sticker_png if fmt == "png" else sticker_svg
        async with renders:
            data = await asyncio.to_thread(render, sticker_of(link, url_of(link)))
        return Response(data, media_type="image/png" if fmt == "png" else "image/svg+xml",
                        headers={"Cache-Control": "private, no-store"})

    @router.post("/api/help-links/sheet.pdf", tags=["help"], response_class=Response,
                 responses={200: {"content": {"application/pdf": {}}}})
    async def sheet(body: SheetIn, claims: Manager) -> Response:
        """A PDF sheet of stickers (A4, 12 a page) for the given links, in that order."""
        links = []
        for link_id in body.ids:
            link = await desk.get_link(link_id)
            if link is None or link.revoked_at is not None:
                raise Problem(422, "help-link-unusable", "Unprocessable Content",
                              f"Help link {link_id[:64]!r} does not exist or is revoked.")
            links.append(link)
        async with renders:
            pdf = await asyncio.to_thread(sticker_sheet_pdf, [sticker_of(link, url_of(link)) for link in links])
        return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "private, no-store"})

    @router.get(HELP_PREFIX + "device", tags=["help"])
    async def device(link: HelpLink) -> DeviceOut:
        """The device a help link is for (the help token in the Authorization header)."""
        return DeviceOut(family=link.family, model=link.model, serial=link.serial, site=link.site, label=link.label)

    @router.post(HELP_PREFIX + "requests", status_code=201, tags=["help"])
    @body_limit(MAX_PHOTO_BYTES * 4 // 3 + 64 * 1024)
    async def ask_for_help(body: HelpRequestIn, link: HelpLink) -> HelpRequestOut:
        """Ask for help with the device: a ticket and a session are created and the request joins the queue."""
        photo = None
        if body.photo:
            try:
                photo = base64.b64decode(body.photo, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise Problem(422, "photo-invalid", "Unprocessable Content", "The photo is not valid base64.") from exc
            if len(photo) > MAX_PHOTO_BYTES:
                raise Problem(413, "photo-too-large", "Content Too Large",
                              f"The photo is larger than {MAX_PHOTO_BYTES // MiB} MiB.")
        waiting = sum(1 for r in await desk.open_requests() if r.help_link_id == link.id and r.state == "waiting")
        if waiting >= max_open_per_link:
            raise Problem(429, "help-queue-full", "Too Many Requests",
                          "Several requests for this device are already waiting; please wait for a technician.",
                          headers={"Retry-After": "60"})
        record = await desk.create_request(link, customer_name=body.name, description=body.description,
                                           media=body.media, language=body.language, photo=photo)
        token = tokens.issue_customer(record.session_id, name=record.customer_name, ttl_s=request_token_ttl_s)
        await enqueue(record, link)
        expires = tokens.verify(token).expires_at
        return HelpRequestOut(request_id=record.id, session_id=record.session_id, token=token,
                              token_expires_at=datetime.fromtimestamp(expires, UTC))

    return router
