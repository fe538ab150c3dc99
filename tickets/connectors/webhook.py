"""Signed webhook connector: POSTs each event as JSON to one URL.

Request headers (all ASCII):

- ``Content-Type: application/json``
- ``X-Lensdesk-Event``: the event type (``finding.attached``, ``session.ended``, ``recording.ready``)
- ``X-Lensdesk-Idempotency-Key``: stable per event (e.g. ``finding.attached:<finding id>``); the same
  event may arrive more than once (at-least-once delivery) and always carries the same key
- ``X-Lensdesk-Timestamp``: Unix time in seconds when this attempt was signed
- ``X-Lensdesk-Signature``: ``v1=<hex>``, the HMAC-SHA256 with the shared secret over the bytes
  ``f"{timestamp}.{body}"`` (timestamp as sent, body exactly as received)

Receivers should call :func:`verify_signature` (constant-time compare, replay window) and drop
repeats by idempotency key. Any 2xx acknowledges; 5xx, 401, 403, 408, 409, 425, 429 and network
errors are retried with backoff; other 4xx dead-letter the event at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from tickets.connectors.base import Delivery, DeliveryError
from tickets.connectors.http_status import raise_for_delivery

HEADER_TIMESTAMP = "X-Lensdesk-Timestamp"
HEADER_SIGNATURE = "X-Lensdesk-Signature"
HEADER_EVENT = "X-Lensdesk-Event"
HEADER_IDEMPOTENCY_KEY = "X-Lensdesk-Idempotency-Key"
SIGNATURE_VERSION = "v1"


class SignatureError(Exception):
    """A webhook request whose signature is missing, wrong, or outside the replay window."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Lensdesk-Signature value for this timestamp and body."""
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def event_body(delivery: Delivery) -> bytes:
    """The JSON body sent for an event (compact, keys sorted)."""
    event = delivery.event
    document: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "idempotency_key": event.idempotency_key,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def verify_signature(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None,
                     window_s: int = 300) -> None:
    """Check a received webhook; raises SignatureError, returns None when it is authentic and fresh."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ts = lowered.get(HEADER_TIMESTAMP.lower())
    raw_sig = lowered.get(HEADER_SIGNATURE.lower())
    if not raw_ts or not raw_sig:
        raise SignatureError("timestamp or signature header missing")
    try:
        timestamp = int(raw_ts)
    except ValueError as exc:
        raise SignatureError("timestamp is not an integer") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > window_s:
        raise SignatureError("timestamp outside the replay window")
    expected = sign(secret, timestamp, body)
    # several comma-separated signatures are allowed, so a secret can be rotated without downtime
    if not any(hmac.compare_digest(expected, candidate.strip()) for candidate in raw_sig.split(",")):
        raise SignatureError("signature does not match")


class WebhookConnector:
    """Delivers events to a receiver that verifies them with the shared secret."""

    def __init__(self, url: str, secret: str, *, timeout_s: float = 10.0, name: str = "webhook") -> None:
        if not secret:
            raise ValueError("a webhook needs a secret to sign with")
        self.name = name
        self._url = url
        self._secret = secret
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def deliver(self, delivery: Delivery) -> None:
        """POST the signed event; DeliveryError unless the receiver answers 2xx."""
        body = event_body(delivery)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            HEADER_EVENT: delivery.event.type,
            HEADER_IDEMPOTENCY_KEY: delivery.event.idempotency_key,
            HEADER_TIMESTAMP: str(timestamp),
            HEADER_SIGNATURE: sign(self._secret, timestamp, body),
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from exc
        raise_for_delivery(response, "webhook")

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
