"""What every connector receives and may raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tickets.records import OutboxEvent


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that travels with an event (the finding's snapshot)."""

    file_name: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event to deliver, with its snapshot loaded when it has one."""

    event: OutboxEvent
    snapshot: Attachment | None = None


class DeliveryError(Exception):
    """A failed delivery; `permanent` ones are dead-lettered at once instead of retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Connector(Protocol):
    """An external system that receives ticket events; `name` must be unique and stable."""

    name: str

    async def deliver(self, delivery: Delivery) -> None:
        """Deliver or raise DeliveryError (any other exception counts as a retryable failure)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
