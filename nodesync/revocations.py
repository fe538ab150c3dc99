"""Revocations across nodes: stored in the database, applied here, published on the bus, polled as a fallback.

Every node keeps the revocation list its TokenService checks. A revocation made on any node (or by
`lensdesk token revoke`) is stored first, then published on the bus; nodes apply what they hear at once, catch
up from the table when the bus is back after an outage, and poll the table every `poll_s` for anything they
missed (a CLI without Redis, a dropped pub/sub message), so a revocation takes effect everywhere within a second
(nodesync/follower.py). Applying one also closes the live connections it covers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable

from signaling.bus import Bus
from signaling.revocation import Revocation, RevocationKind
from signaling.tokens import TokenService
from tickets.records import RevocationRecord
from tickets.store import TicketStore

from .follower import Follower

log = logging.getLogger(__name__)

CHANNEL = "revocations"
PRUNE_EVERY_S = 60.0  # expired revocations leave the in-memory list this often
RevocationListener = Callable[[Revocation], Awaitable[object]]


def revocation_of(record: RevocationRecord) -> Revocation:
    """The in-memory form of a stored revocation."""
    kind: RevocationKind = "session" if record.kind == "session" else "token"
    return Revocation(kind, record.value, record.expires_at, record.reason)


class Revoker:
    """Revokes token families and sessions on every node."""

    def __init__(self, store: TicketStore, tokens: TokenService, bus: Bus | None = None, *,
                 poll_s: float = 0.5) -> None:
        self._store = store
        self._tokens = tokens
        self._last_id = 0
        self._listeners: list[RevocationListener] = []
        self._pruned_at = time.monotonic()
        self.follower = Follower("revocations", bus, CHANNEL, self._catch_up, self._heard, poll_s=poll_s,
                                 every_poll=self._prune)

    def add_listener(self, listener: RevocationListener) -> None:
        """Also call listener for every revocation this node learns of (to close the connections it covers)."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Load what is revoked now, then follow the bus and the table."""
        await self.follower.start()

    async def stop(self) -> None:
        """Stop following."""
        await self.follower.stop()

    async def session_ended(self, session_id: str, actor: str) -> None:
        """Every customer token of an ended session stops working."""
        await self.revoke(Revocation("session", session_id, time.time() + self._tokens.longest_lifetime_s,
                                     "session_ended"), actor=actor, session_id=session_id)

    async def revoke(self, revocation: Revocation, *, actor: str, session_id: str | None = None) -> None:
        """Store, apply here and publish one revocation (a repeat of a known one does nothing)."""
        if self._tokens.revocations.knows(revocation):
            return
        await self._store.add_revocation(kind=revocation.kind, value=revocation.value,
                                         expires_at=revocation.expires_at, reason=revocation.reason, actor=actor,
                                         session_id=session_id)
        await self.apply(revocation)
        await self.follower.announce(json.dumps({"kind": revocation.kind, "value": revocation.value,
                                                 "expires_at": revocation.expires_at, "reason": revocation.reason}))

    async def apply(self, revocation: Revocation) -> None:
        """Make a revocation effective on this node (idempotent)."""
        if not self._tokens.revocations.add(revocation):
            return
        for listener in list(self._listeners):
            try:
                await listener(revocation)
            except Exception:
                log.exception("closing connections for a revoked %s failed", revocation.kind)

    async def _heard(self, raw: str) -> None:
        try:
            data = json.loads(raw)
            revocation = Revocation("session" if data["kind"] == "session" else "token", str(data["value"]),
                                    float(data["expires_at"]), str(data.get("reason", "revoked")))
        except (ValueError, KeyError, TypeError):
            log.warning("malformed revocation on the bus dropped")
            return
        await self.apply(revocation)

    async def _catch_up(self) -> None:
        for record in await self._store.revocations_after(self._last_id, not_expired_at=time.time()):
            self._last_id = max(self._last_id, record.id)
            await self.apply(revocation_of(record))

    def _prune(self) -> None:
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            self._tokens.revocations.prune()
