"""Admission control on one node: a join that would start a new call while the node is past a limit (calls, CPU,
analysis backlog, draining) is refused at once with a retry hint, so calls in progress keep their frame rate.

With Redis, placement (signaling/placement.py via signaling/routing.py) already sends a new room to a node that
has room, or refuses it when none has; on a single node this is the same rule without the other nodes. Help
requests do not join while the node is full: the queue holds them (helpqueue/engine.py).
"""

from __future__ import annotations

from collections.abc import Callable

from signaling import messages as m
from signaling.service import CallService, ClientLink
from signaling.tokens import Claims

RETRY_AFTER_MS = 30_000  # calls last minutes: a retry much sooner would mostly be refused again
NO_CAPACITY_CODE = "no_capacity"


class AdmittingCallService:
    """A CallService that refuses new calls while this node is past its limits (joins of running calls pass)."""

    def __init__(self, inner: CallService, is_live: Callable[[str], bool], refusals: Callable[[], list[str]],
                 retry_after_ms: int = RETRY_AFTER_MS) -> None:
        self._inner = inner
        self._is_live = is_live
        self._refusals = refusals
        self._retry_after_ms = retry_after_ms
        self.refused = 0  # joins refused since start (for the admission bench and metrics)

    async def join(self, link: ClientLink, claims: Claims, join: m.Join) -> str:
        """Refuse a new call while the node is full; everything else goes to the call service."""
        if not self._is_live(join.session_id):
            reasons = self._refusals()
            if reasons:
                self.refused += 1
                raise m.ProtocolError(
                    NO_CAPACITY_CODE,
                    f"This server is at capacity ({', '.join(reasons)}); try again in "
                    f"{self._retry_after_ms // 1000} s. Calls in progress are not affected.",
                    retry_after_ms=self._retry_after_ms)
        return await self._inner.join(link, claims, join)

    async def handle(self, session_id: str, participant_id: str, message: m.ClientMessage) -> None:
        """Passed on."""
        await self._inner.handle(session_id, participant_id, message)

    async def leave(self, session_id: str, participant_id: str) -> None:
        """Passed on."""
        await self._inner.leave(session_id, participant_id)
