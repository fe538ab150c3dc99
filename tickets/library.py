"""The session library: every session with its ticket, device, technician, codes and recording, filtered, searched,
sorted and paged; and the trends of findings (per code, device model and week, rising codes).

Full-text search reads one document per session (its ticket's title and customer, its findings, its chat), kept by
triggers (migration 0011): SQLite's FTS5 table `session_search` keyed by the session's `search_key`, PostgreSQL's
`session_search` tsvector table with a GIN index. Trends read `finding_counts` (findings per day, code and device)
for the whole days of a range and the findings themselves only for its partial first and last day.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tickets import library_paging as keyset
from tickets.errors import InvalidInputError
from tickets.paging import check_limit
from tickets.schema import finding_counts, findings, recordings, sessions, tickets
from vocabulary import PLAYABLE_RECORDINGS, RecordingStatus, SessionStatus

LibrarySort = Literal["started", "ended", "technician", "customer", "ticket"]
RecordingState = Literal["none"] | RecordingStatus  # a library row: its playable recording's state, or none
CountMode = Literal["capped", "exact", "none"]  # count up to a cap, count every match, or do not count (next pages)
MAX_OFFSET = 100_000
MAX_TERMS = 8
NARROW_MATCHES = 2_000  # SQLite: up to this many text matches are fetched by key, more are tested in page order
COUNT_CAP = 10_000  # matches are counted up to here ("10,000+"): an exact count of 100,000 rows costs more than a page
TEXT_COUNT_CAP = 1_000  # with free text, up to here ("1,000+"): each counted match is a full-text document read


@dataclass(frozen=True, slots=True)
class LibraryQuery:
    """What the library is asked for; every filter is optional."""

    code: str | None = None  # a finding with exactly this code (not dismissed)
    device: str | None = None  # the ticket's device model or family
    technician: str | None = None  # who started the session
    started_from: datetime | None = None  # inclusive
    started_to: datetime | None = None  # exclusive
    status: SessionStatus | None = None
    has_recording: bool | None = None
    q: str | None = None  # free text over ticket titles and customers, findings and chat
    sort: LibrarySort = "started"
    descending: bool = True
    limit: int = 50
    offset: int = 0
    cursor: str | None = None  # a page's next_cursor or prev_cursor (keyset paging; then offset must be 0)
    count: CountMode = "capped"


@dataclass(frozen=True, slots=True)
class LibraryFinding:
    """A finding as the library lists it: enough to jump to its moment in the recording."""

    id: str
    code: str
    title: str
    offset_s: float | None


@dataclass(frozen=True, slots=True)
class LibraryRow:
    """One session in the library."""

    session_id: str
    ticket_id: str
    ticket_title: str
    customer: str
    device_family: str | None
    device_model: str | None
    device_serial: str | None
    technician: str
    started_at: datetime
    ended_at: datetime | None
    status: SessionStatus
    codes: list[str]
    findings: list[LibraryFinding]
    recording_id: str | None  # the session's playable recording, if any
    recording_state: RecordingState

    @property
    def duration_s(self) -> float | None:
        """How long the session ran (None while it runs)."""
        return (self.ended_at - self.started_at).total_seconds() if self.ended_at else None


@dataclass(frozen=True, slots=True)
class LibraryPage:
    """One page of the library, the number of sessions matching in all, and cursors to the pages either side."""

    items: list[LibraryRow]
    total: int | None  # the number of matches, the cap (COUNT_CAP, TEXT_COUNT_CAP) when more_than_total, None uncounted
    offset: int
    limit: int
    more_than_total: bool = False
    next_cursor: str | None = None  # the page after this one, when there is one
    prev_cursor: str | None = None  # the page before this one, when there is one


@dataclass(frozen=True, slots=True)
class CodeCount:
    """A code (or model) and how many findings had it."""

    key: str
    count: int


@dataclass(frozen=True, slots=True)
class RisingCode:
    """A code seen more in the last week than in the weeks before it, on average."""

    code: str
    last_week: int
    weekly_before: float  # mean per week over the earlier weeks of the range
    ratio: float  # (last_week + 1) / (weekly_before + 1): smoothed, so a code from nothing ranks by its count


@dataclass(frozen=True, slots=True)
class Trends:
    """Counts of findings (not dismissed) over a date range."""

    weeks: list[date]  # Monday of each week, oldest first
    per_week: list[int]
    per_code: list[CodeCount]
    per_model: list[CodeCount]
    code_weeks: dict[str, list[int]] = field(default_factory=dict)  # the top codes' counts per week
    rising: list[RisingCode] = field(default_factory=list)


def _fts_query(terms: list[str]) -> str:
    """An FTS5 query: every term as a prefix, quoted so FTS5 syntax in a query is taken literally."""
    return " ".join(f'"{t}"*' for t in terms)


def search_terms(q: str) -> list[str]:
    """The words of a free-text query (letters and digits; at most MAX_TERMS)."""
    return re.findall(r"\w+", q.lower())[:MAX_TERMS]


class SessionLibrary:
    """Queries over sessions for the library page and the trends (read-only)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for the library's queries. PostgreSQL plans each of them for its values: asyncpg prepares
        statements, and after five runs PostgreSQL may switch to one generic plan, which for a code, a text query or
        a status (a handful of sessions or most of them) is seconds slower than the plan for the values given."""
        async with self._engine.connect() as conn:
            if not self._sqlite:
                await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            yield conn

    def _text_match(self, q: str, *, broad: bool) -> ColumnElement[bool] | None:
        """Sessions whose document (ticket title and customer, findings, chat) has every word of q as a prefix.

        SQLite: `broad` (the words match more than NARROW_MATCHES sessions) tests each session the page and the
        capped count walk in start order against the matches, instead of fetching every match by key and sorting
        them all (the `+ 0` keeps the planner off the search_key index)."""
        terms = search_terms(q)
        if not terms:
            return None
        if self._sqlite:
            keys = text("SELECT rowid FROM session_search WHERE session_search MATCH :fts").bindparams(
                fts=_fts_query(terms)).columns(rowid=sessions.c.search_key.type)
            return (sessions.c.search_key + 0).in_(keys) if broad else sessions.c.search_key.in_(keys)
        found = text("SELECT session_id FROM session_search WHERE doc @@ to_tsquery('simple', :tsq)").bindparams(
            tsq=" & ".join(f"{t}:*" for t in terms)).columns(session_id=sessions.c.id.type)
        return sessions.c.id.in_(found)

    async def _broad(self, conn: AsyncConnection, q: str | None) -> bool:
        """Whether a free-text query matches many sessions (SQLite; counted from the index alone, capped)."""
        terms = search_terms(q or "")
        if not self._sqlite or not terms:
            return False
        capped = text("SELECT count(*) FROM (SELECT rowid FROM session_search WHERE session_search MATCH :fts "
                      "LIMIT :cap)").bindparams(fts=_fts_query(terms), cap=NARROW_MATCHES + 1)
        return int((await conn.execute(capped)).scalar_one()) > NARROW_MATCHES

    def _conditions(self, query: LibraryQuery, *, broad: bool = False) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if query.code:
            conds.append(sessions.c.id.in_(select(findings.c.session_id).where(
                findings.c.code == query.code.strip().upper(), findings.c.dismissed.is_(False))))
        if query.device:
            device = query.device.strip()
            conds.append(or_(tickets.c.device_model == device, tickets.c.device_family == device.lower()))
        if query.technician:
            conds.append(sessions.c.created_by == query.technician.strip())
        for name, value in (("started_from", query.started_from), ("started_to", query.started_to)):
            if value is not None and value.tzinfo is None:
                raise InvalidInputError(name, "must include a time zone")
        if query.started_from is not None:
            conds.append(sessions.c.created_at >= query.started_from)
        if query.started_to is not None:
            conds.append(sessions.c.created_at < query.started_to)
        if query.status is not None:
            if query.status not in get_args(SessionStatus):
                raise InvalidInputError("status", "must be active or ended")
            # a literal, not a parameter: SQLite uses the partial index of active sessions only for the literal
            conds.append(sessions.c.status == literal_column(f"'{query.status}'"))
        if query.has_recording is not None:
            # a flag on the session row kept by triggers (migration 0013): an index range, and an index count
            conds.append(sessions.c.recorded == query.has_recording)
        if query.q:
            match = self._text_match(query.q, broad=broad)
            if match is not None:
                conds.append(match)
        return conds

    async def search(self, query: LibraryQuery) -> LibraryPage:
        """A page of the sessions matching the query, in its order, with the total that match and cursors to the
        pages either side (keyset: a cursor's page reads from its row on, never skipping rows with OFFSET)."""
        check_limit(query.limit)
        if not 0 <= query.offset <= MAX_OFFSET:
            raise InvalidInputError("offset", f"must be between 0 and {MAX_OFFSET}")
        if query.count not in ("capped", "exact", "none"):
            raise InvalidInputError("count", "must be capped, exact or none")
        cursor = keyset.decode(query.cursor, query.sort, query.descending) if query.cursor else None
        if cursor is not None and query.offset:
            raise InvalidInputError("offset", "must be 0 with a cursor")
        backwards = cursor is not None and cursor.direction == "prev"
        async with self._reading() as conn:
            conds = self._conditions(query, broad=await self._broad(conn, query.q))
            joined = sessions.join(tickets, tickets.c.id == sessions.c.ticket_id)
            # a previous page is read in the reverse order from its cursor, then turned round
            page = (select(sessions.c.id, sessions.c.ticket_id, sessions.c.created_by, sessions.c.created_at,
                           sessions.c.ended_at, sessions.c.status, sessions.c.ticket_customer,
                           sessions.c.ticket_title, tickets.c.title, tickets.c.customer,
                           tickets.c.device_family, tickets.c.device_model, tickets.c.device_serial)
                    .select_from(joined)
                    .where(and_(True, *conds, *([keyset.beyond(cursor)] if cursor is not None else [])))
                    .order_by(*keyset.order_by(query.sort, query.descending != backwards))
                    .limit(query.limit + 1).offset(query.offset))  # one more row says whether a further page exists
            rows = list((await conn.execute(page)).mappings())
            further = len(rows) > query.limit
            rows = rows[:query.limit]
            if backwards:
                rows.reverse()
            total, more = await self._count(conn, query, conds)
            ids = [r["id"] for r in rows]
            found: dict[str, list[LibraryFinding]] = defaultdict(list)
            recorded: dict[str, tuple[str | None, RecordingState]] = {}
            if ids:
                for f in (await conn.execute(
                        select(findings.c.session_id, findings.c.id, findings.c.code, findings.c.title,
                               findings.c.offset_s)
                        .where(findings.c.session_id.in_(ids), findings.c.dismissed.is_(False))
                        .order_by(findings.c.created_at, findings.c.id))).mappings():
                    found[f["session_id"]].append(LibraryFinding(f["id"], f["code"], f["title"], f["offset_s"]))
                for rec in (await conn.execute(
                        select(recordings.c.session_id, recordings.c.id, recordings.c.status)
                        .where(recordings.c.session_id.in_(ids))
                        .order_by(recordings.c.created_at, recordings.c.id))).mappings():
                    playable = rec["status"] in PLAYABLE_RECORDINGS
                    previous = recorded.get(rec["session_id"])
                    if previous is None or previous[0] is None:  # the first playable one wins
                        recorded[rec["session_id"]] = (rec["id"] if playable else None, rec["status"])
        items = [LibraryRow(session_id=r["id"], ticket_id=r["ticket_id"], ticket_title=r["title"],
                            customer=r["customer"], device_family=r["device_family"], device_model=r["device_model"],
                            device_serial=r["device_serial"], technician=r["created_by"], started_at=r["created_at"],
                            ended_at=r["ended_at"], status=r["status"],
                            codes=list(dict.fromkeys(f.code for f in found[r["id"]])), findings=found[r["id"]],
                            recording_id=recorded.get(r["id"], (None, "none"))[0],
                            recording_state=recorded.get(r["id"], (None, "none"))[1])
                 for r in rows]
        # forwards, a further page exists when the extra row came, a previous one when we came from one (or skipped
        # rows); backwards, the other way round
        has_next = (cursor is not None) if backwards else further
        has_prev = further if backwards else (cursor is not None or query.offset > 0)

        def at(row: Any, direction: keyset.Direction) -> str:
            return keyset.encode(keyset.Cursor(query.sort, query.descending, direction,
                                               keyset.row_keys(query.sort, row)))

        return LibraryPage(items=items, total=total, offset=query.offset, limit=query.limit, more_than_total=more,
                           next_cursor=at(rows[-1], "next") if rows and has_next else None,
                           prev_cursor=at(rows[0], "prev") if rows and has_prev else None)

    async def _count(self, conn: AsyncConnection, query: LibraryQuery,
                     conds: list[ColumnElement[bool]]) -> tuple[int | None, bool]:
        """(how many sessions match, whether more than that match): up to a cap unless asked for exactly, or
        (None, False) when not asked (a client paging on with a cursor already has the count)."""
        if query.count == "none":
            return None, False
        # the count joins tickets only when a filter needs them
        matching: Select[Any] = (select(literal_column("1")).select_from(
            sessions.join(tickets, tickets.c.id == sessions.c.ticket_id) if query.device else sessions)
            .where(and_(True, *conds)))
        if query.count == "exact":
            return int((await conn.execute(select(func.count()).select_from(matching.subquery()))).scalar_one()), False
        cap = TEXT_COUNT_CAP if query.q and search_terms(query.q) else COUNT_CAP
        counted = int((await conn.execute(select(func.count()).select_from(matching.limit(cap + 1).subquery())))
                      .scalar_one())
        return min(counted, cap), counted > cap

    async def facets(self, *, limit: int = 200) -> dict[str, list[str]]:
        """Values the filters can take (for the page's pickers): technicians, device models and families, codes."""
        async with self._engine.connect() as conn:
            async def distinct(column: Any) -> list[str]:
                result = await conn.execute(select(column).where(column.is_not(None)).distinct()
                                            .order_by(column).limit(limit))
                return [str(v) for v in result.scalars()]

            return {"technicians": await distinct(sessions.c.created_by),
                    "models": await distinct(tickets.c.device_model),
                    "families": await distinct(tickets.c.device_family),
                    "codes": await distinct(findings.c.code)}

    def _week(self) -> ColumnElement[Any]:
        """The Monday of a finding's week, as text YYYY-MM-DD."""
        if self._sqlite:
            return func.date(findings.c.created_at, literal_column("'-6 days'"), literal_column("'weekday 1'"))
        return func.to_char(func.date_trunc("week", findings.c.created_at), "YYYY-MM-DD")

    def _found_by_week_code(self, start: datetime, end: datetime, code: str | None,
                            device: str | None) -> Select[Any]:
        """Findings in [start, end) per week and code, counted from the findings."""
        week = self._week().label("week")
        return (select(week, findings.c.code, func.count()).select_from(_findings_with_tickets)
                .where(*self._found_conds(start, end, code, device)).group_by(week, findings.c.code))

    def _found_by_model(self, start: datetime, end: datetime, code: str | None,
                        device: str | None) -> Select[Any, int]:
        """Findings in [start, end) per device model, counted from the findings."""
        model = func.coalesce(tickets.c.device_model, tickets.c.device_family, "unknown").label("model")
        return (select(model, func.count()).select_from(_findings_with_tickets)
                .where(*self._found_conds(start, end, code, device)).group_by(model))

    @staticmethod
    def _found_conds(start: datetime, end: datetime, code: str | None, device: str | None) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [findings.c.dismissed.is_(False), findings.c.created_at >= start,
                                            findings.c.created_at < end]
        if code:
            conds.append(findings.c.code == code)
        if device:
            conds.append(or_(tickets.c.device_model == device, tickets.c.device_family == device.lower()))
        return conds

    @staticmethod
    def _counted_conds(first: date, end: date, code: str | None, device: str | None) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [finding_counts.c.day >= first, finding_counts.c.day < end]
        if code:
            conds.append(finding_counts.c.code == code)
        if device:
            conds.append(or_(finding_counts.c.device_model == device, finding_counts.c.device_family == device.lower()))
        return conds

    def _counted_by_week_code(self, first: date, end: date, code: str | None, device: str | None) -> Select[Any]:
        """Findings of the whole days [first, end) per week and code, from the daily counts."""
        return (select(finding_counts.c.week, finding_counts.c.code, func.sum(finding_counts.c.n))
                .where(*self._counted_conds(first, end, code, device))
                .group_by(finding_counts.c.week, finding_counts.c.code))

    def _counted_by_model(self, first: date, end: date, code: str | None, device: str | None) -> Select[Any]:
        """Findings of the whole days [first, end) per device model (as the findings' query names them)."""
        model = func.coalesce(func.nullif(finding_counts.c.device_model, ""),
                              func.nullif(finding_counts.c.device_family, ""), "unknown").label("model")
        return (select(model, func.sum(finding_counts.c.n)).where(*self._counted_conds(first, end, code, device))
                .group_by(model))

    async def trends(self, *, since: datetime, until: datetime, code: str | None = None, device: str | None = None,
                     top: int = 10) -> Trends:
        """Findings per week, code and device model in [since, until), the top codes' weekly series, rising codes."""
        if since.tzinfo is None or until.tzinfo is None:
            raise InvalidInputError("since", "must include a time zone")
        if until <= since or until - since > timedelta(days=3 * 366):
            raise InvalidInputError("until", "must be after since, at most three years later")
        code_key = code.strip().upper() if code else None
        device_key = device.strip() if device else None
        # whole UTC days come from the daily counts; the partial first and last day from the findings themselves
        first_whole = _day_start(since) + (timedelta(days=1) if _day_start(since) < since else timedelta())
        last_whole = _day_start(until)
        parts = [(since, until)] if first_whole >= last_whole else [(since, first_whole), (last_whole, until)]
        per_week_code: dict[tuple[str, str], int] = defaultdict(int)
        per_model: dict[str, int] = defaultdict(int)
        async with self._reading() as conn:
            if first_whole < last_whole:
                for week_value, code_value, n in await conn.execute(self._counted_by_week_code(
                        first_whole.date(), last_whole.date(), code_key, device_key)):
                    per_week_code[str(week_value)[:10], str(code_value)] += int(n)
                for model_value, n in await conn.execute(self._counted_by_model(
                        first_whole.date(), last_whole.date(), code_key, device_key)):
                    per_model[str(model_value)] += int(n)
            for start, end in parts:
                if start >= end:
                    continue
                for week_value, code_value, n in await conn.execute(self._found_by_week_code(
                        start, end, code_key, device_key)):
                    per_week_code[str(week_value)[:10], str(code_value)] += int(n)
                for model_value, n in await conn.execute(self._found_by_model(start, end, code_key, device_key)):
                    per_model[str(model_value)] += int(n)
        by_week_code = [(week_text, code_value, n) for (week_text, code_value), n in per_week_code.items() if n > 0]
        by_model = sorted(((m, n) for m, n in per_model.items() if n > 0), key=lambda t: (-t[1], t[0]))[:top]
        weeks = _weeks(since, until)
        index = {w.isoformat(): i for i, w in enumerate(weeks)}
        per_week = [0] * len(weeks)
        series: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
        for week_text, code_value, n in by_week_code:
            i = index.get(str(week_text)[:10])
            if i is None:
                continue
            per_week[i] += int(n)
            series[str(code_value)][i] += int(n)
        totals = sorted(((sum(v), k) for k, v in series.items()), key=lambda t: (-t[0], t[1]))
        top_codes = [k for _, k in totals[:top]]
        rising: list[RisingCode] = []
        if len(weeks) >= 2:
            for key, counts in series.items():
                last, before = counts[-1], sum(counts[:-1]) / (len(counts) - 1)
                if last > before:
                    rising.append(RisingCode(key, last, round(before, 2), round((last + 1) / (before + 1), 2)))
            rising.sort(key=lambda r: (-r.ratio, -r.last_week, r.code))
        return Trends(weeks=weeks, per_week=per_week, per_code=[CodeCount(k, n) for n, k in totals[:top]],
                      per_model=[CodeCount(str(m), int(n)) for m, n in by_model],
                      code_weeks={k: series[k] for k in top_codes}, rising=rising[:top])


_findings_with_tickets = findings.join(tickets, tickets.c.id == findings.c.ticket_id)


def _day_start(moment: datetime) -> datetime:
    """Midnight UTC of the moment's day."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _weeks(since: datetime, until: datetime) -> list[date]:
    """The Mondays of the weeks the range touches, oldest first."""
    first = since.astimezone(UTC).date()
    first -= timedelta(days=first.weekday())
    last = (until - timedelta(microseconds=1)).astimezone(UTC).date()
    weeks = []
    while first <= last:
        weeks.append(first)
        first += timedelta(days=7)
    return weeks
