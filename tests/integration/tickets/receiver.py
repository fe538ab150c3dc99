"""A real webhook receiver on a loopback port: verifies signatures and drops repeats by idempotency key."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tickets.connectors.webhook import HEADER_IDEMPOTENCY_KEY, SignatureError, verify_signature


@dataclass
class WebhookReceiver:
    """Answers `fail_status` to the first `fail_first` requests (or all with fail_always)."""

    secret: str
    fail_first: int = 0
    fail_always: bool = False
    fail_status: int = 503
    window_s: int = 300
    requests: list[float] = field(default_factory=list)  # arrival times of every request
    rejected: list[str] = field(default_factory=list)
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> body, once each
    duplicates: int = 0
    url: str = ""

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.body()
        self.requests.append(time.monotonic())
        if self.fail_always or len(self.requests) <= self.fail_first:
            return JSONResponse({"error": "try later"}, status_code=self.fail_status)
        try:
            verify_signature(self.secret, dict(request.headers), body, window_s=self.window_s)
        except SignatureError as exc:
            self.rejected.append(str(exc))
            return JSONResponse({"error": str(exc)}, status_code=401)
        key = request.headers[HEADER_IDEMPOTENCY_KEY]
        if key in self.processed:
            self.duplicates += 1  # acknowledged again, processed once
        else:
            self.processed[key] = json.loads(body)
        return JSONResponse({"ok": True})


class RunningReceiver:
    """Runs a WebhookReceiver with uvicorn in the current event loop."""

    def __init__(self, receiver: WebhookReceiver) -> None:
        self.receiver = receiver
        app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        port = self._sock.getsockname()[1]
        receiver.url = f"http://127.0.0.1:{port}/hook"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:  # noqa: ASYNC110 - uvicorn offers no start event
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        self._sock.close()
