"""The same store on PostgreSQL (asyncpg): the SQL stays portable. A throwaway cluster per test module."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from testkit.servers import free_port
from tests.integration.tickets.receiver import WebhookReceiver
from tests.unit.tickets.factories import new_finding
from tickets import migrate
from tickets.connectors.webhook import WebhookConnector
from tickets.outbox import OutboxWorker
from tickets.store import TicketStore

pytestmark = pytest.mark.slow
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root; drop to the postgres account when we are root
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_postgres(args), capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 server binaries not found in {PG_BIN} (Debian package postgresql-15)")
    # not under pytest's tmp dir: that one is private to root and the postgres account must enter it
    root = Path(tempfile.mkdtemp(prefix="lensdesk-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    _run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "lensdesk", "-A", "trust", "--no-sync"])
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "pg.log"), "start"])
    try:
        _run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "lensdesk", "lensdesk"])
        yield f"postgresql+asyncpg://lensdesk@127.0.0.1:{port}/lensdesk"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def pg_store(pg_url: str, tmp_path: Path) -> AsyncIterator[TicketStore]:
    store = TicketStore(pg_url, tmp_path)
    await migrate.downgrade(store._engine, "base")  # every test starts from an empty schema
    await store.migrate()
    yield store
    await store.close()


async def test_store_round_trip_on_postgres(pg_store: TicketStore) -> None:
    store = pg_store
    made = [await store.create_ticket(f"Ticket {i}", customer="ACME 100%" if i == 1 else "Globex",
                                      external_ref=f"rt:{i}", created_by="tech") for i in range(5)]
    seen, cursor = [], None
    while True:
        page = await store.list_tickets(limit=2, cursor=cursor)
        seen += [t.id for t in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == [t.id for t in reversed(made)]
    assert [t.id for t in (await store.list_tickets(q="acme 100%")).items] == [made[1].id]
    assert (await store.list_tickets(q="acme 1_0")).items == []
    assert {t.id for t in (await store.list_tickets(created_from=made[3].created_at)).items} == {made[3].id, made[4].id}

    session = await store.create_session(made[0].id, created_by="tech")
    await store.add_participant(session.id, participant_id="c1", role="customer", name="Ann")
    finding = await store.attach_finding(session.id, new_finding("E12"))
    assert (await store.get_finding(finding.id)) == finding
    assert [f.id for f in (await store.search_findings("e12")).items] == [finding.id]
    await store.dismiss_finding(finding.id, actor="tech", reason="glare")
    assert (await store.search_findings("E12")).items == []
    recording = await store.add_recording(session.id, "/r.webm")
    await store.finalise_recording(recording.id, duration_s=3.5, size_bytes=99, poster_path=None)
    await asyncio.gather(*(store.end_session(session.id, actor="tech") for _ in range(3)))
    counts = await store.outbox.counts()
    assert counts == {"pending": 3}
    timeline = await store.timeline(made[0].id)
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    assert {e.kind for e in timeline} == {"session", "finding", "recording", "audit"}


async def test_outbox_delivery_on_postgres(pg_store: TicketStore,
                                           start_receiver: Callable[..., Awaitable[WebhookReceiver]]) -> None:
    receiver = await start_receiver(fail_first=1)
    hook = WebhookConnector(receiver.url, receiver.secret)
    ticket = await pg_store.create_ticket("t", created_by="tech")
    session = await pg_store.create_session(ticket.id, created_by="tech")
    await pg_store.attach_finding(session.id, new_finding())
    worker = OutboxWorker(pg_store, [hook], max_attempts=3, base_delay_s=0.0)
    await worker.drain_once()
    await worker.drain_once()
    [event] = await pg_store.outbox.list()
    assert event.status == "delivered" and event.attempts == 2 and len(receiver.processed) == 1
    await hook.aclose()


async def test_migrated_postgres_schema_matches_the_table_definitions(pg_store: TicketStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tickets.schema import described_here, metadata

    async with pg_store._engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c, opts={"include_name": described_here}), metadata))
    assert diff == []


async def test_catalog_edits_on_postgres(pg_store: TicketStore, pg_url: str, tmp_path: Path) -> None:
    # a second store is a second node: concurrent saves must still get distinct, increasing versions
    other = TicketStore(pg_url, tmp_path / "other")
    try:
        common = {"vendor": "Acme", "device": "washer", "cause": "c", "remedy": "r", "severity": "info",
                  "deleted": False, "action": "created"}
        before = await pg_store.catalog.latest_version()
        saved = await asyncio.gather(*(store.catalog.save(family="pg-washer", code=f"E{i}", title=f"t{i}",
                                                          actor=f"tech-{i}", **common)  # type: ignore[arg-type]
                                       for i, store in enumerate([pg_store, other] * 4)))
        assert sorted(r.version for r in saved) == list(range(before + 1, before + 9))
        assert [r.code for r in await other.catalog.since(before)] == [r.code for r in
                                                                        sorted(saved, key=lambda r: r.version)]
        ticket = await pg_store.create_ticket("pg", created_by="t")
        session = await pg_store.create_session(ticket.id, created_by="t")
        first = await pg_store.attach_finding(session.id, new_finding("PG-1", seed=1, known=False, family="g"))
        last = await pg_store.attach_finding(session.id, new_finding("PG-1", seed=2, known=False, family="g"))
        items, total = await other.catalog.uncatalogued(lambda code: code != "PG-1")
        assert total == 1 and items[0].count == 2 and items[0].sessions == 1
        assert (items[0].first_seen, items[0].last_seen, items[0].snapshot_id) == (
            first.created_at, last.created_at, last.snapshot_id)
    finally:
        await other.close()


async def test_grouped_join_rows_and_a_stale_pooled_connection_on_postgres(pg_store: TicketStore, pg_url: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    from tickets import engine

    ticket = await pg_store.create_ticket("t", created_by="tech")
    session = await pg_store.create_session(ticket.id, created_by="tech")
    await asyncio.gather(*(pg_store.add_participant(session.id, participant_id=f"p-{i}", role="technician",
                                                    name="T", ticket_id=ticket.id) for i in range(20)))
    await pg_store.add_participant(session.id, participant_id="p-1", role="technician", name="Renamed",
                                   ticket_id=ticket.id)
    rows = {p.participant_id: p.name for p in await pg_store.list_participants(session.id)}
    assert len(rows) == 20 and rows["p-1"] == "Renamed"
    # PostgreSQL drops every connection of the store's pool (as a restart does): a connection idle longer than
    # PING_IDLE_S is checked before use and replaced, so the next operation works
    monkeypatch.setattr(engine, "PING_IDLE_S", 0.0)
    other = TicketStore(pg_url, Path(tempfile.mkdtemp()))
    async with other._engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE pid <> pg_backend_pid() AND datname = current_database()"))
    await other.close()
    assert (await pg_store.get_session(session.id)) is not None
