"""Run a real lensdesk app (uvicorn) inside the bench's own event loop, so benches can read its internals."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from lensdesk.app import Services, create_app
from lensdesk.settings import Settings
from signaling.tokens import TokenService
from testkit.servers import free_port


@dataclass
class LiveServer:
    """A served app, its URL and its services."""

    url: str
    services: Services

    def technician_token(self) -> str:
        tokens: TokenService = self.services.tokens
        return tokens.issue_technician("bench", "Bench")


@contextlib.asynccontextmanager
async def serve_in_process(data_dir: Path, **overrides: object) -> AsyncIterator[LiveServer]:
    """Start lensdesk on a free loopback port in this event loop; stop it afterwards."""
    port = free_port()
    # the bench's synthetic peers offer loopback ICE candidates, which lensdesk refuses unless allowed
    overrides = {"ice_allowed_cidrs": ["127.0.0.1/32"], **overrides}
    settings = Settings(host="127.0.0.1", port=port, data_dir=data_dir, secret_key="bench-" + "k" * 40,
                        **overrides)  # type: ignore[arg-type]
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app.state.services)
    finally:
        server.should_exit = True
        await task
