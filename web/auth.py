"""FastAPI dependencies turning a bearer token into Claims (401 when missing/invalid, 403 for wrong role).

The token comes from `Authorization: Bearer <token>`; media endpoints (<img>, <video>, downloads)
may also take `?token=` because browsers cannot set headers there. Use as
`Depends(auth.require_technician)`, `Depends(auth.claims)`, `Depends(auth.require_technician_media)`.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from signaling.tokens import Claims, Role, TokenError, TokenService
from web.problems import Problem

bearer_scheme = HTTPBearer(auto_error=False, description="Technician token, or a customer join token")
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


def technician_only(claims: Claims) -> Claims:
    """The claims if they are a technician's, else a 403 problem."""
    if claims.role is not Role.TECHNICIAN:
        raise Problem(403, "technician-only", "Forbidden", "This needs a technician token.")
    return claims


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

        async def require_technician(c: Annotated[Claims, Depends(claims)]) -> Claims:
            """Claims of a technician token; 403 for customer tokens."""
            return technician_only(c)

        async def require_technician_media(c: Annotated[Claims, Depends(media_claims)]) -> Claims:
            """As require_technician, also accepting ?token=."""
            return technician_only(c)

        self.claims: ClaimsDependency = claims
        self.media_claims: ClaimsDependency = media_claims
        self.require_technician: ClaimsDependency = require_technician
        self.require_technician_media: ClaimsDependency = require_technician_media
