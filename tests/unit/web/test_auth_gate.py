"""The auth gate's rules: which paths are open, where a token may come from."""

from __future__ import annotations

from web.auth_gate import Access, access_for, request_token


def scope(method: str, path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> dict:
    return {"type": "http", "method": method, "path": path, "query_string": query, "headers": headers or []}


def test_only_the_pages_static_files_health_and_public_config_are_open():
    for path in ("/", "/console", "/join", "/review", "/healthz", "/static/call.js", "/api/public/config"):
        assert access_for(path) is Access.OPEN, path
    for path in ("/api/tickets", "/api/qr.svg", "/api/recordings/r/file", "/docs", "/ws", "/anything", "/static"):
        assert access_for(path) is Access.TOKEN, path
    assert access_for("/metrics") is Access.METRICS and access_for("/openapi.json") is Access.GATED


def test_query_tokens_only_for_reads_and_decoded_like_the_app():
    assert request_token(scope("GET", "/x", b"tok%65n=abc")) == "abc"
    assert request_token(scope("HEAD", "/x", b"a=1&token=abc")) == "abc"
    assert request_token(scope("POST", "/x", b"token=abc")) is None
    assert request_token(scope("GET", "/x", b"token=")) is None


def test_the_header_wins_and_needs_the_bearer_scheme():
    header = [(b"authorization", b"Bearer  hdr ")]
    assert request_token(scope("GET", "/x", b"token=q", header)) == "hdr"
    assert request_token(scope("POST", "/x", b"", [(b"authorization", b"Basic dXNlcjpw")])) is None
