"""The signaling WebSocket endpoint: origin check, then frames between the socket and `signaling.connection`.

The protocol rules (join first, ping, rate limit, violations, rejoin tokens, every error) are in
`signaling/connection.py`; this adapter carries out its actions on the socket and the call service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel
from starlette.websockets import WebSocketState

from signaling import messages as m
from signaling.connection import (
    Action,
    Admit,
    BrowserConnection,
    Close,
    Deliver,
    Send,
    SignalingConnection,
    WsLimits,
)
from signaling.revocation import CLOSE_REASONS, Revocation, covers
from signaling.service import CallService
from signaling.tokens import Claims, Role, TokenService

log = logging.getLogger(__name__)
_Own = TypeVar("_Own")  # a connection's own actions besides Send and Close


class SocketLink:
    """ClientLink over a Starlette WebSocket; sends are serialised so frames never interleave."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        self._lock = asyncio.Lock()
        self.closed = False

    async def send(self, message: BaseModel) -> None:
        if self.closed:
            return
        async with self._lock:
            try:
                await self._ws.send_text(m.dump(message))
            except Exception:  # the peer went away mid-send; the read loop will notice
                self.closed = True

    async def close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        if self._ws.application_state == WebSocketState.CONNECTED:
            try:
                await self._ws.close(code=1000, reason=reason[:120])
            except Exception:
                log.debug("close after disconnect", exc_info=True)


class LiveConnections:
    """The joined connections of this node with their credentials, so a revocation can close them."""

    def __init__(self) -> None:
        self._joined: dict[SocketLink, Claims] = {}

    def add(self, link: SocketLink, claims: Claims) -> None:
        """A connection joined with these credentials."""
        self._joined[link] = claims

    def discard(self, link: SocketLink) -> None:
        """The connection is gone."""
        self._joined.pop(link, None)

    def __len__(self) -> int:
        return len(self._joined)

    async def revoked(self, revocation: Revocation) -> int:
        """Tell and close every connection the revocation covers; returns how many."""
        code, sentence = CLOSE_REASONS.get(revocation.reason, CLOSE_REASONS["revoked"])
        hit = [link for link, c in list(self._joined.items())
               if covers(revocation, c.token_id, c.family, c.session_id if c.role is Role.CUSTOMER else None)]
        for link in hit:
            self._joined.pop(link, None)
            await link.send(m.ErrorMessage(code=code, message=sentence, fatal=True))
            await link.close(code)
        return len(hit)


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, as browsers send it in Origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(origin: str | None, allowed: set[str]) -> bool:
    """Browsers send Origin on upgrade: accept only our public origin and configured ones (never derived from the
    Host header, which a DNS-rebinding page controls); non-browser clients send none and still need a token."""
    if origin is None:
        return True
    return origin.lower() in allowed


async def serve_frames(ws: WebSocket, conn: BrowserConnection[Any, _Own],
                       carry_out: Callable[[list[Send | Close | _Own]], Awaitable[None]]) -> None:
    """The read loop of every browser socket: frames into the connection, its actions carried out, until it closes,
    the browser goes or the hello deadline passes."""
    try:
        while not conn.closed:
            wait_s = conn.seconds_to_join()
            if wait_s is not None and wait_s <= 0:
                await carry_out(conn.expire())
                continue
            try:
                frame = await asyncio.wait_for(ws.receive(), wait_s)
            except TimeoutError:
                await carry_out(conn.expire())
                continue
            if frame["type"] == "websocket.disconnect":
                return
            await carry_out(conn.receive(frame.get("text")))
    except WebSocketDisconnect:
        pass


def build_ws_router(service: CallService, tokens: TokenService, limits: WsLimits,
                    allowed_origins: list[str], connections: LiveConnections | None = None) -> APIRouter:
    """The /ws endpoint; allowed_origins: the public URL's origin and any extra configured ones."""
    router = APIRouter()
    allowed = {origin_of(o) for o in allowed_origins}
    live = connections if connections is not None else LiveConnections()  # joined sockets, for revocation

    @router.websocket("/ws")
    async def signaling(ws: WebSocket) -> None:
        if not origin_allowed(ws.headers.get("origin"), allowed):
            # Refuse before accepting: a cross-site page must not even open the socket.
            await ws.close(code=4403, reason="origin not allowed")
            return
        await ws.accept()
        link = SocketLink(ws)
        conn = SignalingConnection(tokens, limits, asyncio.get_running_loop().time)

        async def carry_out(actions: list[Action]) -> None:
            """Do what the connection asks, feeding the call service's outcomes back to it."""
            for action in actions:
                if isinstance(action, Send):
                    await link.send(action.message)
                elif isinstance(action, Admit):
                    try:
                        participant_id = await service.join(link, action.claims, action.join)
                    except Exception as exc:
                        await carry_out(conn.join_refused(exc))
                    else:
                        live.add(link, action.claims)  # before the connection's revocation check, never after
                        await carry_out(conn.joined_as(participant_id))
                elif isinstance(action, Deliver):
                    assert conn.session_id is not None and conn.participant_id is not None
                    try:
                        await service.handle(conn.session_id, conn.participant_id, action.message)
                    except Exception as exc:
                        await carry_out(conn.delivery_failed(exc))
                    else:
                        await carry_out(conn.delivered())

        try:
            await serve_frames(ws, conn, carry_out)
        finally:
            live.discard(link)
            if conn.session_id is not None and conn.participant_id is not None:
                await service.leave(conn.session_id, conn.participant_id)
            await link.close("bye")
    return router
