"""Request body caps: a global limit, larger per-route limits declared on the endpoint, enforced while streaming.

Declare a route's own limit with the decorator, under the route decorator:

    @router.post("/sessions/{session_id}/scans")
    @body_limit(20 * MiB)
    async def upload_scan(...): ...

The limit is checked when the route first reads its body (routing has picked the endpoint by then): a declared
Content-Length over it is refused before a byte is read, a chunked body is counted as it arrives and refused as
soon as it passes the limit, so neither multipart spooling nor JSON parsing sees more than the limit. The 413 is a
problem document and closes the connection. (FastAPI's own max_body_size answers plain text, and from outside
the app's exception handlers, so it is not used.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.problems import Problem, problem_response

KiB = 1024
MiB = 1024 * KiB
_ATTRIBUTE = "__lensdesk_body_limit__"

F = TypeVar("F", bound=Callable[..., Any])


def body_limit(max_bytes: int) -> Callable[[F], F]:
    """Give one endpoint its own body limit (instead of the global one)."""
    def mark(endpoint: F) -> F:
        setattr(endpoint, _ATTRIBUTE, max_bytes)
        return endpoint
    return mark


class BodyTooLarge(HTTPException):
    """Raised from receive() when a body passes its limit; answered as a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body may be at most {limit} bytes.")
        self.limit = limit


def too_large_problem(limit: int) -> Problem:
    """The 413 problem document for a body over `limit` (the connection closes: the rest is never read)."""
    return Problem(413, "body-too-large", "Content too large", f"The request body may be at most {limit} bytes.",
                   headers={"Connection": "close"}, max_bytes=limit)


class BodyLimit:
    """ASGI middleware enforcing the body limit of the endpoint a request was routed to."""

    def __init__(self, app: ASGIApp, *, default_max_bytes: int) -> None:
        self.app = app
        self._default = default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0
        limit: int | None = None
        started = False

        async def counted_receive() -> Message:
            nonlocal received, limit
            if limit is None:  # the first read: routing has set the endpoint in the scope by now
                limit = int(getattr(scope.get("endpoint"), _ATTRIBUTE, self._default))
                declared = _content_length(scope)
                if declared is not None and declared > limit:
                    raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge as exc:  # only if no exception handler answered it already
            if started:
                raise
            await problem_response(too_large_problem(exc.limit), scope.get("path"))(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _on_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return problem_response(too_large_problem(exc.limit), request.url.path)


def install_body_limit(app: FastAPI, default_max_bytes: int) -> None:
    """Add the middleware and its 413 handler to the app."""
    app.add_exception_handler(BodyTooLarge, _on_too_large)
    app.add_middleware(BodyLimit, default_max_bytes=default_max_bytes)
