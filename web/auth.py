"""FastAPI dependencies turning a bearer token into Claims (401 when missing/invalid, 403 for a role not allowed).

Every route names the action it performs: `Depends(auth.allow(Action.TICKETS_READ))`; the role check is the one
policy table of signaling/policy.py. The token comes from `Authorization: Bearer <token>`; media endpoints
(<img>, <video>, downloads) may also take `?token=` because browsers cannot set headers there:
`auth.allow(Action.MEDIA_READ, media=True)`.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from signaling.policy import Action, allowed, roles_for
from signaling.tokens import Claims, TokenError, TokenService
from web.problems import Problem

bearer_scheme = HTTPBearer(auto_error=False, description="Staff sign-in token, or a customer join token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
ClaimsDependency = Callable[..., Awaitable[Claims]]


def bearer_token(request: Request, *, allow_query: bool = False) -> str | None:
    """The token of a request: Authorization header first, then ?token= when allowed."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("token") if allow_query else None


def unauthorized(code: str, message: str) -> Problem:
    """401 problem with a WWW-Authenticate challenge."""
    return Problem(401, code.replace("_", "-"), "Unauthorized", message,
                   headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{message}"'})


ACTION_ATTRIBUTE = "lensdesk_action"  # set on each allow() dependency: the route-policy test reads it


def role_not_allowed(claims: Claims, action: Action) -> Problem:
    """403 problem: this role may not take this action."""
    roles = ", ".join(role.value for role in roles_for(action)) or "nobody"
    return Problem(403, "role-not-allowed", "Forbidden",
                   f"A {claims.role.value} token may not do this ({action.value}); it needs a token of: {roles}.")


def check(claims: Claims, action: Action) -> Claims:
    """The claims if their role may take the action, else a 403 problem."""
    if not allowed(claims.role, action):
        raise role_not_allowed(claims, action)
    return claims


def action_of(dependency: object) -> Action | None:
    """The action an allow() dependency checks (None for any other callable)."""
    action = getattr(dependency, ACTION_ATTRIBUTE, None)
    return action if isinstance(action, Action) else None


class TokenAuth:
    """Request dependencies bound to one TokenService."""

    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens

        def verify(token: str | None) -> Claims:
            try:
                return tokens.verify(token)
            except TokenError as exc:
                raise unauthorized(exc.code, exc.message) from exc

        async def claims(request: Request, _credentials: Credentials) -> Claims:
            """Claims of the bearer token (header only)."""
            return verify(bearer_token(request))

        async def media_claims(request: Request, _credentials: Credentials) -> Claims:
            """Claims from the header, or from ?token=."""
            return verify(bearer_token(request, allow_query=True))

        self.claims: ClaimsDependency = claims
        self.media_claims: ClaimsDependency = media_claims
        self._allow: dict[tuple[Action, bool], ClaimsDependency] = {}

    def allow(self, action: Action, *, media: bool = False) -> ClaimsDependency:
        """A dependency: the claims of a token whose role may take `action` (401 without one, 403 if not allowed).

        media=True also accepts ?token= (for <img>, <video> and downloads)."""
        key = (action, media)
        if key not in self._allow:
            source = self.media_claims if media else self.claims

            async def allowed_claims(c: Annotated[Claims, Depends(source)]) -> Claims:
                return check(c, action)

            allowed_claims.__doc__ = f"Claims of a token allowed to {action.value}."
            setattr(allowed_claims, ACTION_ATTRIBUTE, action)
            self._allow[key] = allowed_claims
        return self._allow[key]
