"""Keyset paging of the session library: each sort's key columns, the opaque cursor naming a row's keys, and the
WHERE clause for the rows after (or before) it, so a deep page reads from its cursor instead of an OFFSET scan.

Every sort ends in (started_at, session id), so the order is total and stable; a session that ended no time yet
(ended_at NULL) counts as ending after every ended one, on SQLite and PostgreSQL alike (their NULL orders differ).
A cursor is base64url JSON: version, sort, order, direction and the keys. It is opaque to clients and checked on
the way in: a cursor from another sort or order, or one a client made up, is an InvalidInputError (an RFC 9457
problem at the API).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, false, literal, or_, tuple_
from sqlalchemy.sql.elements import UnaryExpression

from tickets.errors import InvalidInputError
from tickets.schema import sessions

Direction = Literal["next", "prev"]
CURSOR_VERSION = 1
MAX_CURSOR_CHARS = 1_000


def sort_columns(sort: str) -> list[Any]:
    """The key columns of a sort, most significant first (the last two make the order total)."""
    first = {"started": None, "ended": sessions.c.ended_at, "technician": sessions.c.created_by,
             "customer": sessions.c.ticket_customer, "ticket": sessions.c.ticket_title}[sort]
    return [c for c in (first, sessions.c.created_at, sessions.c.id) if c is not None]


def order_by(sort: str, descending: bool) -> list[UnaryExpression[Any]]:
    """ORDER BY terms of a sort; an unended session sorts after every ended one."""
    terms = []
    for column in sort_columns(sort):
        term = column.desc() if descending else column.asc()
        if column is sessions.c.ended_at:
            term = term.nulls_first() if descending else term.nulls_last()
        terms.append(term)
    return terms


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in one sort: the keys of a row, and whether the page wanted comes after or before it."""

    sort: str
    descending: bool
    direction: Direction
    keys: tuple[Any, ...]


def encode(cursor: Cursor) -> str:
    """The opaque text of a cursor."""
    keys = [k.isoformat() if isinstance(k, datetime) else k for k in cursor.keys]
    raw = json.dumps([CURSOR_VERSION, cursor.sort, "desc" if cursor.descending else "asc", cursor.direction, keys],
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(text: str, sort: str, descending: bool) -> Cursor:
    """The cursor in a client's text, checked against the sort and order asked for."""
    bad = InvalidInputError("cursor", "is not a cursor this server issued for this sort and order; "
                                      "start again from the first page")
    if len(text) > MAX_CURSOR_CHARS:
        raise bad
    try:
        version, cursor_sort, order, direction, keys = json.loads(
            base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        columns = sort_columns(str(cursor_sort))
        if (version != CURSOR_VERSION or direction not in ("next", "prev") or not isinstance(keys, list)
                or len(keys) != len(columns)):
            raise ValueError("malformed")
        values = tuple(_key(column, value) for column, value in zip(columns, keys, strict=True))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        raise bad from exc
    if cursor_sort != sort or order != ("desc" if descending else "asc"):
        raise bad
    return Cursor(sort, descending, direction, values)


def _key(column: Any, value: Any) -> Any:
    if value is None and column is sessions.c.ended_at:
        return None
    if column is sessions.c.ended_at or column is sessions.c.created_at:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        return moment
    if not isinstance(value, str):
        raise TypeError("a text key")
    return value


def _row_value_beyond(columns: list[Any], keys: tuple[Any, ...], smaller: bool) -> ColumnElement[bool]:
    """(c1, c2, ...) < (k1, k2, ...) or >: one index range on SQLite and PostgreSQL (no NULLs among the columns)."""
    mine = tuple_(*columns)
    theirs = tuple_(*(literal(k, type_=c.type) for c, k in zip(columns, keys, strict=True)))
    return mine < theirs if smaller else mine > theirs


def beyond(cursor: Cursor) -> ColumnElement[bool]:
    """Rows strictly past the cursor's row in the direction it points (next: later in the order; prev: earlier)."""
    columns = sort_columns(cursor.sort)
    smaller = cursor.descending == (cursor.direction == "next")  # walking toward smaller keys
    first, key = columns[0], cursor.keys[0]
    if first is not sessions.c.ended_at:
        return _row_value_beyond(columns, cursor.keys, smaller)
    # ended_at: NULL (still running) is above every time
    tail = _row_value_beyond(columns[1:], cursor.keys[1:], smaller)
    strictly: ColumnElement[bool]
    same: ColumnElement[bool]
    if key is None:
        strictly = first.is_not(None) if smaller else false()
        same = first.is_(None)
    else:
        value = literal(key, type_=first.type)
        strictly = first < value if smaller else or_(first > value, first.is_(None))
        same = first == value
    return or_(strictly, and_(same, tail))


def row_keys(sort: str, row: Any) -> tuple[Any, ...]:
    """A listed row's keys in a sort (row: the library's page query's mapping)."""
    return tuple(row[column.name] for column in sort_columns(sort))
