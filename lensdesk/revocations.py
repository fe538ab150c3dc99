"""Revocations across nodes: stored in the database, applied here, published on the bus, polled as a fallback.

Every node keeps the revocation list its TokenService checks. A revocation made on any node (or by
`lensdesk token revoke`) is stored first, then published on the bus; nodes apply what they hear at once and
poll the table every `poll_s` for anything they missed (a CLI without Redis, a dropped pub/sub message), so
a revocation takes effect everywhere within a second. Applying one also closes the live connections it covers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable

from signaling.bus import Bus, Subscription
from signaling.revocation import Revocation, RevocationKind
from signaling.tokens import TokenService
from tickets.records import RevocationRecord
from tickets.store import TicketStore

log = logging.getLogger(__name__)

CHANNEL = "revocations"
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
        self._bus = bus
        self._poll_s = poll_s
        self._last_id = 0
        self._listeners: list[RevocationListener] = []
        self._subscription: Subscription | None = None
        self._poller: asyncio.Task[None] | None = None

    def add_listener(self, listener: RevocationListener) -> None:
        """Also call listener for every revocation this node learns of (to close the connections it covers)."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Load what is revoked now, then follow the bus and the table."""
        await self._catch_up()
        if self._bus is not None:
            self._subscription = await self._bus.subscribe(CHANNEL, self._heard)
        self._poller = asyncio.create_task(self._poll(), name="revocations")

    async def stop(self) -> None:
        """Stop following."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._subscription is not None:
            await self._subscription.close()

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
        if self._bus is not None:
            await self._bus.publish(CHANNEL, json.dumps({"kind": revocation.kind, "value": revocation.value,
                                                         "expires_at": revocation.expires_at,
                                                         "reason": revocation.reason}))

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

    async def _poll(self) -> None:
        prune_every = max(1, int(60 / self._poll_s))
        rounds = 0
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                await self._catch_up()
            except Exception:
                log.exception("polling revocations failed")
            rounds += 1
            if rounds % prune_every == 0:
                self._tokens.revocations.prune()
