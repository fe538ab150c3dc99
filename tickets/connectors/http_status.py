"""How an HTTP answer from a receiver maps to retry or give up."""

from __future__ import annotations

import httpx

from tickets.connectors.base import DeliveryError

# Worth retrying: timeouts, rate limits, conflicts, and a receiver that needs a moment.
_RETRYABLE_4XX = frozenset({401, 403, 408, 409, 425, 429})


def raise_for_delivery(response: httpx.Response, what: str) -> None:
    """Return on 2xx; DeliveryError otherwise (permanent for 4xx that a retry cannot fix)."""
    if response.is_success:
        return
    status = response.status_code
    permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
    raise DeliveryError(f"{what}: HTTP {status} {response.text[:200]!r}", permanent=permanent)
