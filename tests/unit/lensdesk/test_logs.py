import logging

from lensdesk.logs import RedactTokens


def test_tokens_in_request_lines_are_redacted():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/api/recordings/r1/file?token=eyJhbGc.x.y&dl=1", "1.1", 200),
                               None)
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert "eyJhbGc" not in line and "token=[redacted]&dl=1" in line
