"""The help queue's WebSocket (/ws/queue): waiting customers hear their place, consoles see the queue live.

An adapter like web/ws.py: the Origin check, then frames between the socket and `signaling.queue_connection`
(the protocol's rules, sans-I/O), whose actions it carries out on the socket and the queue desk.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, WebSocket

from signaling.connection import Send, WsLimits
from signaling.queue_connection import (
    ConnectCustomer,
    ConnectTechnician,
    ConnectWatcher,
    FindRequest,
    FromCustomer,
    FromTechnician,
    QueueAction,
    QueueConnection,
)
from signaling.tokens import TokenService
from web.queue_api import QueueDesk
from web.ws import SocketLink, origin_allowed, origin_of, serve_frames


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
        link = SocketLink(ws)
        conn = QueueConnection(tokens, limits, asyncio.get_running_loop().time)

        async def carry_out(actions: list[QueueAction]) -> None:
            """Do what the connection asks, reporting the desk's answer to a customer's hello back to it."""
            for action in actions:
                if isinstance(action, Send):
                    await link.send(action.message)
                elif isinstance(action, ConnectTechnician):
                    await desk.technician_connected(link, action.claims, action.hello)
                elif isinstance(action, ConnectWatcher):
                    await desk.watcher_connected(link)
                elif isinstance(action, FindRequest):
                    await carry_out(conn.request_found(await desk.request_for(action.claims)))
                elif isinstance(action, ConnectCustomer):
                    await desk.customer_connected(link, action.request_id)
                elif isinstance(action, FromTechnician):
                    await desk.technician_said(action.technician_id, action.message)
                elif isinstance(action, FromCustomer):
                    await desk.customer_said(action.request_id, action.message)

        try:
            await serve_frames(ws, conn, carry_out)
        finally:
            if conn.technician_id is not None:
                await desk.technician_gone(link, conn.technician_id)
            if conn.watching:
                await desk.watcher_gone(link)
            if conn.request_id is not None:
                await desk.customer_gone(link, conn.request_id)
            await link.close("bye")

    return router
