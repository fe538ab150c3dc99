"""Operator actions on one node: the short-lived admin credential and the drain endpoint behind it.

The credential is derived from the node's secret key (as `lensdesk token` derives technician tokens): whoever can
run the CLI with the node's settings can drain it; nobody else can, and a captured credential expires in a minute.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)

CREDENTIAL_MAX_AGE_S = 60
MAX_GRACE_S = 3600  # the longest a drain waits for calls to end by themselves
_PURPOSE = b"lensdesk-admin-v1:"


def admin_credential(secret: str, now: float | None = None) -> str:
    """A credential for /admin/ endpoints, valid for CREDENTIAL_MAX_AGE_S."""
    issued = str(int(time.time() if now is None else now))
    mac = hmac.new(secret.encode(), _PURPOSE + issued.encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac}"


def verify_admin_credential(secret: str, credential: str, now: float | None = None) -> bool:
    """True if the credential was made with this secret less than CREDENTIAL_MAX_AGE_S ago."""
    issued, _, mac = credential.partition(".")
    if not issued.isdigit() or len(issued) > 12:
        return False
    age = (time.time() if now is None else now) - int(issued)
    if not -5 <= age <= CREDENTIAL_MAX_AGE_S:  # a few seconds of clock skew between the CLI's host and this one
        return False
    expected = hmac.new(secret.encode(), _PURPOSE + issued.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac.encode(), expected.encode())


def build_admin_router(drain: Callable[[float], Awaitable[None]], request_exit: Callable[[], None]) -> APIRouter:
    """POST /admin/drain: stop taking rooms, let calls end (up to grace_s), move the rest, then exit.

    The AuthGate lets only a valid admin credential through to these routes.
    """
    router = APIRouter(prefix="/admin", tags=["ops"])
    running: set[asyncio.Task[None]] = set()

    async def drain_then_exit(grace_s: float) -> None:
        try:
            await drain(grace_s)
        finally:
            request_exit()  # the same stop as SIGTERM (whose drain then finds the work done)

    @router.post("/drain", status_code=202)
    async def drain_node(grace_s: float = Query(0.0, ge=0, le=MAX_GRACE_S,
                                                description="Seconds running calls may go on before they are "
                                                            "moved to other nodes")) -> JSONResponse:
        """Drain this node and stop it; answers at once, the node exits when done."""
        log.warning("admin: drain requested (grace %.0f s)", grace_s)
        if not running:
            task = asyncio.create_task(drain_then_exit(grace_s), name="admin-drain")
            running.add(task)
        return JSONResponse({"draining": True, "grace_s": grace_s}, status_code=202)

    return router
