"""The catalog REST API over a real SQLite store and the node's live catalog (files + technicians' edits)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from diagnostics.catalog import Catalog, load_catalog
from diagnostics.config import DEFAULT_CATALOG
from nodesync.catalogs import CatalogService
from signaling.bus import InProcessBus
from signaling.tokens import TokenService
from tests.unit.tickets.factories import new_finding
from tests.unit.web.conftest import assert_problem
from tickets.store import TicketStore
from web.auth import TokenAuth
from web.catalog_api import build_catalog_router
from web.problems import install_problem_handlers

CORE = DEFAULT_CATALOG / "core.yaml"
NEW = {"family": "acme-washer", "code": "4E", "vendor": "Acme", "device": "washer", "title": "Water supply",
       "cause": "The tap is closed or the inlet hose is kinked.", "remedy": "Open the tap; straighten the hose.",
       "severity": "warning"}


@dataclass
class CatalogApi:
    client: httpx.AsyncClient
    store: TicketStore
    service: CatalogService
    tokens: TokenService
    tech: dict[str, str]
    shipped: list[tuple[Catalog, int]] = field(default_factory=list)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[CatalogApi]:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'lensdesk.db'}", tmp_path)
    await store.migrate()
    tokens = TokenService("unit-test-secret-unit-test-secret")
    shipped: list[tuple[Catalog, int]] = []
    service = CatalogService(load_catalog(CORE), store.catalog, InProcessBus(),
                             lambda c, v: shipped.append((c, v)))
    await service.start()
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(build_catalog_router(service, TokenAuth(tokens)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        tech = {"Authorization": f"Bearer {tokens.issue_technician('tech-1', 'Tina')}"}
        yield CatalogApi(client, store, service, tokens, tech, shipped)
    await service.stop()
    await store.close()


async def test_list_pages_and_filters(api: CatalogApi):
    first = (await api.client.get("/api/catalog", params={"limit": 10}, headers=api.tech)).json()
    assert first["total"] == 23 and len(first["items"]) == 10 and first["next_offset"] == 10
    codes = [e["code"] for e in first["items"]]
    rest = (await api.client.get("/api/catalog", params={"limit": 200, "offset": 10}, headers=api.tech)).json()
    assert rest["next_offset"] is None and len(rest["items"]) == 13
    assert not set(codes) & {e["code"] for e in rest["items"]}
    windows = (await api.client.get("/api/catalog", params={"family": "windows"}, headers=api.tech)).json()
    assert windows["total"] == 8 and {e["origin"] for e in windows["items"]} == {"core.yaml"}
    found = (await api.client.get("/api/catalog", params={"q": "fusing"}, headers=api.tech)).json()
    assert [e["code"] for e in found["items"]] == ["SC542"]
    families = (await api.client.get("/api/catalog/families", headers=api.tech)).json()
    assert {"family": "windows", "vendor": "Microsoft Windows", "device": "", "codes": 8} in families
    one = await api.client.get("/api/catalog/canon/E-204", headers=api.tech)
    assert one.status_code == 200 and one.json()["title"]
    assert_problem(await api.client.get("/api/catalog/canon/E-999", headers=api.tech), 404)


async def test_auth_technicians_only(api: CatalogApi):
    assert_problem(await api.client.get("/api/catalog"), 401)
    customer = {"Authorization": f"Bearer {api.tokens.issue_customer('s1')}"}
    assert_problem(await api.client.get("/api/catalog", headers=customer), 403)
    assert_problem(await api.client.post("/api/catalog", json=NEW, headers=customer), 403)
    assert_problem(await api.client.delete("/api/catalog/canon/E-204", headers=customer), 403)
    assert api.service.current.get("canon", "E-204") is not None


async def test_create_update_delete_are_live_versioned_and_audited(api: CatalogApi):
    created = await api.client.post("/api/catalog", json=NEW, headers=api.tech)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/catalog/acme-washer/4E"
    body = created.json()
    assert body["origin"] == "technician" and body["updated_by"] == "tech-1" and body["updated_at"]
    catalog, version = api.shipped[-1]  # handed to the analysis workers at once
    assert version == 1 and catalog.lookup("4E").title == "Water supply"
    assert_problem(await api.client.post("/api/catalog", json=NEW, headers=api.tech), 409)
    # an entry from a file can be edited: the edit overrides it
    edit = {k: v for k, v in NEW.items() if k not in ("family", "code")} | {"title": "Our words", "severity": "info"}
    changed = await api.client.put("/api/catalog/canon/E-204", json=edit, headers=api.tech)
    assert changed.status_code == 200 and changed.json()["title"] == "Our words"
    assert api.shipped[-1][1] == 2 and api.shipped[-1][0].lookup("E-204").severity == "info"
    assert_problem(await api.client.put("/api/catalog/canon/E-999", json=edit, headers=api.tech), 404)
    # delete hides the file's entry too
    assert (await api.client.delete("/api/catalog/canon/E-204", headers=api.tech)).status_code == 204
    assert api.shipped[-1][0].lookup("E-204") is None
    assert_problem(await api.client.get("/api/catalog/canon/E-204", headers=api.tech), 404)
    assert_problem(await api.client.delete("/api/catalog/canon/E-204", headers=api.tech), 404)
    # adding it again brings it back
    again = NEW | {"family": "canon", "code": "E-204"}
    assert (await api.client.post("/api/catalog", json=again, headers=api.tech)).status_code == 201
    page = (await api.client.get("/api/catalog", params={"q": "E-204"}, headers=api.tech)).json()
    assert page["version"] == 4 and [e["title"] for e in page["items"]] == ["Water supply"]
    actions = [a.action for a in await api.store.list_audit() if a.action.startswith("catalog_")]
    assert actions == ["catalog_created", "catalog_updated", "catalog_deleted", "catalog_created"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"severity": "doom"}, "severity"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"cause": "x" * 4001}, "cause"),
        ({"code": ""}, "code"),
        ({"code": "E\x01"}, "entry"),
        ({"family": "Acme Washer"}, "family"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_validation_gives_a_problem_naming_the_field(api: CatalogApi, change, field):
    body = assert_problem(await api.client.post("/api/catalog", json=NEW | change, headers=api.tech), 422)
    assert field in body["detail"]
    assert api.shipped == [] and await api.store.catalog.latest_version() == 0


async def test_paging_bounds_are_checked(api: CatalogApi):
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}):
        assert_problem(await api.client.get("/api/catalog", params=params, headers=api.tech), 422)
    assert_problem(await api.client.get("/api/catalog/uncatalogued", params={"sort": "alpha"}, headers=api.tech), 422)


async def test_uncatalogued_codes_leave_the_list_once_catalogued(api: CatalogApi):
    ticket = await api.store.create_ticket("t", created_by="tech")
    session = await api.store.create_session(ticket.id, created_by="tech")
    for seed in range(3):
        await api.store.attach_finding(session.id, new_finding("4E", seed=seed, known=False, family=""))
    await api.store.attach_finding(session.id, new_finding("E-204", seed=9))
    listed = (await api.client.get("/api/catalog/uncatalogued", headers=api.tech)).json()
    assert listed["total"] == 1
    [item] = listed["items"]
    assert (item["code"], item["count"], item["sessions"], item["family_guess"]) == ("4E", 3, 1, None)
    assert item["snapshot_url"].startswith("/api/snapshots/")
    assert (await api.client.post("/api/catalog", json=NEW, headers=api.tech)).status_code == 201
    assert (await api.client.get("/api/catalog/uncatalogued", headers=api.tech)).json() == {
        "items": [], "total": 0, "next_offset": None}


async def test_another_node_learns_of_an_edit_from_the_database(api: CatalogApi, tmp_path: Path):
    # a second service on the same database but its own (in-process) bus: the poll path
    shipped: list[int] = []
    other = CatalogService(load_catalog(CORE), api.store.catalog, InProcessBus(), lambda c, v: shipped.append(v))
    await other.start()
    try:
        assert (await api.client.post("/api/catalog", json=NEW, headers=api.tech)).status_code == 201
        assert other.current.lookup("4E") is None
        assert await other.refresh() is True
        assert other.current.lookup("4E").title == "Water supply" and shipped == [1]
        assert await other.refresh() is False
    finally:
        await other.stop()
