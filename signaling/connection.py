"""One browser's signaling connection, sans-I/O: frames in, actions out (the way `websockets` keeps its protocol).

The rules of a connection live here: join first and within a deadline, one join per connection, ping, the
per-connection rate limit, a budget of refused messages before the connection is taken as abusive, the rejoin
token a customer gets, and the error code and sentence for each refusal. The rules every browser socket keeps
(deadline, rate limit, refusal budget) are `BrowserConnection`, which the help queue's socket
(`signaling/queue_connection.py`) shares. `web/ws.py` only moves frames between the
socket and this class and carries out what it returns; the call service (`signaling/service.py`) is reached
through two actions whose outcome the adapter reports back (`Admit` -> `joined_as`/`join_refused`, `Deliver` ->
`delivered`/`delivery_failed`).
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from . import messages as m
from . import policy
from .ratelimit import TokenBucket
from .tokens import Claims, Role, TokenError, TokenService

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 10.0
MAX_VIOLATIONS = 20  # refused messages before a connection is considered abusive and closed


@dataclass(frozen=True)
class WsLimits:
    """Per-connection limits."""

    max_message_bytes: int = 64 * 1024
    rate_per_s: float = 20.0
    burst: int = 60


@dataclass(frozen=True, slots=True)
class Send:
    """Send this message to the browser."""

    message: m.ServerMessage


@dataclass(frozen=True, slots=True)
class Admit:
    """Ask the call service to admit this verified participant; report `joined_as` or `join_refused`."""

    claims: Claims
    join: m.Join


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand a joined participant's message to the call service; report `delivered` or `delivery_failed`."""

    message: m.ClientMessage


@dataclass(frozen=True, slots=True)
class Close:
    """End the connection (after the actions before it); a joined participant then leaves the call."""


Action = Send | Admit | Deliver | Close
# Admit and Deliver are always the last action of a list: what follows depends on their outcome.

ClientT = TypeVar("ClientT")  # what the socket's clients send, parsed
OwnT = TypeVar("OwnT")  # the actions of one kind of connection besides Send and Close


class BrowserConnection(ABC, Generic[ClientT, OwnT]):
    """The rules every browser WebSocket keeps, sans-I/O: one deadline to say hello, the rate limit, a budget of
    refused messages before the connection is taken as abusive, and the answer to a frame the code did not foresee.
    A subclass parses its protocol's messages and says what each one does."""

    hello_type: ClassVar[str]  # the message that joins, named in the deadline's error

    def __init__(self, limits: WsLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._bucket = TokenBucket(limits.rate_per_s, limits.burst, clock)
        # One deadline for joining, not one per frame: invalid frames must not keep an anonymous socket open.
        self._join_deadline = clock() + JOIN_TIMEOUT_S
        self.violations = 0
        self.closed = False

    @property
    @abstractmethod
    def joined(self) -> bool:
        """The connection said a hello that was accepted."""

    def seconds_to_join(self) -> float | None:
        """How long the socket may still wait for a valid hello (<= 0: call `expire`); None once joined."""
        return None if self.joined else self._join_deadline - self._clock()

    def expire(self) -> list[Send | Close | OwnT]:
        """The join deadline passed without a valid hello: say so and close."""
        if self.joined or self.closed or self._clock() < self._join_deadline:
            return []
        return self._close(m.ErrorMessage(code="join_timeout", fatal=True,
                                          message=f"No valid {self.hello_type} within {JOIN_TIMEOUT_S:.0f} s."))

    def receive(self, text: str | None) -> list[Send | Close | OwnT]:
        """One frame from the browser (None: a frame without text, e.g. binary)."""
        if self.closed:
            return []
        if not self._bucket.allow():
            return self._violation(m.ErrorMessage(code="rate_limited", message="Too many messages; slow down."))
        message: ClientT | None = None
        try:
            if text is None:
                raise m.ProtocolError("unsupported_frame", "Only text frames carrying JSON are accepted.")
            message = self._parse(text, self._limits.max_message_bytes)
            return self._handle(message)
        except m.ProtocolError as exc:
            return self._violation(exc.to_message())
        except Exception as exc:  # a message the code did not foresee: answer it, keep the connection
            return self._failed(message, exc)

    @abstractmethod
    def _parse(self, text: str, max_bytes: int) -> ClientT:
        """One message of the protocol, or ProtocolError."""

    @abstractmethod
    def _handle(self, message: ClientT) -> list[Send | Close | OwnT]:
        """What a parsed message does (ProtocolError: refuse it)."""

    @abstractmethod
    def _where(self) -> str:
        """Which socket this is, for the log (never a token)."""

    @abstractmethod
    def _who(self) -> str | None:
        """Who is at the other end once known, for the log (never a token)."""

    def _violation(self, error: m.ErrorMessage) -> list[Send | Close | OwnT]:
        self.violations += 1
        if self.violations > MAX_VIOLATIONS:
            return self._close(error)
        return [Send(error)]

    def _failed(self, message: object, exc: Exception) -> list[Send | Close | OwnT]:
        log.warning("%s: %s from %s failed: %s: %s", self._where(), type(message).__name__ if message else "frame",
                    self._who(), type(exc).__name__, str(exc)[:200])
        return self._violation(m.ErrorMessage(code="message_failed",
                                              message="The server could not handle this message; the call goes on."))

    def _close(self, error: m.ErrorMessage | None = None) -> list[Send | Close | OwnT]:
        self.closed = True
        return [Send(error), Close()] if error is not None else [Close()]


class SignalingConnection(BrowserConnection[m.ClientMessage, Admit | Deliver]):
    """The protocol state of one signaling WebSocket, from accept to close."""

    hello_type = "join"

    def __init__(self, tokens: TokenService, limits: WsLimits, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(limits, clock)
        self._tokens = tokens
        self._admitting: m.Join | None = None
        self._claims: Claims | None = None
        self._delivering: m.ClientMessage | None = None
        self.session_id: str | None = None
        self.participant_id: str | None = None

    @property
    def joined(self) -> bool:
        """The call service admitted this connection's participant."""
        return self.session_id is not None and self.participant_id is not None

    @property
    def claims(self) -> Claims | None:
        """The verified credentials of the joined participant (for revocation sweeps)."""
        return self._claims if self.joined else None

    def joined_as(self, participant_id: str) -> list[Action]:
        """The call service admitted the participant (the adapter registered the connection for revocations)."""
        join, claims = self._admitting, self._claims
        assert join is not None and claims is not None, "joined_as without an Admit"
        self._admitting = None
        self.session_id, self.participant_id = join.session_id, participant_id
        customer_session = claims.session_id if claims.role is Role.CUSTOMER else None
        if self._tokens.revocations.covering(claims.token_id, claims.family, customer_session):
            # revoked while the join was under way: the revocation's sweep may have missed this connection
            return self._close(m.ErrorMessage(code="token_revoked", fatal=True,
                                              message="This link or token has been revoked."))
        if claims.role is not Role.CUSTOMER:
            return []
        try:
            rejoin = self._tokens.issue_rejoin(claims)
            return [Send(m.RejoinToken(token=rejoin, expires_at=self._tokens.verify(rejoin).expires_at))]
        except Exception as exc:
            return self._failed(join, exc)

    def join_refused(self, error: Exception) -> list[Action]:
        """The call service refused the join (a ProtocolError ends the connection) or failed on it."""
        join, self._admitting, self._claims = self._admitting, None, None
        if isinstance(error, m.ProtocolError):
            # A refused join (no such session, room full, owner node gone) ends the connection.
            return self._close(error.to_message(fatal=True))
        return self._failed(join, error)

    def delivered(self) -> list[Action]:
        """The call service took the message; a goodbye ends the connection."""
        message, self._delivering = self._delivering, None
        return self._close() if isinstance(message, m.Bye) else []

    def delivery_failed(self, error: Exception) -> list[Action]:
        """The call service refused the message (ProtocolError) or failed on it: answer, keep the call going."""
        message, self._delivering = self._delivering, None
        if isinstance(error, m.ProtocolError):
            return self._violation(error.to_message())
        return self._failed(message, error)

    # -- internals --------------------------------------------------------------------------------------------

    def _parse(self, text: str, max_bytes: int) -> m.ClientMessage:
        return m.parse_client_message(text, max_bytes)

    def _handle(self, message: m.ClientMessage) -> list[Action]:
        if not self.joined:
            return self._join(message)
        if isinstance(message, m.Join):
            raise m.ProtocolError("already_joined", "This connection has already joined.")
        if isinstance(message, m.Ping):
            return [Send(m.Pong())]
        self._delivering = message
        return [Deliver(message)]

    def _join(self, message: m.ClientMessage) -> list[Action]:
        if not isinstance(message, m.Join):
            raise m.ProtocolError("not_joined", "Send 'join' with your token first.")
        try:
            claims = self._tokens.verify_for_session(message.token, message.session_id)
        except TokenError as exc:
            return self._close(m.ErrorMessage(code=exc.code, message=exc.message, fatal=True))
        if not policy.allowed(claims.role, policy.Action.CALL_JOIN):
            return self._close(m.ErrorMessage(code="role_not_allowed", fatal=True,
                                              message=f"A {claims.role.value} token cannot join calls."))
        self._admitting, self._claims = message, claims
        return [Admit(claims, message)]

    def _where(self) -> str:
        return f"session {self.session_id}"

    def _who(self) -> str | None:
        return self.participant_id
