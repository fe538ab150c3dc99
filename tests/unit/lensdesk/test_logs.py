import logging
import urllib.parse

from lensdesk.cli import on_loopback
from lensdesk.logs import RedactTokens, redact


def test_tokens_in_request_lines_are_redacted():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/api/recordings/r1/file?token=eyJhbGc.x.y&dl=1", "1.1", 200),
                               None)
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert "eyJhbGc" not in line and "token=[redacted]&dl=1" in line


def request_line(path: str) -> str:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", path, "1.1", 200), None)
    assert RedactTokens().filter(record)
    return record.getMessage()


def test_percent_encoded_parameter_names_are_redacted_as_the_server_decodes_them():
    # The server decodes ?tok%65n= to "token" and authenticates with it: the log must hide it too.
    assert urllib.parse.parse_qs("tok%65n=secret1") == {"token": ["secret1"]}
    for path in ("/api/recordings/r1/file?tok%65n=secret1", "/x?dl=1&%74%6f%6b%65%6e=secret1&y=2",
                 "/x?TOKEN=secret1", "/x?a=1;token=secret1"):
        line = request_line(path)
        assert "secret1" not in line and "[redacted]" in line, line


def test_tokens_nested_in_parameters_bearer_headers_and_jwts_are_redacted():
    assert "secret2" not in request_line("/api/qr.svg?text=http%3A%2F%2Fx%2Fjoin%23token%3Dsecret2")
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln"
    record = logging.LogRecord("lensdesk", logging.INFO, __file__, 1, "joined with %s; header Bearer %s",
                               (jwt, "opaque-secret3"), None)
    RedactTokens().filter(record)
    assert jwt not in record.getMessage() and "opaque-secret3" not in record.getMessage()


def test_ordinary_lines_are_left_alone():
    assert request_line("/api/tickets?q=printer&limit=5").endswith('"GET /api/tickets?q=printer&limit=5 HTTP/1.1" 200')
    assert redact("session s1: finding E-12 attached") == "session s1: finding E-12 attached"


def test_console_links_only_for_loopback_binds():
    assert on_loopback("127.0.0.1") and on_loopback("::1") and on_loopback("localhost") and on_loopback("127.0.0.5")
    assert not on_loopback("0.0.0.0") and not on_loopback("::") and not on_loopback("192.0.2.10")
    assert not on_loopback("desk.example")


def test_a_redacted_request_line_still_formats_through_uvicorns_access_formatter():
    # The access formatter unpacks the five request-line arguments; a redaction that emptied them raised inside
    # logging (a "--- Logging error ---" traceback on every shared-link download).
    from uvicorn.logging import AccessFormatter

    share = "/api/public/shares/eyJhbGciOiJIUzI1NiJ9.eyJzaGFyZSI6IngifQ.c2lnbmF0dXJlc2ln"
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", share, "1.1", 410), None)
    assert RedactTokens().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)
    assert line == '127.0.0.1:5 - "GET /api/public/shares/[redacted] HTTP/1.1" 410 Gone'
