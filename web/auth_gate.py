"""Authentication before any body is read: an ASGI middleware that checks the token of protected paths first.

FastAPI resolves a route's body before (or alongside) its dependencies, so a 401 from a dependency comes only
after a multipart upload was spooled or a JSON body parsed. This gate answers 401/403 from the headers alone
and closes the connection, so an anonymous client cannot make the server read, spool or parse anything.
Role checks beyond "valid token" stay in the routes' dependencies (web/auth.py `allow`), except for the few
paths without a route of their own (GATED_PATHS), whose action the gate checks against the same policy.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from signaling.policy import Action, allowed
from signaling.tokens import Claims, TokenError
from web.auth import role_not_allowed, unauthorized
from web.problems import Problem, problem_response

OPEN_PATHS = frozenset({"/", "/console", "/join", "/help", "/review", "/library", "/catalog", "/healthz", "/readyz",
                        "/favicon.ico"})
OPEN_PREFIXES = ("/static/", "/api/public/")
GATED_PATHS = {"/openapi.json": Action.API_DOCS, "/metrics": Action.METRICS}  # checked here: no route dependency
METRICS_PATH = "/metrics"
HELP_PREFIX = "/api/help/"  # a device help link's token only (web/help_api.py); no other token opens it
ADMIN_PREFIX = "/admin/"  # operator actions (drain): an admin credential, never a technician or customer token
QUERY_TOKEN_METHODS = frozenset({"GET", "HEAD"})  # <img>/<video> cannot send headers; never for bodies


class Access(StrEnum):
    """Who may reach a path."""

    OPEN = "open"
    TOKEN = "token"  # any valid token; the route checks the role
    GATED = "gated"  # a token whose role may take the path's action (GATED_PATHS)
    METRICS = "metrics"  # the metrics token, or a token whose role may read metrics
    ADMIN = "admin"  # the operator's admin credential only
    HELP = "help"  # a help link's token only (it opens nothing else: verify() refuses it everywhere)


def access_for(path: str) -> Access:
    """The access rule of a request path (everything not listed as open needs a token)."""
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return Access.OPEN
    if path == METRICS_PATH:
        return Access.METRICS
    if path.startswith(ADMIN_PREFIX):
        return Access.ADMIN
    if path.startswith(HELP_PREFIX):
        return Access.HELP
    if path in GATED_PATHS:
        return Access.GATED
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
                 verify_admin: Callable[[str], bool] = lambda credential: False,
                 verify_help: Callable[[str | None], str] | None = None) -> None:
        self.app = app
        self._verify_help = verify_help
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
        if access is Access.HELP:
            if self._verify_help is None:
                return Problem(404, "not-found", "Not Found", "Help links are not served here.")
            try:
                self._verify_help(token)
            except TokenError as exc:
                return unauthorized(exc.code, exc.message)
            return None
        if access is Access.METRICS and self._metrics_token and token and hmac.compare_digest(
                token.encode(), self._metrics_token.encode()):
            return None
        try:
            claims = self._verify(token)
        except TokenError as exc:
            return unauthorized(exc.code, exc.message)
        action = GATED_PATHS.get(scope.get("path", ""))
        if access in (Access.GATED, Access.METRICS) and action is not None and not allowed(claims.role, action):
            return role_not_allowed(claims, action)
        return None
