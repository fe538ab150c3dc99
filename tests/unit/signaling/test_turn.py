"""Ephemeral TURN credentials (coturn TURN REST API scheme); coturn itself checks them in tests/integration/test_turn.py."""

import base64

import pytest

from signaling.turn import TurnCredentials, turn_credential

URLS = ("turn:turn.example.com:3478?transport=udp",)


def test_username_is_expiry_and_holder_and_the_credential_a_base64_sha1_mac():
    [entry] = TurnCredentials(URLS, "s3cret").issue("c-123", expires_at=1_700_000_600.9, now=1_700_000_000)
    assert entry.username == "1700000600:c-123" and entry.urls == list(URLS)
    assert len(base64.b64decode(entry.credential or "")) == 20  # SHA-1 sized
    assert entry.credential == turn_credential("s3cret", "1700000600:c-123")
    assert entry.credential != turn_credential("other", "1700000600:c-123")
    assert entry.credential != turn_credential("s3cret", "1700000601:c-123")


def test_expiry_is_capped():
    [entry] = TurnCredentials(URLS, "s", max_ttl_s=3600).issue("t-1", expires_at=10**10, now=1000)
    assert entry.username == "4600:t-1"


def test_no_turn_configured_means_no_entries():
    assert TurnCredentials((), "").issue("c-1", 10**10) == []
    assert not TurnCredentials((), "").enabled


@pytest.mark.parametrize("urls,secret,match", [(URLS, "", "shared secret"), (("stun:x:3478",), "s", "turn:")])
def test_bad_configuration_is_refused(urls, secret, match):
    with pytest.raises(ValueError, match=match):
        TurnCredentials(urls, secret)


def test_a_holder_cannot_inject_a_colon():
    with pytest.raises(ValueError):
        TurnCredentials(URLS, "s").issue("9999999999:c-1", 10**10)
