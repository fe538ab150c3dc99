"""p95 of the session library's typical queries with 100,000 sessions, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.library_queries [--sessions 100000] [--runs 40] [--db sqlite|postgres|both]
        [--sqlite-file F] [--postgres-url URL]

Fills a fresh database (migrated as the server migrates it, so the FTS5 triggers / GIN indexes are live) with
synthetic tickets, sessions, findings, chat and recordings, then times each query through tickets.library (the
code the API runs) `--runs` times after one warm-up run. Besides the first pages (each with the count capped at
10,000, or 1,000 with free text), it times exact counts (count=exact, what "Count all" on the page asks for) and
deep pages read by cursor (the page after row 5,000, as "Next" reaches it) against the same pages by offset. Prints wall-clock p50/p95 per query and the process CPU
time p95 (all threads: with SQLite the database work runs in this process; with PostgreSQL it runs in the server,
so only the client's share shows) and, on PostgreSQL, the p95 of the CPU time the server's processes for this
database used per query (from /proc, 10 ms ticks; the bench must run on the database's machine). PostgreSQL is a
throwaway cluster on a loopback port (testkit/servers.py), or --postgres-url.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from tickets.library import LibraryQuery
from tickets.records import FindingRecord
from tickets.schema import findings, recordings, session_events, sessions, tickets
from tickets.store import TicketStore

FAMILIES = {"acme": ["LaserJet 400", "LaserJet 500", "PageWide 2"], "globex": ["G-200", "G-300"],
            "initech": ["TPS-9", "TPS-10", "TPS-11"], "umbrella": ["U-1"]}
CODES = [f"SC-{n}" for n in range(500, 560)] + [f"E{n:02d}" for n in range(1, 40)] + [f"F{n:02d}" for n in range(1, 20)]
TECHS = [f"tech-{n}" for n in range(40)]
WORDS = ["toner", "smudge", "paper", "jam", "tray", "fuser", "noise", "drum", "replaced", "streaks", "ghosting", "offline", "network", "wifi", "driver", "firmware", "update", "cartridge", "leak", "feeder", "roller", "duplex", "scanner", "glass", "lid", "hinge", "cable", "power", "supply", "fan", "overheating", "error", "blinking", "display", "blank"]
VOCABULARY = WORDS + [f"{a}{b}" for a in ("re", "un", "over", "pre", "mis", "sub") for b in
                      ("load", "seat", "align", "heat", "feed", "print", "scan", "wire", "boot", "lock", "clean",
                       "fill", "set", "run", "fix", "check", "test", "mount", "charge", "cool")]
# Zipf-like word frequencies, as in real text: a few words are everywhere, most are rare
WEIGHTS = [1.0 / (rank + 1) for rank in range(len(VOCABULARY))]
CHUNK = 5000
DEEP = "deep"  # stands for the cursor of the page at the query's offset (made before timing)


def _phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCABULARY, WEIGHTS, k=n))


def rows(count: int, seed: int = 13) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Synthetic rows in insert order, CHUNK sessions at a time: (table name, rows)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    families = list(FAMILIES)
    for start in range(0, count, CHUNK):
        t_rows: list[dict[str, Any]] = []
        s_rows: list[dict[str, Any]] = []
        f_rows: list[dict[str, Any]] = []
        e_rows: list[dict[str, Any]] = []
        r_rows: list[dict[str, Any]] = []
        for i in range(start, min(count, start + CHUNK)):
            started = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
            family = rng.choice(families)
            ticket_id, session_id = uuid.uuid4().hex, uuid.uuid4().hex
            tech = rng.choice(TECHS)
            t_rows.append(dict(id=ticket_id, title=f"{family} {_phrase(rng, 4)}", customer=f"Customer {i % 7000}",
                               external_ref=None, status="closed", created_by=tech, created_at=started,
                               updated_at=started, device_family=family, device_model=rng.choice(FAMILIES[family]),
                               device_serial=f"SN{i:08d}"))
            ended = rng.random() > 0.01
            s_rows.append(dict(id=session_id, ticket_id=ticket_id, status="ended" if ended else "active",
                               created_by=tech, created_at=started,
                               ended_at=started + timedelta(seconds=rng.uniform(60, 3600)) if ended else None))
            for n in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
                code = rng.choice(CODES[:20]) if rng.random() < 0.5 else rng.choice(CODES)
                f_rows.append(asdict(FindingRecord(
                    id=uuid.uuid4().hex, ticket_id=ticket_id, session_id=session_id, code=code, family=family,
                    title=f"{code} {_phrase(rng, 3)}", cause=_phrase(rng, 6), remedy=_phrase(rng, 6),
                    severity="high", known=True, text=f"ERROR {code}", confidence=0.9, frame_time=None,
                    offset_s=rng.uniform(1, 600), snapshot_id=uuid.uuid4().hex,
                    snapshot_path=f"{session_id}-{n}.jpg", snapshot_type="image/jpeg", source="live", note="",
                    created_by="lensdesk", created_at=started + timedelta(seconds=30 + n), dismissed=False,
                    dismissed_by=None, dismissed_reason=None, dismissed_at=None)))
            for n in range(rng.choice((0, 1, 2, 3))):
                e_rows.append(dict(session_id=session_id, ticket_id=ticket_id, kind="chat",
                                   payload={"message_id": n + 1, "text": _phrase(rng, 8)}, actor_role="customer",
                                   actor="cust", actor_name="Customer", at=started + timedelta(seconds=n),
                                   offset_ms=n * 1000))
            if rng.random() < 0.7:
                r_rows.append(dict(id=uuid.uuid4().hex, session_id=session_id, ticket_id=ticket_id,
                                   path=f"/rec/{session_id}.mkv", status="finalised", duration_s=600.0,
                                   size_bytes=10**7, poster_path=None, created_at=started,
                                   finalised_at=started + timedelta(seconds=600), node_id="n1"))
        yield "tickets", t_rows
        yield "sessions", s_rows
        yield "findings", f_rows
        yield "session_events", e_rows
        yield "recordings", r_rows


TABLES = {"tickets": tickets, "sessions": sessions, "findings": findings, "session_events": session_events,
          "recordings": recordings}


async def fill(store: TicketStore, count: int) -> float:
    """Insert the synthetic data; seconds taken."""
    began = time.perf_counter()
    batch: list[tuple[str, list[dict[str, Any]]]] = []
    for name, chunk in rows(count):
        batch.append((name, chunk))
        if name == "recordings":
            async with store._engine.begin() as conn:
                for table, values in batch:
                    if values:
                        await conn.execute(insert(TABLES[table]), values)
            batch = []
    return time.perf_counter() - began


def queries() -> list[tuple[str, LibraryQuery | None]]:
    """The typical questions of a team lead (None: the 12-week trends; a query whose cursor is "deep" reads the
    page after the one at the query's offset, by the cursor that page gives)."""
    now = datetime.now(UTC)
    return [
        ("newest 50", LibraryQuery()),
        ("code SC-542", LibraryQuery(code="SC-542")),
        ("code + model + 30 days", LibraryQuery(code="SC-542", device="LaserJet 400",
                                                started_from=now - timedelta(days=30))),
        ("technician, by start asc, page 10", LibraryQuery(technician="tech-7", descending=False, offset=450)),
        ("family, with recording, active", LibraryQuery(device="globex", has_recording=True, status="active")),
        ("text 'fuser'", LibraryQuery(q="fuser")),
        ("text 'paper jam' + code E05", LibraryQuery(q="paper jam", code="E05")),
        ("text 'ghost' (prefix)", LibraryQuery(q="ghost")),
        ("text 'unscan' (a rare word)", LibraryQuery(q="unscan")),
        ("sort by customer, page 100", LibraryQuery(sort="customer", offset=5000)),
        ("sort by customer, page 101 by cursor", LibraryQuery(sort="customer", offset=5000, cursor=DEEP,
                                                              count="none")),
        ("newest, page 101 by offset", LibraryQuery(offset=5050, count="none")),
        ("newest, page 101 by cursor", LibraryQuery(offset=5000, cursor=DEEP, count="none")),
        ("all sessions, exact count", LibraryQuery(limit=1, count="exact")),
        ("family + recording, exact count", LibraryQuery(device="globex", has_recording=True, limit=1,
                                                         count="exact")),
        ("text 'fuser', exact count", LibraryQuery(q="fuser", limit=1, count="exact")),
        ("text 'ghost', exact count", LibraryQuery(q="ghost", limit=1, count="exact")),
        ("trends 12 weeks", None),
    ]


async def _server_pids(store: TicketStore) -> list[int]:
    """PostgreSQL: the server processes of this database's connections (the pool's, warm after the first run)."""
    if store._engine.dialect.name != "postgresql":
        return []
    async with store._engine.connect() as conn:
        return [int(p) for p in (await conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))).scalars()]


def _server_cpu_ms(pids: list[int]) -> float:
    """CPU time (user + system) the given server processes have used, from /proc (10 ms ticks)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * 1000 / os.sysconf("SC_CLK_TCK")


async def time_queries(store: TicketStore, runs: int) -> list[tuple[str, float, float, float, int, float | None]]:
    """(name, wall p50 ms, wall p95 ms, cpu p95 ms, rows matched, PostgreSQL server cpu p95 ms) per query."""
    results = []
    for name, query in queries():
        if query is not None and query.cursor == DEEP:  # the cursor "Next" gives on the page at this offset
            cursor = (await store.library.search(replace(query, cursor=None))).next_cursor
            query = replace(query, cursor=cursor, offset=0)
        walls, cpus, server_cpus, total = [], [], [], 0
        for run in range(runs + 1):
            pids = await _server_pids(store) if run else []
            server0 = _server_cpu_ms(pids)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            if query is None:
                now = datetime.now(UTC)
                trends = await store.library.trends(since=now - timedelta(weeks=12), until=now)
                total = sum(trends.per_week)
            else:
                page = await store.library.search(query)
                total = page.total if page.total is not None else len(page.items)
            if run:  # the first run warms caches
                walls.append((time.perf_counter() - wall0) * 1000)
                cpus.append((time.process_time() - cpu0) * 1000)
                server_cpus.append(_server_cpu_ms(pids) - server0)
        results.append((name, statistics.median(walls), _p95(walls), _p95(cpus), total,
                        _p95(server_cpus) if store._engine.dialect.name == "postgresql" else None))
    return results


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def run(url: str, data_dir: Path, count: int, runs: int, label: str) -> None:
    store = TicketStore(url, data_dir)
    await store.migrate()
    try:
        async with store._engine.connect() as conn:
            present = int((await conn.execute(select(func.count()).select_from(sessions))).scalar_one())
        if present:  # --sqlite-file of an earlier run: the same synthetic data, not filled again
            print(f"\n{label}: reusing {present} sessions already in the database", flush=True)
        else:
            filled = await fill(store, count)
            print(f"\n{label}: {count} sessions inserted in {filled:.0f} s", flush=True)
        async with store._engine.begin() as conn:  # statistics for the planner, as autovacuum / PRAGMA optimize keep
            await conn.exec_driver_sql("ANALYZE")
        print(f"{'query':38} {'matched':>8} {'p50 ms':>8} {'p95 ms':>8} {'cpu p95 ms':>10} {'server cpu p95 ms':>17}")
        for name, p50, p95, cpu, total, server in await time_queries(store, runs):
            print(f"{name:38} {total:8d} {p50:8.1f} {p95:8.1f} {cpu:10.1f} "
                  f"{'' if server is None else f'{server:.0f}':>17}", flush=True)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sqlite-file", type=Path, help="keep the SQLite database here (filled once, reused after)")
    parser.add_argument("--postgres-url", help="use this PostgreSQL database (filled once, reused after) instead of a "
                                               "throwaway cluster")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lensdesk-library-") as tmp:
        if args.db in ("sqlite", "both"):
            sqlite_file = args.sqlite_file.resolve() if args.sqlite_file else Path(tmp) / "library.db"
            asyncio.run(run(f"sqlite+aiosqlite:///{sqlite_file}", Path(tmp), args.sessions, args.runs, "SQLite"))
        if args.db in ("postgres", "both"):
            if args.postgres_url:
                asyncio.run(run(args.postgres_url, Path(tmp), args.sessions, args.runs, "PostgreSQL 15"))
                return
            from testkit.servers import running_postgres

            with running_postgres() as url:
                asyncio.run(run(url, Path(tmp), args.sessions, args.runs, "PostgreSQL 15"))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
