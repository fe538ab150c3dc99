"""Typed errors of the ticket store; the web layer maps them to problem responses."""

from __future__ import annotations


class TicketStoreError(Exception):
    """Base of everything the store raises on purpose."""


class NotFoundError(TicketStoreError):
    """The ticket, session, finding or recording does not exist."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} not found")
        self.kind = kind
        self.ident = ident


class InvalidInputError(TicketStoreError):
    """A value the caller passed is unusable (empty title, not an image, bad status...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConflictError(TicketStoreError):
    """The change is not allowed in the current state (e.g. a finding on an ended session)."""
