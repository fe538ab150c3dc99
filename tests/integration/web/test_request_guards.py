"""The HTTP surface of a real server: no body read before the token, body caps while streaming, headers, access.

Each test reproduces an attack from issue 15; the server's own /proc counters (bytes read and written by
syscalls, peak RSS) show what it did with the body."""

from __future__ import annotations

import json
import os
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from testkit.servers import ServerProcess, running_server

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("guards") / "data"
    spool = tmp_path_factory.mktemp("spool")
    with running_server(data, env={"TMPDIR": str(spool), "LENSDESK_METRICS_TOKEN": "scrape-" + "m" * 32}) as srv:
        yield srv


@dataclass
class ProcIo:
    read: int  # bytes read by syscalls (sockets included)
    written: int
    peak_rss: int

    @classmethod
    def of(cls, pid: int) -> ProcIo:
        io = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
        status = Path(f"/proc/{pid}/status").read_text()
        hwm = next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM:"))
        return cls(int(io["rchar"]), int(io["wchar"]), hwm)


@dataclass
class Streamed:
    status: int
    sent: int
    response: bytes


def stream(server: ServerProcess, head: str, chunks: Iterator[bytes], timeout_s: float = 20.0) -> Streamed:
    """Send a request head, then body chunks until the server answers (or stops reading); read its answer."""
    url = urlsplit(server.url)
    sent = 0
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(head.encode())
        deadline = time.monotonic() + timeout_s
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0] or time.monotonic() > deadline:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            sent += len(chunk)
        response = b""
        try:
            while b"\r\n\r\n" not in response or not response.endswith(b"}"):
                data = sock.recv(65536)
                if not data:
                    break
                response += data
        except (ConnectionResetError, TimeoutError):
            pass
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0
    return Streamed(status, sent, response)


def body_of(streamed: Streamed) -> dict:
    return json.loads(streamed.response.partition(b"\r\n\r\n")[2])


def zeros(total: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    block = b"0" * chunk
    for _ in range(total // chunk):
        yield block


def chunked(total: int, chunk: int = 64 * 1024, first: bytes = b"") -> Iterator[bytes]:
    if first:
        yield b"%x\r\n%s\r\n" % (len(first), first)
    block = b"a" * chunk
    for _ in range(total // chunk):
        yield b"%x\r\n%s\r\n" % (len(block), block)
    yield b"0\r\n\r\n"


def tech(server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.technician_token()}"}


def test_anonymous_multipart_upload_is_refused_before_anything_is_spooled(server):
    session_id = "s-any"
    size = 256 * MiB
    before = ProcIo.of(server.proc.pid)
    head = (f"POST /api/sessions/{session_id}/snapshots HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {size}\r\n\r\n"
            "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n")
    result = stream(server, head, zeros(size))
    after = ProcIo.of(server.proc.pid)
    assert result.status == 401, result.response[:300]
    assert body_of(result)["type"] == "urn:lensdesk:problem:token-missing"
    assert result.sent < 64 * MiB  # the server stopped taking it long before the end
    assert after.written - before.written < MiB, "the body was spooled to disk"
    assert after.read - before.read < 16 * MiB, "the body was read"
    assert after.peak_rss - before.peak_rss < 32 * MiB


def test_anonymous_json_body_is_refused_without_being_read(server):
    size = 64 * MiB
    before = ProcIo.of(server.proc.pid)
    head = (f"POST /api/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n")
    result = stream(server, head, zeros(size))
    after = ProcIo.of(server.proc.pid)
    assert result.status == 401 and b"connection: close" in result.response.lower()
    assert after.read - before.read < 16 * MiB
    assert after.peak_rss - before.peak_rss < 32 * MiB


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read_even_with_a_token(server):
    before = ProcIo.of(server.proc.pid)
    head = (f"POST /api/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {server.technician_token()}\r\nContent-Length: {64 * MiB}\r\n\r\n")
    result = stream(server, head, zeros(64 * MiB))
    after = ProcIo.of(server.proc.pid)
    assert result.status == 413, result.response[:300]
    problem = body_of(result)
    assert problem["type"] == "urn:lensdesk:problem:body-too-large" and problem["max_bytes"] == MiB
    assert after.read - before.read < 16 * MiB


@pytest.mark.parametrize(("path", "limit"), [("/api/tickets", MiB),
                                             ("/api/sessions/{sid}/snapshots", 5 * MiB + 64 * 1024)])
def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(server, path, limit):
    ticket = httpx.post(f"{server.url}/api/tickets", json={"title": "t"}, headers=tech(server)).json()
    session = httpx.post(f"{server.url}/api/tickets/{ticket['id']}/sessions", headers=tech(server)).json()
    json_body = "tickets" in path
    content_type = "application/json" if json_body else "multipart/form-data; boundary=xyz"
    preamble = b"" if json_body else (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
                                      b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff")
    before = ProcIo.of(server.proc.pid)
    head = (f"POST {path.format(sid=session['session']['id'])} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {server.technician_token()}\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    result = stream(server, head, chunked(limit * 8, first=preamble))
    after = ProcIo.of(server.proc.pid)
    assert result.status == 413, result.response[:300]
    assert body_of(result)["max_bytes"] == limit
    assert after.written - before.written < (MiB if json_body else limit + MiB)  # at most the limit spooled
    assert after.read - before.read < limit * 3  # refused soon after the limit, not at the end


def test_every_response_carries_the_security_headers(server):
    for method, path in [("GET", "/console"), ("GET", "/join"), ("GET", "/review"), ("GET", "/static/call.js"),
                         ("GET", "/api/public/config"), ("GET", "/api/tickets"), ("GET", "/static/nope.js")]:
        response = httpx.request(method, server.url + path)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "camera=(self)" in headers["permissions-policy"] and "microphone=(self)" in headers["permissions-policy"]
        assert "strict-transport-security" not in headers  # plain HTTP here; tests/integration/web/test_tls.py


def test_pages_carry_no_inline_script():
    static = Path(__file__).parents[3] / "web" / "static"
    for page in static.glob("*.html"):
        html = page.read_text()
        assert "<script>" not in html and " on" + "click=" not in html and "javascript:" not in html, page.name
        assert "<style" not in html and "style=" not in html, page.name  # style-src 'self': no inline styles
        # every script is a file served from /static/ (a vendored library may be a classic script, not a module)
        assert html.count("<script") == html.count('<script type="module" src="/static/') + html.count(
            '<script src="/static/vendor/'), page.name


def test_metrics_and_api_description_need_a_technician_token(server):
    customer = server.tokens.issue_customer("s1")
    for path in ("/metrics", "/openapi.json"):
        assert httpx.get(server.url + path).status_code == 401, path
        assert httpx.get(server.url + path, headers={"Authorization": f"Bearer {customer}"}).status_code == 403
        assert httpx.get(server.url + path, headers=tech(server)).status_code == 200, path
        assert httpx.get(server.url + path, params={"token": "x"}).status_code == 401
    metrics = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer scrape-" + "m" * 32})
    assert metrics.status_code == 200 and "lensdesk_event_loop_lag_seconds_bucket" in metrics.text
    assert httpx.get(server.url + "/openapi.json",
                     headers={"Authorization": "Bearer scrape-" + "m" * 32}).status_code == 401
    for path in ("/docs", "/redoc"):
        assert httpx.get(server.url + path, headers=tech(server)).status_code == 404


def test_the_qr_code_is_for_technicians_and_stays_out_of_urls(server):
    text = "http://127.0.0.1/join#token=" + "t" * 2000
    assert httpx.get(server.url + "/api/qr.svg", params={"text": text}).status_code == 401
    assert httpx.post(server.url + "/api/qr.svg", json={"text": text}).status_code == 401
    customer = {"Authorization": f"Bearer {server.tokens.issue_customer('s1')}"}
    assert httpx.post(server.url + "/api/qr.svg", json={"text": text}, headers=customer).status_code == 403
    svg = httpx.post(server.url + "/api/qr.svg", json={"text": text}, headers=tech(server))
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert "<path" in svg.text


def test_query_tokens_are_refused_for_requests_with_a_body(server):
    response = httpx.post(f"{server.url}/api/tickets", params={"token": server.technician_token()},
                          json={"title": "x"})
    assert response.status_code == 401
    assert os.path.isdir(server.data_dir)
