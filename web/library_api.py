"""Session library routes: search the sessions, the filters' values, trends of findings (reviewers and up)."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from signaling.policy import Action
from signaling.tokens import Claims
from tickets.library import CountMode, LibraryQuery, LibraryRow, LibrarySort, RecordingState
from vocabulary import SessionStatus
from web.common_api import ApiContext


class LibraryFindingOut(BaseModel):
    """A finding of a listed session: its code and moment (open /review?session=...&t=offset_s to play it)."""

    id: str
    code: str
    title: str
    offset_s: float | None


class LibrarySessionOut(BaseModel):
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
    duration_s: float | None
    status: SessionStatus
    codes: list[str]
    findings: list[LibraryFindingOut]
    recording_id: str | None
    recording_state: RecordingState

    @classmethod
    def of(cls, r: LibraryRow) -> "LibrarySessionOut":
        """From a library row."""
        return cls.model_validate(r, from_attributes=True)  # by field name, its findings too


class LibraryPageOut(BaseModel):
    """A page of sessions, how many match in all, and opaque cursors to the pages either side."""

    items: list[LibrarySessionOut]
    total: int | None  # None with count=none
    more_than_total: bool = False  # more sessions match than `total` (counting stopped there; count=exact counts all)
    offset: int
    limit: int
    next_cursor: str | None = None  # pass as `cursor` for the next page (same filters, sort and order)
    prev_cursor: str | None = None  # pass as `cursor` for the previous page


class FacetsOut(BaseModel):
    """Values the filters can take."""

    technicians: list[str]
    models: list[str]
    families: list[str]
    codes: list[str]


class CountOut(BaseModel):
    """A code or device model and its number of findings."""

    key: str
    count: int


class RisingOut(BaseModel):
    """A code rising in the last week of the range."""

    code: str
    last_week: int
    weekly_before: float
    ratio: float


class TrendsOut(BaseModel):
    """Findings (not dismissed) over the range: per week, per code, per device model; the top codes per week."""

    since: datetime
    until: datetime
    weeks: list[date]
    per_week: list[int]
    per_code: list[CountOut]
    per_model: list[CountOut]
    code_weeks: dict[str, list[int]]
    rising: list[RisingOut]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the library routes on the /api router."""
    library = ctx.store.library
    Searcher = Annotated[Claims, Depends(ctx.auth.allow(Action.LIBRARY_SEARCH))]

    @router.get("/library/sessions", tags=["library"])
    async def library_sessions(
        claims: Searcher,
        code: Annotated[str | None, Query(max_length=100, description="A finding with this code")] = None,
        device: Annotated[str | None, Query(max_length=200, description="Device model or family")] = None,
        technician: Annotated[str | None, Query(max_length=200)] = None,
        started_from: Annotated[datetime | None, Query(description="Inclusive; UTC if no zone")] = None,
        started_to: Annotated[datetime | None, Query(description="Exclusive; UTC if no zone")] = None,
        status: Annotated[SessionStatus | None, Query()] = None,
        has_recording: Annotated[bool | None, Query()] = None,
        q: Annotated[str | None, Query(max_length=200, description="Words in ticket titles, findings or chat")] = None,
        sort: Annotated[LibrarySort, Query()] = "started",
        order: Annotated[Literal["asc", "desc"], Query()] = "desc",
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000, description="Rows to skip (0 with a cursor)")] = 0,
        cursor: Annotated[str | None, Query(max_length=1000, description="next_cursor or prev_cursor of a page")]
        = None,
        count: Annotated[CountMode, Query(description="capped: up to 10,000 (1,000 with q); exact: every match; "
                                                      "none: no count (paging on with a cursor)")] = "capped",
    ) -> LibraryPageOut:
        """Sessions matching every given filter, sorted and paged (by offset, or by the cursors each page gives)."""
        page = await library.search(LibraryQuery(
            code=code or None, device=device or None, technician=technician or None,
            started_from=_utc(started_from), started_to=_utc(started_to), status=status, has_recording=has_recording,
            q=q or None, sort=sort, descending=order == "desc", limit=limit, offset=offset, cursor=cursor or None,
            count=count))
        return LibraryPageOut(items=[LibrarySessionOut.of(r) for r in page.items], total=page.total,
                              more_than_total=page.more_than_total, offset=page.offset, limit=page.limit,
                              next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)

    @router.get("/library/facets", tags=["library"])
    async def library_facets(claims: Searcher) -> FacetsOut:
        """The technicians, device models and families, and codes the filters can take."""
        return FacetsOut(**await library.facets())

    @router.get("/library/trends", tags=["library"])
    async def library_trends(
        claims: Searcher,
        since: Annotated[datetime | None, Query(description="Default: 12 weeks before until")] = None,
        until: Annotated[datetime | None, Query(description="Default: now")] = None,
        code: Annotated[str | None, Query(max_length=100)] = None,
        device: Annotated[str | None, Query(max_length=200)] = None,
        top: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> TrendsOut:
        """Counts of findings per week, code and device model, the top codes' weekly series, and rising codes."""
        end = _utc(until) or datetime.now(UTC)
        start = _utc(since) or end - timedelta(weeks=12)
        t = await library.trends(since=start, until=end, code=code or None, device=device or None, top=top)
        return TrendsOut(since=start, until=end, weeks=t.weeks, per_week=t.per_week,
                         per_code=[CountOut(key=c.key, count=c.count) for c in t.per_code],
                         per_model=[CountOut(key=c.key, count=c.count) for c in t.per_model],
                         code_weeks=t.code_weeks,
                         rising=[RisingOut(code=r.code, last_week=r.last_week, weekly_before=r.weekly_before,
                                           ratio=r.ratio) for r in t.rising])
