"""Ephemeral TURN credentials (coturn's TURN REST API scheme, `use-auth-secret` + `static-auth-secret`).

Every participant gets its own username "<expiry-unix>:<participant-id>" and the credential
base64(HMAC-SHA1(secret, username)); coturn recomputes it from the shared secret and refuses it after the
expiry. Nothing is stored, and no credential is ever public: they are handed out on join only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from . import messages as m


def turn_credential(secret: str, username: str) -> str:
    """The password coturn expects for a TURN REST API username."""
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


@dataclass(frozen=True)
class TurnCredentials:
    """Issues short-lived TURN credentials for the configured TURN URLs."""

    urls: tuple[str, ...]
    secret: str
    max_ttl_s: int = 12 * 3600

    def __post_init__(self) -> None:
        if self.urls and not self.secret:
            raise ValueError("TURN URLs are configured without a shared secret (LENSDESK_TURN_SECRET).")
        bad = [u for u in self.urls if not u.startswith(("turn:", "turns:"))]
        if bad:
            raise ValueError(f"TURN URLs must start with turn: or turns:, got {bad[0]!r}")

    @property
    def enabled(self) -> bool:
        """Whether any TURN server is configured."""
        return bool(self.urls)

    def issue(self, holder: str, expires_at: float, now: float | None = None) -> list[m.IceServer]:
        """Credentials for one holder, valid until expires_at (capped at max_ttl_s from now)."""
        if not self.urls:
            return []
        now = time.time() if now is None else now
        expiry = int(min(expires_at, now + self.max_ttl_s))
        if ":" in holder:
            raise ValueError("A TURN credential holder id cannot contain ':'.")
        username = f"{expiry}:{holder}"
        return [m.IceServer(urls=list(self.urls), username=username, credential=turn_credential(self.secret, username))]
