"""The help queue for technicians and supervisors over REST: the live queue, its service levels, a request's photo."""

import asyncio
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from atrest.sealed import SealedFileError
from signaling import queue_messages as qm
from signaling.policy import Action
from signaling.tokens import Claims
from tickets.store import TicketStore
from web.auth import TokenAuth
from web.problems import Problem, not_found


class QueueDesk(Protocol):
    """What the queue routes and the queue socket need of whoever runs the queue (the composition root)."""

    async def snapshot(self) -> qm.QueueSnapshot:
        """The whole queue."""

    def levels(self) -> qm.ServiceLevels:
        """Service levels."""

    async def request_for(self, claims: Claims) -> str | None:
        """The open request of a customer token, or None."""

    async def customer_connected(self, link: qm.QueueLinkLike, request_id: str) -> None:
        """A waiting page opened its socket."""

    async def customer_gone(self, link: qm.QueueLinkLike, request_id: str) -> None:
        """A waiting page's socket closed."""

    async def customer_said(self, request_id: str, msg: qm.QueueCallback | qm.QueueCancel) -> None:
        """A call-back number, or the customer gives up."""

    async def technician_connected(self, link: qm.QueueLinkLike, claims: Claims, hello: qm.QueueHello) -> None:
        """A console opened the queue."""

    async def technician_gone(self, link: qm.QueueLinkLike, technician_id: str) -> None:
        """A console closed."""

    async def watcher_connected(self, link: qm.QueueLinkLike) -> None:
        """A supervisor's console watches the queue (snapshots and breaches, no requests)."""

    async def watcher_gone(self, link: qm.QueueLinkLike) -> None:
        """A watching console closed."""

    async def technician_said(self, technician_id: str, msg: qm.QueuePresence | qm.QueuePick) -> None:
        """Presence or a pick."""


def build_queue_router(desk: QueueDesk, store: TicketStore, auth: TokenAuth) -> APIRouter:
    """GET /api/queue, /api/queue/levels and a request's photo (technicians)."""
    router = APIRouter(prefix="/api/queue")
    Technician = Annotated[Claims, Depends(auth.allow(Action.QUEUE_READ))]
    MediaTechnician = Annotated[Claims, Depends(auth.allow(Action.QUEUE_READ, media=True))]

    @router.get("", tags=["queue"])
    async def queue(claims: Technician) -> qm.QueueSnapshot:
        """Waiting and answered requests, technicians online, service levels."""
        return await desk.snapshot()

    @router.get("/levels", tags=["queue"])
    async def levels(claims: Technician) -> qm.ServiceLevels:
        """Service levels: time to answer, abandonment, handle time, first-contact resolution, breaches."""
        return desk.levels()

    @router.get("/requests/{request_id}/photo", tags=["queue"], response_class=Response)
    async def photo(request_id: str, claims: MediaTechnician) -> Response:
        """The photo a customer sent with a request (decrypted here when sealed at rest)."""
        record = await store.help_desk.get_request(request_id)
        if record is None or not record.photo:
            raise not_found("photo")
        try:
            data = await asyncio.to_thread(store.help_desk.read_photo, record.photo)
        except FileNotFoundError:
            raise not_found("photo") from None
        except SealedFileError as exc:
            raise Problem(503, "sealed-file-unreadable", "Cannot decrypt", str(exc)) from None
        return Response(data, media_type="image/png" if record.photo.endswith(".png") else "image/jpeg",
                        headers={"Cache-Control": "private, no-store"})

    return router
