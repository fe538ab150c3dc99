"""Migrations run from an empty database, are idempotent, and can be rolled back."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tickets import migrate
from tickets.schema import SEARCH_TABLES, described_here, metadata
from tickets.store import TicketStore


async def _tables(store: TicketStore) -> set[str]:
    async with store._engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_migrate_from_empty_creates_every_table_and_stamps_head(tmp_path: Path) -> None:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}", tmp_path)
    assert await _tables(store) == set()
    await store.migrate()
    await store.migrate()  # second run is a no-op
    assert await _tables(store) == set(metadata.tables) | {"alembic_version"} | SEARCH_TABLES
    async with store._engine.connect() as conn:
        version = (await conn.execute(text("select version_num from alembic_version"))).scalar_one()
        journal = (await conn.execute(text("pragma journal_mode"))).scalar_one()
    assert version == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert journal == "wal"
    await store.close()


async def test_downgrade_to_base_then_upgrade_again(tmp_path: Path) -> None:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path)
    await store.migrate()
    await migrate.downgrade(store._engine, "base")
    assert await _tables(store) == {"alembic_version"}
    await store.migrate()
    ticket = await store.create_ticket("after re-upgrade", created_by="t1")
    assert (await store.get_ticket(ticket.id)) == ticket
    await store.close()


def test_migrations_folder_ships_inside_the_package() -> None:
    assert (migrate.MIGRATIONS_DIR / "env.py").is_file()
    assert any(migrate.MIGRATIONS_DIR.joinpath("versions").glob("0001_*.py"))


async def test_migrations_match_the_table_definitions(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'y.db'}", tmp_path)
    await store.migrate()
    async with store._engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c, opts={"include_name": described_here}), metadata))
    assert diff == []  # a schema.py change without a new migration fails here
    await store.close()
