"""verify_signature accepts exactly what sign() produced, fresh, for the same body and secret."""

from __future__ import annotations

import pytest

from tickets.connectors.webhook import (
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    SignatureError,
    sign,
    verify_signature,
)

SECRET = "s3cret"
BODY = b'{"id":"1","type":"finding.attached"}'
NOW = 1_800_000_000


def headers(ts: int = NOW, body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    return {HEADER_TIMESTAMP: str(ts), HEADER_SIGNATURE: sign(secret, ts, body)}


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    import hashlib
    import hmac
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"v1={expected}"


def test_valid_request_passes_with_any_header_case() -> None:
    verify_signature(SECRET, headers(), BODY, now=NOW + 10)
    lowered = {k.lower(): v for k, v in headers().items()}
    verify_signature(SECRET, lowered, BODY, now=NOW)


@pytest.mark.parametrize(("hdrs", "body", "now", "why"), [
    (headers(secret="other"), BODY, NOW, "does not match"),
    (headers(), BODY + b" ", NOW, "does not match"),
    (headers(), BODY, NOW + 301, "replay window"),
    (headers(), BODY, NOW - 301, "replay window"),
    ({HEADER_TIMESTAMP: str(NOW)}, BODY, NOW, "missing"),
    ({HEADER_SIGNATURE: sign(SECRET, NOW, BODY)}, BODY, NOW, "missing"),
    ({HEADER_TIMESTAMP: "soon", HEADER_SIGNATURE: "v1=00"}, BODY, NOW, "integer"),
    # a signature replayed with a new timestamp does not verify
    ({HEADER_TIMESTAMP: str(NOW + 100), HEADER_SIGNATURE: sign(SECRET, NOW, BODY)}, BODY, NOW + 100, "does not match"),
])
def test_bad_requests_raise(hdrs: dict[str, str], body: bytes, now: int, why: str) -> None:
    with pytest.raises(SignatureError, match=why):
        verify_signature(SECRET, hdrs, body, now=now)


def test_rotation_accepts_any_listed_signature() -> None:
    hdrs = headers()
    hdrs[HEADER_SIGNATURE] = f"v1={'0' * 64}, {hdrs[HEADER_SIGNATURE]}"
    verify_signature(SECRET, hdrs, BODY, now=NOW)
