"""Revoked credentials, in memory (no I/O): what every node checks each token against.

A revocation names either a token family (a token id: the join link, technician sign-in or refresh chain it
started, with every rejoin or refreshed token derived from it) or a session (every customer token for it).
Entries carry the moment after which the tokens they kill would be dead anyway, so the list stays small.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

RevocationKind = Literal["token", "session"]


@dataclass(frozen=True, slots=True)
class Revocation:
    """One revoked token family or session."""

    kind: RevocationKind
    value: str
    expires_at: float  # unix time after which every token it covers has expired on its own
    reason: str = "revoked"  # shown to a holder whose connection is closed: "removed", "new_link", "revoked"


class RevocationList:
    """The revocations a node knows of, looked up per token."""

    def __init__(self) -> None:
        self._tokens: dict[str, Revocation] = {}
        self._sessions: dict[str, Revocation] = {}

    def add(self, revocation: Revocation) -> bool:
        """Record a revocation; False if it was already known."""
        table = self._tokens if revocation.kind == "token" else self._sessions
        known = table.get(revocation.value)
        if known is not None and known.expires_at >= revocation.expires_at:
            return False
        table[revocation.value] = revocation
        return True

    def knows(self, revocation: Revocation) -> bool:
        """Whether an equal or longer revocation of the same thing is already recorded."""
        table = self._tokens if revocation.kind == "token" else self._sessions
        known = table.get(revocation.value)
        return known is not None and known.expires_at >= revocation.expires_at

    def find(self, token_id: str, family: str, customer_session: str | None) -> Revocation | None:
        """The revocation covering a token (its own id, its family, or its session for customer tokens)."""
        hit = self._tokens.get(token_id) or self._tokens.get(family)
        if hit is None and customer_session is not None:
            hit = self._sessions.get(customer_session)
        return hit

    def covering(self, token_id: str, family: str, customer_session: str | None) -> bool:
        """Whether any revocation covers the token."""
        return self.find(token_id, family, customer_session) is not None

    def prune(self, now: float | None = None) -> int:
        """Forget revocations whose tokens have all expired; returns how many went."""
        now = time.time() if now is None else now
        gone = 0
        for table in (self._tokens, self._sessions):
            for key in [k for k, r in table.items() if r.expires_at < now]:
                del table[key]
                gone += 1
        return gone

    def __len__(self) -> int:
        return len(self._tokens) + len(self._sessions)


def covers(revocation: Revocation, token_id: str, family: str, customer_session: str | None) -> bool:
    """Whether one revocation kills a token with these ids (customer_session: None for technician tokens)."""
    if revocation.kind == "token":
        return revocation.value in (token_id, family)
    return customer_session is not None and revocation.value == customer_session


# What a holder is told when a revocation closes its connection: (error code, sentence).
CLOSE_REASONS: dict[str, tuple[str, str]] = {
    "removed": ("removed", "A technician removed you from this call."),
    "new_link": ("link_replaced", "This link was replaced by a newer one; use the newest link you were sent."),
    "session_ended": ("session_ended", "This support session has ended."),
    "revoked": ("token_revoked", "Your access to this call was revoked."),
}
