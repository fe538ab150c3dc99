"""Logging set-up: tokens never written to logs (URLs may carry ?token= for media; messages may quote tokens)."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
SECRET_PARAMS = frozenset({"token", "access_token", "rejoin_token", "join_token", "password", "secret", "key"})

# key=value pairs of a query string (or a form body); keys are matched after percent-decoding, the way the
# server decodes them, so ?tok%65n= is caught like ?token=.
_PARAM = re.compile(r"(?P<sep>[?&;#]|^)(?P<key>[^=&;?#\s\"']+)=(?P<value>[^&;#\s\"']*)")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',]+")


def _redact_param(match: re.Match[str]) -> str:
    key, value = match["key"], match["value"]
    decoded_key = unquote_plus(key).strip().lower()
    decoded_value = unquote_plus(value)
    nested = bool(_PARAM.search(decoded_value)) and redact(decoded_value) != decoded_value  # a URL in a parameter
    if decoded_key in SECRET_PARAMS or nested:
        return f"{match['sep']}{key}={REDACTED}"
    return match.group(0)


def redact(text: str) -> str:
    """The text with token values in query parameters, bearer headers and JWT-shaped strings replaced."""
    if "=" in text:
        text = _PARAM.sub(_redact_param, text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    return _JWT.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Replaces token values in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (formatted first, so no placeholder is mistaken for a value); never drops it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: the logging module reports it itself
            return True
        clean = redact(message)
        if clean == message:
            return True
        if isinstance(record.args, tuple) and record.args:
            # Keep the arguments' shape: uvicorn's access formatter unpacks them (client, method, path, version,
            # status), and an emptied tuple made it raise on every request line that carried a token.
            args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
            msg = redact(record.msg) if isinstance(record.msg, str) else record.msg
            try:
                if (msg % args if args else msg) == clean:
                    record.msg, record.args = msg, args
                    return True
            except (TypeError, ValueError):
                pass
        record.msg, record.args = clean, ()
        return True


def install_token_redaction() -> None:
    """Attach the filter to the loggers that print request lines and to the root handlers (everything else)."""
    for name in ("uvicorn.access", "uvicorn.error", "httpx"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())
