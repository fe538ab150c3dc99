"""Keyset pagination cursors: opaque to clients, (created_at, id) inside."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from sqlalchemy import ColumnElement, Table, and_, or_

from tickets.errors import InvalidInputError

MAX_LIMIT = 200


def check_limit(limit: int) -> int:
    """A page size within 1..MAX_LIMIT, else InvalidInputError."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(created_at: datetime, ident: str) -> str:
    """The cursor pointing just after this row."""
    raw = json.dumps([created_at.isoformat(), ident]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Inverse of encode_cursor; InvalidInputError for anything a client made up."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_raw, ident = json.loads(raw)
        created_at = datetime.fromisoformat(created_raw)
        if created_at.tzinfo is None or not isinstance(ident, str):
            raise ValueError("bad cursor")
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidInputError("cursor", "is not a cursor this server issued") from exc
    return created_at, ident


def after_cursor(table: Table, cursor: str) -> ColumnElement[bool]:
    """WHERE clause for rows after the cursor in (created_at DESC, id DESC) order."""
    created_at, ident = decode_cursor(cursor)
    return or_(table.c.created_at < created_at, and_(table.c.created_at == created_at, table.c.id < ident))
