"""Token routes: a technician refreshes its short-lived token, and revokes tokens (its own or a leaked one)."""

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from signaling.policy import Action
from signaling.revocation import Revocation
from signaling.tokens import Claims, TokenError
from web.common_api import ApiContext
from web.problems import Problem


class RefreshedToken(BaseModel):
    """A new technician token of the same sign-in."""

    token: str
    expires_at: datetime
    not_after: datetime = Field(description="The sign-in's absolute end: refreshing never goes past it")


class RevokeIn(BaseModel):
    """The token to revoke (with every token refreshed or rejoined from it), or its id (jti)."""

    model_config = ConfigDict(extra="forbid")
    token: str | None = Field(None, min_length=1, max_length=4096)
    token_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class Revoked(BaseModel):
    """What was revoked."""

    token_id: str
    until: datetime


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the token routes on the /api router."""
    Refresher = Annotated[Claims, Depends(ctx.auth.allow(Action.TOKEN_REFRESH))]
    Revoker = Annotated[Claims, Depends(ctx.auth.allow(Action.TOKEN_REVOKE))]

    @router.post("/tokens/refresh", tags=["auth"])
    async def refresh(claims: Refresher) -> RefreshedToken:
        """Exchange a valid technician token for a fresh one (same sign-in, bounded by its absolute end)."""
        try:
            token = ctx.tokens.refresh(claims)
        except TokenError as exc:
            raise Problem(401, exc.code.replace("_", "-"), "Unauthorized", exc.message) from exc
        fresh = ctx.tokens.verify(token)
        return RefreshedToken(token=token, expires_at=datetime.fromtimestamp(fresh.expires_at, UTC),
                              not_after=datetime.fromtimestamp(fresh.not_after, UTC))

    @router.post("/tokens/revoke", tags=["auth"])
    async def revoke(body: RevokeIn, claims: Revoker) -> Revoked:
        """Revoke a token family on every node: the token, its refreshes and rejoin tokens; live sockets close."""
        if (body.token is None) == (body.token_id is None):
            raise Problem(422, "revoke-what", "Unprocessable Content", "Give exactly one of 'token' or 'token_id'.")
        if body.token is not None:
            try:
                target = ctx.tokens.inspect(body.token)
            except TokenError as exc:
                raise Problem(422, "token-invalid", "Unprocessable Content",
                              "That is not a token this server issued.") from exc
            family, until = target.family, target.not_after
        else:
            family, until = str(body.token_id), time.time() + ctx.tokens.longest_lifetime_s
        await ctx.revoke(Revocation("token", family, until, "revoked"), claims.subject)
        return Revoked(token_id=family, until=datetime.fromtimestamp(until, UTC))
