"""Serves the browser pages (customer, technician console, review) and their static assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def build_pages_router(*, recording_enabled: bool,
                       ice_servers: list[dict[str, str | list[str]]] | None = None,
                       max_send_height: int = 0) -> APIRouter:
    """Routes for the HTML pages; tokens travel in the URL fragment, never to the server's logs."""
    router = APIRouter(include_in_schema=False)

    @router.get("/api/public/config")
    async def public_config() -> dict[str, object]:
        """What a page needs before joining: recording consent, public STUN servers, a live-video height cap.

        Anything with a credential (TURN) is handed to participants on join only, never to anyone who asks."""
        public = [e for e in ice_servers or [] if "credential" not in e and "username" not in e]
        return {"recording": recording_enabled, "iceServers": public, "maxSendHeight": max_send_height}

    @router.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse("/console")

    @router.get("/console")
    async def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "console.html", headers=_NO_STORE)

    @router.get("/join")
    async def join() -> FileResponse:
        return FileResponse(STATIC_DIR / "join.html", headers=_NO_STORE)

    @router.get("/help")
    async def help_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "help.html", headers=_NO_STORE)

    @router.get("/catalog")
    async def catalog() -> FileResponse:
        return FileResponse(STATIC_DIR / "catalog.html", headers=_NO_STORE)

    @router.get("/review")
    async def review() -> FileResponse:
        return FileResponse(STATIC_DIR / "review.html", headers=_NO_STORE)

    @router.get("/library")
    async def library() -> FileResponse:
        return FileResponse(STATIC_DIR / "library.html", headers=_NO_STORE)

    return router


def static_files() -> StaticFiles:
    """The /static mount."""
    return StaticFiles(directory=STATIC_DIR)
