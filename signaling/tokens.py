"""Role tokens (JWT): staff (technicians, reviewers, supervisors) sign in; a customer join token is bound to one session.

What each role may do is the policy table of signaling/policy.py."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import jwt

from .revocation import RevocationList


class Role(StrEnum):
    """Who holds a token."""

    TECHNICIAN = "technician"  # runs calls and changes tickets
    CUSTOMER = "customer"  # joins the one session of their link
    REVIEWER = "reviewer"  # field-service review: searches, watches and exports; never joins calls or edits
    SUPERVISOR = "supervisor"  # a reviewer who also manages catalogs, stickers and retention


STAFF_ROLES = frozenset({Role.TECHNICIAN, Role.REVIEWER, Role.SUPERVISOR})  # sign-in tokens, not bound to a session


class TokenError(Exception):
    """A token that is missing, malformed, expired, or for another room."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


TokenKind = Literal["technician", "join", "rejoin"]  # "technician": any staff sign-in (the name predates the other roles)


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says about its holder."""

    role: Role
    subject: str  # technician id / customer participant id
    name: str
    session_id: str | None  # customer tokens: the one session they may join
    expires_at: float
    token_id: str = ""  # jti: this token
    family: str = ""  # the token id it descends from (a join link, a technician sign-in); revoking it kills all
    not_after: float = 0.0  # absolute end of the family: refreshing or rejoining never reaches past it
    kind: TokenKind = "technician"


class TokenService:
    """Issues and verifies role tokens with one HMAC key, checking each against the revocation list."""

    ALGORITHM = "HS256"

    def __init__(self, secret: str, technician_ttl_s: int = 15 * 60, join_ttl_s: int = 1800, *,
                 technician_max_s: int = 12 * 3600, rejoin_max_s: int = 4 * 3600,
                 revocations: RevocationList | None = None) -> None:
        self._secret = secret
        self._technician_ttl_s = technician_ttl_s
        self._join_ttl_s = join_ttl_s
        self._technician_max_s = technician_max_s
        self._rejoin_max_s = rejoin_max_s
        self.revocations = revocations if revocations is not None else RevocationList()

    @property
    def longest_lifetime_s(self) -> int:
        """No token this service issues lives longer than this."""
        return max(self._technician_max_s, self._rejoin_max_s, self._join_ttl_s, self._technician_ttl_s)

    def issue_technician(self, technician_id: str, name: str = "") -> str:
        """A short-lived token letting a technician create and join sessions; refreshable up to a day's end."""
        return self.issue_staff(Role.TECHNICIAN, technician_id, name)

    def issue_staff(self, role: Role, subject: str, name: str = "") -> str:
        """A short-lived sign-in token for a technician, reviewer or supervisor; refreshable up to a day's end."""
        if role not in STAFF_ROLES:
            raise ValueError(f"{role} is not a staff role")
        now = time.time()
        return self._encode(role, subject, name or subject, None, "technician",
                            exp=now + self._technician_ttl_s, not_after=now + self._technician_max_s)

    def refresh(self, claims: Claims) -> str:
        """A new staff token of the same role and family, never valid past the family's absolute end."""
        if claims.role not in STAFF_ROLES:
            raise TokenError("token_not_refreshable", "Only staff sign-in tokens can be refreshed.")
        now = time.time()
        if now >= claims.not_after:
            raise TokenError("token_expired", "This sign-in has reached its maximum lifetime; get a new token.")
        return self._encode(claims.role, claims.subject, claims.name, None, "technician",
                            exp=min(now + self._technician_ttl_s, claims.not_after), not_after=claims.not_after,
                            family=claims.family)

    def issue_rejoin(self, claims: Claims) -> str:
        """For a customer in a call: the same identity and session, to reconnect after a drop.

        Bounded by an absolute lifetime counted from the first join: rejoining never extends it."""
        deadline = self.stay_deadline(claims)
        return self._encode(Role.CUSTOMER, claims.subject, claims.name, claims.session_id, "rejoin",
                            exp=deadline, not_after=deadline, family=claims.family)

    def stay_deadline(self, claims: Claims) -> float:
        """The latest moment this holder can be in a call without a new credential from a technician."""
        if claims.role in STAFF_ROLES or claims.kind == "rejoin":
            return claims.not_after
        return time.time() + self._rejoin_max_s

    def issue_customer(self, session_id: str, name: str = "Customer", ttl_s: int | None = None) -> str:
        """A join token valid for exactly one session."""
        exp = time.time() + (self._join_ttl_s if ttl_s is None else ttl_s)
        return self._encode(Role.CUSTOMER, f"cust-{uuid.uuid4().hex[:12]}", name, session_id, "join",
                            exp=exp, not_after=exp)

    HELP_AUDIENCE = "lensdesk-help"  # only verify_help accepts it; verify() refuses a token with an audience

    def issue_help(self, link_id: str) -> str:
        """A device help link's token: no expiry (it is printed on a sticker), good only for asking for help.

        It names the link and nothing else; revoking the link (a stored flag checked on every use) kills it."""
        # No issue time: the same link always gives the same URL (a reprinted sticker matches the first one).
        return jwt.encode({"aud": self.HELP_AUDIENCE, "sub": link_id, "knd": "help"}, self._secret,
                          algorithm=self.ALGORITHM)

    def verify_help(self, token: str | None) -> str:
        """The help link id of a help token; raises TokenError for anything else (any other token too)."""
        if not token:
            raise TokenError("token_missing", "A help link token is required.")
        try:
            data = jwt.decode(token, self._secret, algorithms=[self.ALGORITHM], audience=self.HELP_AUDIENCE,
                              options={"require": ["aud", "sub"]})
        except jwt.InvalidTokenError as exc:
            raise TokenError("token_invalid", "This is not a valid help link.") from exc
        if data.get("knd") != "help":
            raise TokenError("token_invalid", "This is not a valid help link.")
        return str(data["sub"])

    SHARE_AUDIENCE = "lensdesk:evidence-share"

    def issue_share(self, share_id: str, expires_at: float) -> str:
        """A link token for one evidence share: it opens that bundle only (no role, so no other route)."""
        return jwt.encode({"sub": share_id, "aud": self.SHARE_AUDIENCE, "exp": int(expires_at),
                           "iat": int(time.time())}, self._secret, algorithm=self.ALGORITHM)

    def verify_share(self, token: str) -> str:
        """The share id of a genuine, unexpired share token (revocation is the share's own state)."""
        try:
            data = jwt.decode(token, self._secret, algorithms=[self.ALGORITHM], audience=self.SHARE_AUDIENCE,
                              options={"require": ["exp", "sub", "aud"]})
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("share_expired", "This share link has expired; ask for a new one.") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError("share_invalid", "This is not a valid share link.") from exc
        return str(data["sub"])

    def verify(self, token: str | None) -> Claims:
        """Decode and check a token (signature, expiry, revocation); raises TokenError with a code users can act on."""
        claims = self._decode(token, verify_exp=True)
        revoked = self.revocations.find(claims.token_id, claims.family,
                                        claims.session_id if claims.role is Role.CUSTOMER else None)
        if revoked is not None:
            raise TokenError("token_revoked", "This link or token has been revoked; ask the technician for a new one."
                             if claims.role is Role.CUSTOMER else "This token has been revoked; get a new one.")
        return claims

    def inspect(self, token: str) -> Claims:
        """A genuine token's claims even if it expired or was revoked (to revoke it, to say why it fails)."""
        return self._decode(token, verify_exp=False)

    def verify_for_session(self, token: str | None, session_id: str) -> Claims:
        """Verify and check the token may act in this session (staff: any; customers: their own)."""
        claims = self.verify(token)
        if claims.role is Role.CUSTOMER and claims.session_id != session_id:
            raise TokenError("token_wrong_session", "This token is not valid for this session.")
        return claims

    def _decode(self, token: str | None, *, verify_exp: bool) -> Claims:
        if not token:
            raise TokenError("token_missing", "A token is required.")
        try:
            data = jwt.decode(token, self._secret, algorithms=[self.ALGORITHM],
                              options={"require": ["exp", "sub", "role", "jti"], "verify_exp": verify_exp})
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
        kind = data.get("knd", "join" if role is Role.CUSTOMER else "technician")
        if kind not in (("join", "rejoin") if role is Role.CUSTOMER else ("technician",)):
            raise TokenError("token_invalid", "The token has an unknown kind.")
        jti = str(data["jti"])
        return Claims(role=role, subject=str(data["sub"]), name=str(data.get("name", "")),
                      session_id=session_id, expires_at=float(data["exp"]), token_id=jti,
                      family=str(data.get("fam") or jti), not_after=float(data.get("amax", data["exp"])), kind=kind)

    def _encode(self, role: Role, sub: str, name: str, sid: str | None, kind: TokenKind, *, exp: float,
                not_after: float, family: str | None = None) -> str:
        now = int(time.time())
        jti = uuid.uuid4().hex
        payload: dict[str, object] = {"sub": sub, "role": role.value, "name": name, "iat": now, "exp": int(exp),
                                      "jti": jti, "fam": family or jti, "amax": int(not_after), "knd": kind}
        if sid is not None:
            payload["sid"] = sid
        return jwt.encode(payload, self._secret, algorithm=self.ALGORITHM)
