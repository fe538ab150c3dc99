"""The node's catalog = files + technicians' edits; the CLI reads the same from the server's database."""

from __future__ import annotations

from pathlib import Path

from diagnostics.catalog import load_catalog
from diagnostics.config import DEFAULT_CATALOG
from lensdesk.settings import Settings
from nodesync.catalogs import catalog_of_database
from tickets.store import TicketStore


async def test_the_cli_sees_the_edits_stored_in_the_servers_database(tmp_path: Path):
    settings = Settings(data_dir=tmp_path)
    store = TicketStore(settings.resolved_database_url, tmp_path)
    await store.migrate()
    common = {"vendor": "", "device": "", "cause": "c", "remedy": "r", "severity": "info", "actor": "tech-1"}
    await store.catalog.save(family="site", code="S-1", title="first", deleted=False, action="created", **common)
    await store.catalog.save(family="site", code="S-1", title="second", deleted=False, action="updated", **common)
    await store.catalog.save(family="canon", code="E-204", title="gone", deleted=True, action="deleted", **common)
    await store.close()
    files = load_catalog(DEFAULT_CATALOG / "core.yaml")
    catalog = await catalog_of_database(settings.resolved_database_url, settings.data_dir.resolve(), files)
    assert catalog.get("site", "S-1").title == "second" and catalog.get("site", "S-1").origin == "technician"
    assert catalog.get("canon", "E-204") is None and files.get("canon", "E-204") is not None
    assert len(catalog) == len(files)  # one added, one hidden
