"""Issue 15 item 11: the RT connector refuses to send basic-auth credentials over plain http off loopback."""

from __future__ import annotations

import pytest

from tickets.connectors.rt import RequestTrackerConnector


@pytest.mark.parametrize("url", ["http://rt.example.com", "http://192.0.2.7:8080/rt", "ftp://rt.example.com"])
def test_plain_http_with_basic_auth_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="LENSDESK_RT"):
        RequestTrackerConnector(url, "root", "password")


@pytest.mark.parametrize("url", ["https://rt.example.com", "http://127.0.0.1:8080", "http://localhost/rt",
                                 "http://[::1]:9000"])
async def test_https_and_loopback_are_accepted(url: str) -> None:
    connector = RequestTrackerConnector(url, "root", "password")
    await connector.aclose()


async def test_plain_http_when_explicitly_allowed() -> None:
    connector = RequestTrackerConnector("http://rt.internal", "root", "password", allow_insecure_http=True)
    await connector.aclose()
