"""Technicians' catalog edits (versioned, audited, tombstones) and the uncatalogued-codes view of the findings."""

from __future__ import annotations

import asyncio

from tests.unit.tickets.factories import new_finding
from tickets.store import TicketStore


async def _save(store: TicketStore, code: str, title: str = "Drain pump", *, deleted: bool = False,
                action: str = "created", actor: str = "tech-1"):
    return await store.catalog.save(family="acme-washer", code=code, vendor="Acme", device="washer", title=title,
                                    cause="Pump blocked", remedy="Clean the filter", severity="error",
                                    deleted=deleted, action=action, actor=actor)  # type: ignore[arg-type]


async def test_edits_are_versioned_upserted_and_fetched_by_version(store: TicketStore):
    assert await store.catalog.latest_version() == 0 and await store.catalog.since(0) == []
    first = await _save(store, "5E")
    second = await _save(store, "4E", "Water supply")
    edited = await _save(store, "5E", "Drain blocked", action="updated")
    assert (first.version, second.version, edited.version) == (1, 2, 3)
    assert await store.catalog.latest_version() == 3
    rows = await store.catalog.since(0)
    assert [(r.code, r.title, r.version) for r in rows] == [("4E", "Water supply", 2), ("5E", "Drain blocked", 3)]
    assert [r.code for r in await store.catalog.since(2)] == ["5E"]
    tomb = await _save(store, "4E", deleted=True, action="deleted", actor="tech-2")
    assert tomb.deleted and tomb.version == 4 and tomb.updated_by == "tech-2"
    assert [(r.code, r.deleted) for r in await store.catalog.since(3)] == [("4E", True)]


async def test_every_edit_is_audited(store: TicketStore):
    await _save(store, "5E")
    await _save(store, "5E", deleted=True, action="deleted", actor="tech-2")
    lines = [a for a in await store.list_audit() if a.action.startswith("catalog_")]
    assert [(a.action, a.actor, a.target) for a in lines] == [
        ("catalog_created", "tech-1", "catalog:acme-washer/5E"), ("catalog_deleted", "tech-2", "catalog:acme-washer/5E")]
    assert lines[0].detail["title"] == "Drain pump" and lines[1].detail["version"] == 2


async def test_concurrent_saves_get_distinct_versions(store: TicketStore):
    saved = await asyncio.gather(*(_save(store, f"E{i}") for i in range(6)))
    assert sorted(r.version for r in saved) == [1, 2, 3, 4, 5, 6]


async def test_uncatalogued_codes_are_counted_with_sessions_times_and_latest_snapshot(store: TicketStore):
    ticket = await store.create_ticket("t", created_by="tech")
    s1 = await store.create_session(ticket.id, created_by="tech")
    s2 = await store.create_session(ticket.id, created_by="tech")
    a = await store.attach_finding(s1.id, new_finding("0x8047A2C6", seed=1, known=False, family="windows"))
    b = await store.attach_finding(s2.id, new_finding("0x8047A2C6", seed=2, known=False, family="windows"))
    await store.attach_finding(s2.id, new_finding("E-777", seed=3, known=False, family=""))
    await store.attach_finding(s1.id, new_finding("E-204", seed=4))  # catalogued
    wrong = await store.attach_finding(s1.id, new_finding("X-1", seed=5, known=False))
    await store.dismiss_finding(wrong.id, actor="tech", reason="misread")  # dismissed: not a code
    await store.attach_finding(s1.id, new_finding("M-9", seed=6, known=False, source="manual"))  # manual: not counted
    catalogued = {"E-204"}.__contains__
    items, total = await store.catalog.uncatalogued(catalogued)
    assert total == 2
    top, other = items
    assert (top.code, top.count, top.sessions, top.family_guess) == ("0x8047A2C6", 2, 2, "windows")
    assert top.snapshot_id == b.snapshot_id != a.snapshot_id  # the newest finding's snapshot
    assert top.first_seen == a.created_at and top.last_seen == b.created_at
    assert (other.code, other.count, other.family_guess) == ("E-777", 1, "")
    recent, _ = await store.catalog.uncatalogued(catalogued, sort="recent")
    assert [i.code for i in recent] == ["E-777", "0x8047A2C6"]
    page, total = await store.catalog.uncatalogued(catalogued, limit=1, offset=1)
    assert [i.code for i in page] == ["E-777"] and total == 2
    # once catalogued, a code leaves the list
    items, total = await store.catalog.uncatalogued({"E-204", "0x8047A2C6"}.__contains__)
    assert [i.code for i in items] == ["E-777"] and total == 1
