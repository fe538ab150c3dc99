"""Serves the browser pages (customer, technician console, review) and their static assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def build_pages_router() -> APIRouter:
    """Routes for the HTML pages; tokens travel in the URL fragment, never to the server's logs."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse("/console")

    @router.get("/console")
    async def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "console.html", headers=_NO_STORE)

    @router.get("/join")
    async def join() -> FileResponse:
        return FileResponse(STATIC_DIR / "join.html", headers=_NO_STORE)

    @router.get("/review")
    async def review() -> FileResponse:
        return FileResponse(STATIC_DIR / "review.html", headers=_NO_STORE)

    return router


def static_files() -> StaticFiles:
    """The /static mount."""
    return StaticFiles(directory=STATIC_DIR)
