"""Authentication before any body is read: an ASGI middleware that checks the token of protected paths first.

FastAPI resolves a route's body before (or alongside) its dependencies, so a 401 from a dependency comes only
after a multipart upload was spooled or a JSON body parsed. This gate answers 401/403 from the headers alone
and closes the connection, so an anonymous client cannot make the server read, spool or parse anything.
Role checks beyond "valid token" (technician-only routes) stay in the routes' dependencies.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from signaling.tokens import Claims, Role, TokenError
from web.auth import unauthorized
from web.problems import Problem, problem_response

OPEN_PATHS = frozenset({"/", "/console", "/join", "/review", "/catalog", "/healthz", "/readyz", "/favicon.ico"})
OPEN_PREFIXES = ("/static/", "/api/public/")
TECHNICIAN_PATHS = frozenset({"/openapi.json"})
METRICS_PATH = "/metrics"
ADMIN_PREFIX = "/admin/"  # operator actions (drain): an admin credential, never a technician or customer token
QUERY_TOKEN_METHODS = frozenset({"GET", "HEAD"})  # <img>/<video> cannot send headers; never for bodies


class Access(StrEnum):
    """Who may reach a path."""

    OPEN = "open"
    TOKEN = "token"  # any valid token; the route checks the role
    TECHNICIAN = "technician"
    METRICS = "metrics"  # a technician token or the metrics token
    ADMIN = "admin"  # the operator's admin credential only


def access_for(path: str) -> Access:
    """The access rule of a request path (everything not listed as open needs a token)."""
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return Access.OPEN
    if path == METRICS_PATH:
        return Access.METRICS
    if path.startswith(ADMIN_PREFIX):
        return Access.ADMIN
    if path in TECHNICIAN_PATHS:
        return Access.TECHNICIAN
    return Access.TOKEN


def request_token(scope: Scope) -> str | None:
    """Bearer token from the Authorization header, else ?token= (decoded like the app decodes it) on GET/HEAD."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    if scope.get("method") in QUERY_TOKEN_METHODS:
        for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            if key == "token" and value:
                return value
    return None


def _may_carry_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"", b"0")):
            return True
    return False


class AuthGate:
    """ASGI middleware: refuse protected requests without a valid token before the app sees them."""

    def __init__(self, app: ASGIApp, *, verify: Callable[[str | None], Claims], metrics_token: str = "",
                 verify_admin: Callable[[str], bool] = lambda credential: False) -> None:
        self.app = app
        self._verify = verify
        self._metrics_token = metrics_token
        self._verify_admin = verify_admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._refusal(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        if _may_carry_body(scope):
            # The body stays unread; closing the connection stops the client from sending it at all.
            problem.headers["Connection"] = "close"
        await problem_response(problem, scope.get("path"))(scope, receive, send)

    def _refusal(self, scope: Scope) -> Problem | None:
        access = access_for(scope.get("path", ""))
        if access is Access.OPEN:
            return None
        token = request_token(scope)
        if access is Access.ADMIN:
            if token and scope.get("method") not in QUERY_TOKEN_METHODS and self._verify_admin(token):
                return None
            return Problem(401, "admin-credential-required", "Unauthorized",
                           "This needs a fresh admin credential (see `lensdesk drain`).",
                           headers={"WWW-Authenticate": "Bearer"})
        if access is Access.METRICS and self._metrics_token and token and hmac.compare_digest(
                token.encode(), self._metrics_token.encode()):
            return None
        try:
            claims = self._verify(token)
        except TokenError as exc:
            return unauthorized(exc.code, exc.message)
        if access in (Access.TECHNICIAN, Access.METRICS) and claims.role is not Role.TECHNICIAN:
            return Problem(403, "technician-only", "Forbidden", "This needs a technician token.")
        return None
