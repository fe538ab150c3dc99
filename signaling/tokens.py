"""Role tokens (JWT): technicians act on tickets; a customer join token is bound to one session."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum

import jwt


class Role(StrEnum):
    """Who holds a token."""

    TECHNICIAN = "technician"
    CUSTOMER = "customer"


class TokenError(Exception):
    """A token that is missing, malformed, expired, or for another room."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says about its holder."""

    role: Role
    subject: str  # technician id / customer participant id
    name: str
    session_id: str | None  # customer tokens: the one session they may join
    expires_at: float


class TokenService:
    """Issues and verifies role tokens with one HMAC key."""

    ALGORITHM = "HS256"

    def __init__(self, secret: str, technician_ttl_s: int = 8 * 3600, join_ttl_s: int = 1800) -> None:
        self._secret = secret
        self._technician_ttl_s = technician_ttl_s
        self._join_ttl_s = join_ttl_s

    def issue_technician(self, technician_id: str, name: str = "") -> str:
        """A token letting a technician create and join sessions."""
        return self._encode(Role.TECHNICIAN, technician_id, name or technician_id, None, self._technician_ttl_s)

    def issue_rejoin(self, claims: Claims) -> str:
        """For a customer in a call: the same identity and session, valid as long as a technician token."""
        return self._encode(Role.CUSTOMER, claims.subject, claims.name, claims.session_id, self._technician_ttl_s)

    def issue_customer(self, session_id: str, name: str = "Customer", ttl_s: int | None = None) -> str:
        """A join token valid for exactly one session."""
        return self._encode(Role.CUSTOMER, f"cust-{uuid.uuid4().hex[:12]}", name, session_id,
                            self._join_ttl_s if ttl_s is None else ttl_s)

    def verify(self, token: str | None) -> Claims:
        """Decode and check a token; raises TokenError with a code users can act on."""
        if not token:
            raise TokenError("token_missing", "A token is required.")
        try:
            data = jwt.decode(token, self._secret, algorithms=[self.ALGORITHM],
                              options={"require": ["exp", "sub", "role"]})
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token_expired", "This link or token has expired; ask for a new one.") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError("token_invalid", "The token is not valid.") from exc
        try:
            role = Role(data["role"])
        except ValueError as exc:
            raise TokenError("token_invalid", "The token has an unknown role.") from exc
        session_id = data.get("sid")
        if role is Role.CUSTOMER and not session_id:
            raise TokenError("token_invalid", "A customer token must name its session.")
        return Claims(role=role, subject=str(data["sub"]), name=str(data.get("name", "")),
                      session_id=session_id, expires_at=float(data["exp"]))

    def verify_for_session(self, token: str | None, session_id: str) -> Claims:
        """Verify and check the token may act in this session (technicians: any; customers: their own)."""
        claims = self.verify(token)
        if claims.role is Role.CUSTOMER and claims.session_id != session_id:
            raise TokenError("token_wrong_session", "This token is not valid for this session.")
        return claims

    def _encode(self, role: Role, sub: str, name: str, sid: str | None, ttl_s: int) -> str:
        now = int(time.time())
        payload: dict[str, object] = {"sub": sub, "role": role.value, "name": name, "iat": now, "exp": now + ttl_s}
        if sid is not None:
            payload["sid"] = sid
        return jwt.encode(payload, self._secret, algorithm=self.ALGORITHM)
