"""The signaling WebSocket endpoint: framing, origin check, size and rate limits, then the call service."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel
from starlette.websockets import WebSocketState

from signaling import messages as m
from signaling import policy
from signaling.ratelimit import TokenBucket
from signaling.revocation import CLOSE_REASONS, Revocation, covers
from signaling.service import CallService
from signaling.tokens import Claims, Role, TokenError, TokenService

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 10.0
MAX_VIOLATIONS = 20  # refused messages before a connection is considered abusive and closed


@dataclass(frozen=True)
class WsLimits:
    """Per-connection limits."""

    max_message_bytes: int = 64 * 1024
    rate_per_s: float = 20.0
    burst: int = 60


class _Link:
    """ClientLink over a Starlette WebSocket; sends are serialised so frames never interleave."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        self._lock = asyncio.Lock()
        self.closed = False

    async def send(self, message: BaseModel) -> None:
        if self.closed:
            return
        async with self._lock:
            try:
                await self._ws.send_text(m.dump(message))
            except Exception:  # the peer went away mid-send; the read loop will notice
                self.closed = True

    async def close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        if self._ws.application_state == WebSocketState.CONNECTED:
            try:
                await self._ws.close(code=1000, reason=reason[:120])
            except Exception:
                log.debug("close after disconnect", exc_info=True)


class LiveConnections:
    """The joined connections of this node with their credentials, so a revocation can close them."""

    def __init__(self) -> None:
        self._joined: dict[_Link, Claims] = {}

    def add(self, link: _Link, claims: Claims) -> None:
        """A connection joined with these credentials."""
        self._joined[link] = claims

    def discard(self, link: _Link) -> None:
        """The connection is gone."""
        self._joined.pop(link, None)

    def __len__(self) -> int:
        return len(self._joined)

    async def revoked(self, revocation: Revocation) -> int:
        """Tell and close every connection the revocation covers; returns how many."""
        code, sentence = CLOSE_REASONS.get(revocation.reason, CLOSE_REASONS["revoked"])
        hit = [link for link, c in list(self._joined.items())
               if covers(revocation, c.token_id, c.family, c.session_id if c.role is Role.CUSTOMER else None)]
        for link in hit:
            self._joined.pop(link, None)
            await link.send(m.ErrorMessage(code=code, message=sentence, fatal=True))
            await link.close(code)
        return len(hit)


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, as browsers send it in Origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(origin: str | None, allowed: set[str]) -> bool:
    """Browsers send Origin on upgrade: accept only our public origin and configured ones (never derived from the
    Host header, which a DNS-rebinding page controls); non-browser clients send none and still need a token."""
    if origin is None:
        return True
    return origin.lower() in allowed


def build_ws_router(service: CallService, tokens: TokenService, limits: WsLimits,
                    allowed_origins: list[str], connections: LiveConnections | None = None) -> APIRouter:
    """The /ws endpoint; allowed_origins: the public URL's origin and any extra configured ones."""
    router = APIRouter()
    allowed = {origin_of(o) for o in allowed_origins}
    live = connections if connections is not None else LiveConnections()  # joined sockets, for revocation

    @router.websocket("/ws")
    async def signaling(ws: WebSocket) -> None:
        if not origin_allowed(ws.headers.get("origin"), allowed):
            # Refuse before accepting: a cross-site page must not even open the socket.
            await ws.close(code=4403, reason="origin not allowed")
            return
        await ws.accept()
        link = _Link(ws)
        bucket = TokenBucket(limits.rate_per_s, limits.burst)
        session_id: str | None = None
        participant_id: str | None = None
        violations = 0
        # One deadline for joining, not one per frame: invalid frames must not keep an anonymous socket open.
        join_deadline = asyncio.get_running_loop().time() + JOIN_TIMEOUT_S
        try:
            while True:
                timeout = join_deadline - asyncio.get_running_loop().time() if participant_id is None else None
                if timeout is not None and timeout <= 0:
                    await link.send(m.ErrorMessage(code="join_timeout", fatal=True,
                                                   message=f"No valid join within {JOIN_TIMEOUT_S:.0f} s."))
                    break
                frame = await asyncio.wait_for(ws.receive(), timeout)
                if frame["type"] == "websocket.disconnect":
                    break
                raw = frame.get("text")
                if not bucket.allow():
                    violations += 1
                    await link.send(m.ErrorMessage(code="rate_limited",
                                                   message="Too many messages; slow down."))
                    if violations > MAX_VIOLATIONS:
                        break
                    continue
                msg: m.ClientMessage | None = None
                try:
                    if raw is None:
                        raise m.ProtocolError("unsupported_frame", "Only text frames carrying JSON are accepted.")
                    msg = m.parse_client_message(raw, limits.max_message_bytes)
                    if participant_id is None or session_id is None:
                        if not isinstance(msg, m.Join):
                            raise m.ProtocolError("not_joined", "Send 'join' with your token first.")
                        try:
                            claims = tokens.verify_for_session(msg.token, msg.session_id)
                        except TokenError as exc:
                            await link.send(m.ErrorMessage(code=exc.code, message=exc.message, fatal=True))
                            break
                        if not policy.allowed(claims.role, policy.Action.CALL_JOIN):
                            await link.send(m.ErrorMessage(code="role_not_allowed", fatal=True,
                                                           message=f"A {claims.role.value} token cannot join calls."))
                            break
                        try:
                            participant_id = await service.join(link, claims, msg)
                        except m.ProtocolError as exc:
                            # A refused join (no such session, room full, owner node gone) ends the connection.
                            await link.send(exc.to_message(fatal=True))
                            break
                        session_id = msg.session_id
                        live.add(link, claims)
                        if tokens.revocations.covering(claims.token_id, claims.family,
                                                       claims.session_id if claims.role is Role.CUSTOMER else None):
                            # revoked while the join was under way: the revocation's sweep may have missed us
                            await link.send(m.ErrorMessage(code="token_revoked", fatal=True,
                                                           message="This link or token has been revoked."))
                            break
                        if claims.role is Role.CUSTOMER:
                            rejoin = tokens.issue_rejoin(claims)
                            await link.send(m.RejoinToken(token=rejoin, expires_at=tokens.verify(rejoin).expires_at))
                    elif isinstance(msg, m.Join):
                        raise m.ProtocolError("already_joined", "This connection has already joined.")
                    elif isinstance(msg, m.Ping):
                        await link.send(m.Pong())
                    else:
                        await service.handle(session_id, participant_id, msg)
                        if isinstance(msg, m.Bye):
                            break
                except m.ProtocolError as exc:
                    violations += 1
                    await link.send(exc.to_message())
                    if violations > MAX_VIOLATIONS:
                        break
                except Exception as exc:  # a message the code did not foresee: answer it, keep the call going
                    violations += 1
                    log.warning("session %s: %s from %s failed: %s: %s", session_id,
                                type(msg).__name__ if msg else "frame", participant_id, type(exc).__name__,
                                str(exc)[:200])
                    await link.send(m.ErrorMessage(code="message_failed",
                                                   message="The server could not handle this message; the call goes on."))
                    if violations > MAX_VIOLATIONS:
                        break
        except (TimeoutError, WebSocketDisconnect):
            pass
        finally:
            live.discard(link)
            if session_id is not None and participant_id is not None:
                await service.leave(session_id, participant_id)
            await link.close("bye")
    return router
