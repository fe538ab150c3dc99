"""The contract between the WebSocket endpoint (web/) and whoever runs calls (the composition root)."""

from __future__ import annotations

from typing import Protocol

from . import messages as m
from .tokens import Claims


class ClientLink(Protocol):
    """One browser's signaling connection, as the call service sees it."""

    async def send(self, message: m.ServerMessage) -> None:
        """Deliver a message; never raises for a closed connection."""

    async def close(self, reason: str) -> None:
        """Close the connection after telling the client why."""


class CallService(Protocol):
    """Runs rooms and media; the endpoint only frames, validates and rate-limits."""

    async def join(self, link: ClientLink, claims: Claims, join: m.Join) -> str:
        """Admit a verified participant; returns its participant id or raises ProtocolError."""

    async def handle(self, session_id: str, participant_id: str, message: m.ClientMessage) -> None:
        """Act on a message from a joined participant; raises ProtocolError to refuse it."""

    async def leave(self, session_id: str, participant_id: str) -> None:
        """The connection closed."""
