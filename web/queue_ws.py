"""The help queue's WebSocket (/ws/queue): waiting customers hear their place, consoles see the queue live.

The same framing rules as /ws: Origin check, message size and rate limits, a join deadline, typed messages.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from signaling import queue_messages as qm
from signaling.connection import JOIN_TIMEOUT_S, MAX_VIOLATIONS, WsLimits
from signaling.messages import ErrorMessage, Pong, ProtocolError
from signaling.policy import Action, allowed
from signaling.ratelimit import TokenBucket
from signaling.tokens import Role, TokenError, TokenService
from web.queue_api import QueueDesk
from web.ws import _Link, origin_allowed, origin_of

log = logging.getLogger(__name__)


def build_queue_ws_router(desk: QueueDesk, tokens: TokenService, limits: WsLimits,
                          allowed_origins: list[str]) -> APIRouter:
    """The /ws/queue endpoint."""
    router = APIRouter()
    origins = {origin_of(o) for o in allowed_origins}

    @router.websocket("/ws/queue")
    async def queue_socket(ws: WebSocket) -> None:
        if not origin_allowed(ws.headers.get("origin"), origins):
            await ws.close(code=4403, reason="origin not allowed")
            return
        await ws.accept()
        link = _Link(ws)
        bucket = TokenBucket(limits.rate_per_s, limits.burst)
        technician: str | None = None
        request_id: str | None = None
        watching = False
        violations = 0
        deadline = asyncio.get_running_loop().time() + JOIN_TIMEOUT_S
        try:
            while True:
                joined = technician is not None or request_id is not None or watching
                timeout = None if joined else deadline - asyncio.get_running_loop().time()
                if timeout is not None and timeout <= 0:
                    await link.send(ErrorMessage(code="join_timeout", fatal=True,
                                                 message=f"No valid queue_hello within {JOIN_TIMEOUT_S:.0f} s."))
                    break
                frame = await asyncio.wait_for(ws.receive(), timeout)
                if frame["type"] == "websocket.disconnect":
                    break
                if not bucket.allow():
                    violations += 1
                    await link.send(ErrorMessage(code="rate_limited", message="Too many messages; slow down."))
                    if violations > MAX_VIOLATIONS:
                        break
                    continue
                try:
                    raw = frame.get("text")
                    if raw is None:
                        raise ProtocolError("unsupported_frame", "Only text frames carrying JSON are accepted.")
                    msg = qm.parse_queue_message(raw, limits.max_message_bytes)
                    if isinstance(msg, qm.QueuePing):
                        await link.send(Pong())
                    elif not joined:
                        if not isinstance(msg, qm.QueueHello):
                            raise ProtocolError("not_joined", "Send 'queue_hello' with your token first.")
                        try:
                            claims = tokens.verify(msg.token)
                        except TokenError as exc:
                            await link.send(ErrorMessage(code=exc.code, message=exc.message, fatal=True))
                            break
                        if allowed(claims.role, Action.QUEUE_TAKE):
                            technician = claims.subject
                            await desk.technician_connected(link, claims, msg)
                        elif allowed(claims.role, Action.QUEUE_READ):
                            watching = True
                            await desk.watcher_connected(link)
                        elif claims.role is not Role.CUSTOMER:
                            await link.send(ErrorMessage(code="role_not_allowed", fatal=True,
                                                         message="This token may not open the help queue."))
                            break
                        else:
                            request_id = await desk.request_for(claims)
                            if request_id is None:
                                await link.send(ErrorMessage(code="no_request", fatal=True,
                                                             message="This request is no longer in the queue."))
                                break
                            await desk.customer_connected(link, request_id)
                    elif isinstance(msg, qm.QueueHello):
                        raise ProtocolError("already_joined", "This connection has already said hello.")
                    elif watching:
                        raise ProtocolError("not_allowed", "A supervisor's console watches the queue; it takes nothing.")
                    elif technician is not None:
                        if not isinstance(msg, qm.QueuePresence | qm.QueuePick):
                            raise ProtocolError("not_allowed", "Technicians set presence and pick requests.")
                        await desk.technician_said(technician, msg)
                    else:
                        assert request_id is not None
                        if not isinstance(msg, qm.QueueCallback | qm.QueueCancel):
                            raise ProtocolError("not_allowed", "Customers leave a call-back number or cancel.")
                        await desk.customer_said(request_id, msg)
                except ProtocolError as exc:
                    violations += 1
                    await link.send(exc.to_message())
                    if violations > MAX_VIOLATIONS:
                        break
        except (TimeoutError, WebSocketDisconnect):
            pass
        finally:
            if technician is not None:
                await desk.technician_gone(link, technician)
            if watching:
                await desk.watcher_gone(link)
            if request_id is not None:
                await desk.customer_gone(link, request_id)
            await link.close("bye")

    return router
