"""The session library's filters, free-text search, sort, paging and trends on SQLite and PostgreSQL: each query's
answer is compared with the same filter applied in Python to the scenario that built the data."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from testkit.servers import running_postgres
from tests.unit.tickets.factories import new_finding
from tickets import library as library_module
from tickets.library import LibraryQuery, LibrarySort
from tickets.schema import finding_counts, findings, recordings, session_events, sessions, tickets
from tickets.store import TicketStore

NOW = datetime.now(UTC).replace(microsecond=0)
MODELS = [("acme", "LaserJet 400"), ("globex", "G-200"), (None, None)]
TECHS = ["ann", "bob", "cid"]
CODES = ["SC-542", "E12", "F07"]
WORDS = ["toner smudge", "paper jam in tray", "fuser noise", "drum replaced"]


@dataclass(frozen=True)
class Planned:
    """One session of the scenario, as the test knows it."""

    index: int
    family: str | None
    model: str | None
    technician: str
    started: datetime
    codes: tuple[str, ...]
    chat: str
    title: str
    recorded: bool
    ended: bool
    session_id: str = ""


def scenario() -> list[Planned]:
    plan = []
    for i in range(24):
        family, model = MODELS[i % 3]
        codes = tuple(CODES[j] for j in range(3) if (i >> j) & 1)
        plan.append(Planned(i, family, model, TECHS[(i // 2) % 3], NOW - timedelta(days=3 * i, hours=i),
                            codes, f"customer says {WORDS[i % 4]}", f"Ticket {i} {WORDS[(i + 1) % 4]}",
                            recorded=i % 4 != 1, ended=i % 5 != 0))
    return plan


async def build(store: TicketStore) -> list[Planned]:
    built = []
    for p in scenario():
        ticket = await store.create_ticket(p.title, customer=f"Customer {p.index}", created_by=p.technician,
                                           device_family=p.family, device_model=p.model)
        session = await store.create_session(ticket.id, created_by=p.technician)
        for n, code in enumerate(p.codes):
            await store.attach_finding(session.id, new_finding(code, seed=p.index * 10 + n, text=f"READ {code}"))
        await store.session_events.add(session.id, "chat", {"message_id": 1, "text": p.chat}, actor_role="customer",
                                       actor="c-1", actor_name="Cus")
        if p.recorded:
            rec = await store.add_recording(session.id, f"/rec/{session.id}.mkv")
            await store.finalise_recording(rec.id, duration_s=60.0, size_bytes=1000, poster_path=None)
        if p.ended:
            await store.end_session(session.id, actor=p.technician)
        async with store._engine.begin() as conn:  # the scenario's own start times (the store stamps "now")
            await conn.execute(update(sessions).where(sessions.c.id == session.id).values(created_at=p.started))
            await conn.execute(update(findings).where(findings.c.session_id == session.id)
                               .values(created_at=p.started))
        built.append(Planned(**{**p.__dict__, "session_id": session.id}))
    return built


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with running_postgres() as url:
        yield url


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module",
                        params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
async def library(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[TicketStore, list[Planned]]]:
    """The scenario, built once per database (the tests only read)."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    url = f"sqlite+aiosqlite:///{tmp_path / 'library.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")
    store = TicketStore(url, tmp_path)
    await store.migrate()
    yield store, await build(store)
    await store.close()


def ids(plan: list[Planned], keep: Callable[[Planned], bool]) -> list[str]:
    """Newest first, as the library's default order."""
    return [p.session_id for p in sorted(plan, key=lambda p: p.started, reverse=True) if keep(p)]


async def listed(store: TicketStore, query: LibraryQuery) -> list[str]:
    page = await store.library.search(query)
    assert page.total is not None and (page.total == len(page.items) or query.limit < page.total)
    return [r.session_id for r in page.items]


async def test_each_filter_alone_and_combined(library: tuple[TicketStore, list[Planned]]) -> None:
    store, plan = library
    cases: list[tuple[LibraryQuery, Callable[[Planned], bool]]] = [
        (LibraryQuery(), lambda p: True),
        (LibraryQuery(code="sc-542"), lambda p: "SC-542" in p.codes),
        (LibraryQuery(device="LaserJet 400"), lambda p: p.model == "LaserJet 400"),
        (LibraryQuery(device="globex"), lambda p: p.family == "globex"),
        (LibraryQuery(technician="bob"), lambda p: p.technician == "bob"),
        (LibraryQuery(status="active"), lambda p: not p.ended),
        (LibraryQuery(has_recording=True), lambda p: p.recorded),
        (LibraryQuery(has_recording=False), lambda p: not p.recorded),
        (LibraryQuery(started_from=NOW - timedelta(days=20), started_to=NOW - timedelta(days=5)),
         lambda p: NOW - timedelta(days=20) <= p.started < NOW - timedelta(days=5)),
        (LibraryQuery(code="E12", device="acme", has_recording=True),
         lambda p: "E12" in p.codes and p.family == "acme" and p.recorded),
    ]
    for query, keep in cases:
        assert await listed(store, query) == ids(plan, keep), query


async def test_free_text_finds_titles_findings_and_chat_by_word_prefix(
        library: tuple[TicketStore, list[Planned]]) -> None:
    store, plan = library
    for q, keep in [("fuser", lambda p: "fuser" in p.chat or "fuser" in p.title),
                    ("paper tra", lambda p: "paper jam in tray" in p.chat or "paper jam in tray" in p.title),
                    ("read f07", lambda p: "F07" in p.codes),
                    ('"toner" OR *', lambda p: False)]:  # FTS syntax is taken as words, never as operators
        assert sorted(await listed(store, LibraryQuery(q=q))) == sorted(ids(plan, keep)), q


async def test_sorting_and_paging_cover_every_session_once(library: tuple[TicketStore, list[Planned]]) -> None:
    store, plan = library
    seen: list[str] = []
    for offset in range(0, len(plan), 5):
        page = await store.library.search(LibraryQuery(sort="technician", descending=False, limit=5, offset=offset))
        assert page.total == len(plan)
        seen += [r.session_id for r in page.items]
    expected = [p.session_id for p in sorted(plan, key=lambda p: (p.technician, p.started, p.session_id))]
    assert seen == expected


async def test_rows_carry_codes_recording_and_the_findings_moments(library: tuple[TicketStore, list[Planned]]) -> None:
    store, plan = library
    rows = {r.session_id: r for r in (await store.library.search(LibraryQuery(limit=200))).items}
    for p in plan:
        row = rows[p.session_id]
        assert sorted(row.codes) == sorted(p.codes) and [f.offset_s for f in row.findings] == [8.25] * len(p.codes)
        assert (row.recording_id is not None) == p.recorded and row.device_model == p.model
        assert row.status == ("ended" if p.ended else "active") and row.technician == p.technician


async def test_trends_per_week_code_and_model_and_rising_codes(library: tuple[TicketStore, list[Planned]]) -> None:
    store, plan = library
    since = NOW - timedelta(weeks=6)
    trends = await store.library.trends(since=since, until=NOW + timedelta(seconds=1))
    inside = [p for p in plan if p.started >= since]
    assert sum(trends.per_week) == sum(len(p.codes) for p in inside)
    expected_codes = {c: sum(c in p.codes for p in inside) for c in CODES}
    assert {c.key: c.count for c in trends.per_code} == {c: n for c, n in expected_codes.items() if n}
    models = {(p.model or p.family or "unknown") for p in inside if p.codes}
    assert {c.key for c in trends.per_model} == models
    for week, monday in enumerate(trends.weeks):
        in_week = [p for p in inside if monday <= p.started.date() < monday + timedelta(days=7)]
        assert trends.per_week[week] == sum(len(p.codes) for p in in_week), monday
    for rising in trends.rising:
        series = trends.code_weeks[rising.code]
        assert series[-1] == rising.last_week and rising.last_week > sum(series[:-1]) / (len(series) - 1)


async def test_scenario_covers_every_combination() -> None:
    plan = scenario()
    assert {p.codes for p in plan} >= {c for n in range(4) for c in itertools.combinations(CODES, n)}


@pytest_asyncio.fixture(loop_scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
async def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TicketStore]:
    """An empty migrated store of its own (the tests below change rows)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    else:
        base = request.getfixturevalue("pg_url")
        admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
        name = f"fresh_{uuid.uuid4().hex[:8]}"
        async with admin.connect() as conn:
            await conn.execute(text(f"CREATE DATABASE {name}"))
        await admin.dispose()
        url = base.rsplit("/", 1)[0] + f"/{name}"
    store = TicketStore(url, tmp_path)
    await store.migrate()
    yield store
    await store.close()


async def _counts_by_hand(store: TicketStore) -> dict[tuple[str, str, str], int]:
    """Findings (not dismissed) per code, family and model, counted from the findings themselves."""
    query = (select(findings.c.code, func.coalesce(tickets.c.device_family, ""), func.coalesce(tickets.c.device_model, ""),
                    func.count()).select_from(findings.join(tickets, tickets.c.id == findings.c.ticket_id))
             .where(findings.c.dismissed.is_(False)).group_by(findings.c.code, tickets.c.device_family,
                                                              tickets.c.device_model))
    async with store._engine.connect() as conn:
        return {(c, f, m): int(n) for c, f, m, n in await conn.execute(query)}


async def _counts_kept(store: TicketStore) -> dict[tuple[str, str, str], int]:
    query = (select(finding_counts.c.code, finding_counts.c.device_family, finding_counts.c.device_model,
                    func.sum(finding_counts.c.n))
             .group_by(finding_counts.c.code, finding_counts.c.device_family, finding_counts.c.device_model))
    async with store._engine.connect() as conn:
        return {(c, f, m): int(n) for c, f, m, n in await conn.execute(query) if n}


async def test_daily_counts_and_search_documents_follow_every_change(fresh_store: TicketStore,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = fresh_store
    made = []
    for i, (family, model) in enumerate(MODELS):
        ticket = await store.create_ticket(f"Ticket {i} toner", customer=f"Customer {i}", created_by="ann",
                                           device_family=family, device_model=model)
        session = await store.create_session(ticket.id, created_by="ann")
        found = [await store.attach_finding(session.id, new_finding(code, seed=i * 10 + n))
                 for n, code in enumerate(CODES[: i + 1])]
        await store.session_events.add(session.id, "chat", {"message_id": 1, "text": f"chat word{i}"},
                                       actor_role="customer", actor="c-1", actor_name="Cus")
        made.append((ticket, session, found))
    assert await _counts_kept(store) == await _counts_by_hand(store) != {}
    (t0, s0, f0), (t1, s1, f1), (t2, s2, f2) = made
    await store.dismiss_finding(f2[0].id, actor="ann", reason="not this device")
    async with store._engine.begin() as conn:
        await conn.execute(update(tickets).where(tickets.c.id == t1.id)
                           .values(device_family="umbrella", device_model="U-1", title="Renamed quasar"))
        await conn.execute(delete(findings).where(findings.c.id == f2[1].id))
        await conn.execute(update(session_events).where(session_events.c.session_id == s0.id)
                           .values(payload={"message_id": 1, "text": ""}))  # as an erasure clears chat
    kept = await _counts_kept(store)
    assert kept == await _counts_by_hand(store) and ("E12", "umbrella", "U-1") in kept
    now = datetime.now(UTC)
    trends = await store.library.trends(since=now - timedelta(days=2, hours=5), until=now + timedelta(hours=1))
    assert sum(trends.per_week) == sum(kept.values()) and {c.key for c in trends.per_model} >= {"U-1"}
    for narrow in (True, False):  # both plans of the SQLite search give the same sessions
        monkeypatch.setattr(library_module, "NARROW_MATCHES", 2_000 if narrow else 0)
        assert await listed(store, LibraryQuery(q="quasar")) == [s1.id]
        assert await listed(store, LibraryQuery(q="word0")) == []
        assert await listed(store, LibraryQuery(q="word2")) == [s2.id]
        assert sorted(await listed(store, LibraryQuery(q="toner"))) == sorted([s0.id, s2.id])
        assert sorted(await listed(store, LibraryQuery(q="error custom"))) == sorted([s0.id, s1.id, s2.id])


async def test_sort_keys_and_the_recorded_flag_follow_every_change(fresh_store: TicketStore) -> None:
    """The session row's copies of its ticket's customer and title and its "has a playable recording" flag (kept by
    triggers, migration 0013) follow renames, erasure of the customer, recordings finished, deleted and moved."""
    store = fresh_store
    a = await store.create_ticket("Alpha fuser", customer="Zed", created_by="ann")
    b = await store.create_ticket("Beta drum", customer="Amy", created_by="ann")
    sa, sb = [await store.create_session(t.id, created_by="ann") for t in (a, b)]

    async def order(sort: LibrarySort) -> list[str]:
        return await listed(store, LibraryQuery(sort=sort, descending=False))

    assert await order("customer") == [sb.id, sa.id] and await order("ticket") == [sa.id, sb.id]
    assert await listed(store, LibraryQuery(has_recording=True)) == []
    recording = await store.add_recording(sa.id, "rec/a.webm")
    assert await listed(store, LibraryQuery(has_recording=True)) == []  # still recording: nothing to watch yet
    await store.finalise_recording(recording.id, duration_s=3.0, size_bytes=10, poster_path=None)
    assert await listed(store, LibraryQuery(has_recording=True)) == [sa.id]
    assert await listed(store, LibraryQuery(has_recording=False)) == [sb.id]
    async with store._engine.begin() as conn:  # a rename, and an erasure that blanks the customer
        await conn.execute(update(tickets).where(tickets.c.id == a.id).values(title="Aardvark", customer=""))
    assert await order("customer") == [sa.id, sb.id]
    page = await store.library.search(LibraryQuery(sort="customer", descending=False, limit=1))
    assert [r.session_id for r in page.items] == [sa.id] and page.items[0].customer == ""
    nxt = await store.library.search(LibraryQuery(sort="customer", descending=False, limit=1, cursor=page.next_cursor))
    assert [r.session_id for r in nxt.items] == [sb.id]
    async with store._engine.begin() as conn:  # the recording moves to the other session
        await conn.execute(update(recordings).where(recordings.c.id == recording.id).values(session_id=sb.id))
    assert await listed(store, LibraryQuery(has_recording=True)) == [sb.id]
    async with store._engine.begin() as conn:  # the session moves to the other ticket
        await conn.execute(update(sessions).where(sessions.c.id == sb.id).values(ticket_id=a.id))
    assert await listed(store, LibraryQuery(has_recording=True)) == [sb.id]
    assert await order("ticket") == [sa.id, sb.id]  # the same title now: then by start
    async with store._engine.connect() as conn:
        keys = {r.id: (r.ticket_title, r.ticket_customer, r.recorded) for r in await conn.execute(
            select(sessions.c.id, sessions.c.ticket_title, sessions.c.ticket_customer, sessions.c.recorded))}
    assert keys == {sa.id: ("Aardvark", "", False), sb.id: ("Aardvark", "", True)}
    async with store._engine.begin() as conn:
        await conn.execute(delete(recordings).where(recordings.c.id == recording.id))
    assert await listed(store, LibraryQuery(has_recording=True)) == []


def _in_order(rows: list, sort: str, descending: bool) -> list[str]:
    """Session ids in a sort's order as the library defines it (an unended session after every ended one)."""
    far = datetime.max.replace(tzinfo=UTC)
    first = {"started": lambda r: "", "ended": lambda r: r.ended_at or far, "technician": lambda r: r.technician,
             "customer": lambda r: r.customer, "ticket": lambda r: r.ticket_title}[sort]
    return [r.session_id for r in sorted(rows, key=lambda r: (first(r), r.started_at, r.session_id),
                                         reverse=descending)]


async def test_cursors_walk_every_sort_forwards_and_back_with_each_session_once(
        library: tuple[TicketStore, list[Planned]]) -> None:
    store, plan = library
    everything = (await store.library.search(LibraryQuery(limit=200))).items
    # both directions where NULLs (sessions still running) and the row value differ; one for the ticket columns
    orders: list[tuple[LibrarySort, bool]] = [("started", True), ("started", False), ("ended", True), ("ended", False),
                                              ("technician", False), ("customer", True), ("ticket", False)]
    for sort, descending in orders:
        expected = _in_order(everything, sort, descending)
        pages: list[list[str]] = []
        page = await store.library.search(LibraryQuery(sort=sort, descending=descending, limit=7))
        assert page.prev_cursor is None and page.total == len(plan)
        while True:
            pages.append([r.session_id for r in page.items])
            if page.next_cursor is None:
                break
            page = await store.library.search(LibraryQuery(sort=sort, descending=descending, limit=7,
                                                           cursor=page.next_cursor, count="none"))
            assert page.total is None and page.prev_cursor is not None
        assert [s for p in pages for s in p] == expected, (sort, descending)
        assert [len(p) for p in pages] == [7, 7, 7, 3]
        for back in reversed(pages[:-1]):  # and back again from the last page with prev cursors
            assert page.prev_cursor is not None
            page = await store.library.search(LibraryQuery(sort=sort, descending=descending, limit=7,
                                                           cursor=page.prev_cursor, count="none"))
            assert [r.session_id for r in page.items] == back, (sort, descending)
        assert page.prev_cursor is None and page.next_cursor is not None


async def test_cursors_keep_the_filters_order_and_a_made_up_or_foreign_cursor_is_refused(
        library: tuple[TicketStore, list[Planned]]) -> None:
    store, plan = library
    keep = ids(plan, lambda p: p.recorded)
    page = await store.library.search(LibraryQuery(has_recording=True, limit=4))
    seen = [r.session_id for r in page.items]
    while page.next_cursor:
        page = await store.library.search(LibraryQuery(has_recording=True, limit=4, cursor=page.next_cursor))
        seen += [r.session_id for r in page.items]
    assert seen == keep
    cursor = (await store.library.search(LibraryQuery(limit=4))).next_cursor
    assert cursor is not None
    for bad in (LibraryQuery(cursor=cursor, sort="customer"), LibraryQuery(cursor=cursor, descending=False),
                LibraryQuery(cursor="not-a-cursor"), LibraryQuery(cursor=cursor[:-3]),
                LibraryQuery(cursor=cursor, offset=4)):
        with pytest.raises(library_module.InvalidInputError):
            await store.library.search(bad)


async def test_counts_stop_at_the_cap_unless_asked_for_exactly(library: tuple[TicketStore, list[Planned]],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store, plan = library
    monkeypatch.setattr(library_module, "COUNT_CAP", 10)
    monkeypatch.setattr(library_module, "TEXT_COUNT_CAP", 3)
    capped = await store.library.search(LibraryQuery(limit=1))
    assert (capped.total, capped.more_than_total) == (10, True)
    exact = await store.library.search(LibraryQuery(limit=1, count="exact"))
    assert (exact.total, exact.more_than_total) == (len(plan), False)
    fuser = len(ids(plan, lambda p: "fuser" in p.chat or "fuser" in p.title))
    assert fuser > 3
    text_page = await store.library.search(LibraryQuery(q="fuser", limit=1))
    assert (text_page.total, text_page.more_than_total) == (3, True)
    text_exact = await store.library.search(LibraryQuery(q="fuser", limit=1, count="exact"))
    assert (text_exact.total, text_exact.more_than_total) == (fuser, False)
