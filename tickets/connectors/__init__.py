"""Connectors deliver outbox events to external systems (signed webhook, Request Tracker)."""

from tickets.connectors.base import Attachment, Connector, Delivery, DeliveryError

__all__ = ["Attachment", "Connector", "Delivery", "DeliveryError"]
