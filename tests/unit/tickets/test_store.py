"""TicketStore against a real SQLite file: tickets, sessions, findings, recordings, audit, outbox rows."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from tests.unit.tickets.factories import make_jpeg, new_finding
from tickets import events
from tickets.errors import ConflictError, InvalidInputError, NotFoundError
from tickets.schema import utcnow
from tickets.store import TicketStore


async def test_create_and_get_ticket(store: TicketStore) -> None:
    ticket = await store.create_ticket("  Printer shows E12  ", customer="ACME", external_ref="rt:7",
                                       created_by="tech-1")
    assert ticket.title == "Printer shows E12"
    assert ticket.status == "open"
    assert await store.get_ticket(ticket.id) == ticket
    assert await store.get_ticket("nope") is None
    audit = await store.list_audit(ticket_id=ticket.id)
    assert [(a.actor, a.action) for a in audit] == [("tech-1", "created")]


@pytest.mark.parametrize("title", ["", "   ", "x" * 301])
async def test_bad_titles_are_rejected_and_nothing_is_stored(store: TicketStore, title: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        await store.create_ticket(title, created_by="t")
    assert err.value.field == "title"
    assert (await store.list_tickets()).items == []


async def test_list_filters_and_cursor_pagination(store: TicketStore) -> None:
    made = [await store.create_ticket(f"Ticket {i}", customer="Globex" if i % 2 else "ACME",
                                      created_by="t") for i in range(7)]
    await store.set_ticket_status(made[0].id, "closed", actor="t")
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.list_tickets(limit=3, cursor=cursor)
        seen += [t.id for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [t.id for t in reversed(made)]  # newest first, no repeats, none missing
    assert {t.id for t in (await store.list_tickets(status="closed")).items} == {made[0].id}
    assert len((await store.list_tickets(status="open")).items) == 6
    assert {t.customer for t in (await store.list_tickets(q="globex")).items} == {"Globex"}
    assert [t.id for t in (await store.list_tickets(q=made[3].id)).items] == [made[3].id]
    assert (await store.list_tickets(q="100%")).items == []  # LIKE wildcards are literal
    later = (await store.list_tickets(created_from=made[4].created_at)).items
    assert {t.id for t in later} == {t.id for t in made[4:]}
    earlier = (await store.list_tickets(created_to=made[2].created_at)).items
    assert {t.id for t in earlier} == {t.id for t in made[:2]}
    assert (await store.list_tickets(created_from=utcnow() + timedelta(days=1))).items == []


@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": 1000}, {"cursor": "garbage!"}, {"status": "weird"}])
async def test_list_rejects_bad_parameters(store: TicketStore, kwargs: dict) -> None:
    with pytest.raises(InvalidInputError):
        await store.list_tickets(**kwargs)


async def test_session_lifecycle_ends_once_with_one_event(store: TicketStore) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    assert session.status == "active" and session.ended_at is None
    await store.add_participant(session.id, participant_id="cust-1", role="customer", name="Ann")
    await store.add_participant(session.id, participant_id="cust-1", role="customer", name="Ann B")
    assert [(p.participant_id, p.name) for p in await store.list_participants(session.id)] == [("cust-1", "Ann B")]
    await asyncio.gather(*(store.end_session(session.id, actor="tech") for _ in range(3)))
    ended = await store.get_session(session.id)
    assert ended is not None and ended.status == "ended" and ended.ended_at is not None
    outbox = await store.outbox.list(event_type=events.SESSION_ENDED)
    assert len(outbox) == 1
    assert outbox[0].payload["session"]["id"] == session.id
    assert outbox[0].idempotency_key == f"session.ended:{session.id}"
    actions = [a.action for a in await store.list_audit(session_id=session.id)]
    assert actions.count("ended") == 1 and actions.count("joined") == 2


async def test_unknown_ids_raise_not_found(store: TicketStore) -> None:
    with pytest.raises(NotFoundError):
        await store.create_session("missing", created_by="t")
    with pytest.raises(NotFoundError):
        await store.end_session("missing", actor="t")
    with pytest.raises(NotFoundError):
        await store.add_recording("missing", "/r.webm")
    with pytest.raises(NotFoundError):
        await store.finalise_recording("missing", duration_s=1, size_bytes=1, poster_path=None)
    with pytest.raises(NotFoundError):
        await store.dismiss_finding("missing", actor="t", reason="x")
    with pytest.raises(NotFoundError):
        await store.timeline("missing")


async def test_attach_finding_writes_file_row_audit_and_event(store: TicketStore) -> None:
    ticket = await store.create_ticket("t", external_ref="rt:1", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    new = new_finding("E12")
    finding = await store.attach_finding(session.id, new)
    assert finding.ticket_id == ticket.id and finding.code == "E12" and finding.offset_s == 8.25
    assert await store.get_finding(finding.id) == finding
    found = await store.find_snapshot(finding.snapshot_id)
    assert found is not None
    assert found[1].read_bytes() == new.snapshot_jpeg
    assert found[1].parent == store.data_dir / "snapshots"
    assert len(finding.snapshot_id) >= 32  # 192 random bits, url-safe
    [event] = await store.outbox.list(event_type=events.FINDING_ATTACHED)
    assert event.status == "pending"
    assert event.payload["finding"]["snapshot_id"] == finding.snapshot_id
    assert event.payload["ticket"]["external_ref"] == "rt:1"
    assert "snapshot_path" not in event.payload["finding"]  # file paths stay inside the server


@pytest.mark.parametrize(("overrides", "field"), [
    ({"snapshot_jpeg": b"GIF89a not a jpeg"}, "snapshot"),
    ({"snapshot_jpeg": b""}, "snapshot"),
    ({"confidence": 1.5}, "confidence"),
    ({"offset_s": -1.0}, "offset_s"),
    ({"code": "  "}, "code"),
    ({"source": "guess"}, "source"),
])
async def test_bad_findings_are_rejected_and_leave_nothing(store: TicketStore, overrides: dict, field: str) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    with pytest.raises(InvalidInputError) as err:
        await store.attach_finding(session.id, new_finding(**overrides))
    assert err.value.field == field
    assert await store.list_findings(ticket.id) == []
    assert await store.outbox.list() == []
    snapshots = store.data_dir / "snapshots"
    assert not snapshots.exists() or list(snapshots.iterdir()) == []


async def test_failed_commit_removes_the_snapshot_file(store: TicketStore, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")

    def broken_payload(*_args: object) -> dict:
        raise RuntimeError("database went away mid-transaction")

    monkeypatch.setattr(events, "finding_attached", broken_payload)
    with pytest.raises(RuntimeError):
        await store.attach_finding(session.id, new_finding())
    assert await store.list_findings(ticket.id) == []
    assert await store.outbox.list() == []
    assert list((store.data_dir / "snapshots").iterdir()) == []


async def test_manual_snapshot_with_note_and_png(store: TicketStore) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    finding = await store.attach_finding(session.id, new_finding(
        code="", source="manual", note="Fan is loose", actor="tech-9", snapshot_jpeg=png))
    assert finding.snapshot_type == "image/png" and finding.snapshot_path.endswith(".png")
    assert finding.note == "Fan is loose" and finding.created_by == "tech-9"


async def test_search_dismiss_and_list(store: TicketStore) -> None:
    t1 = await store.create_ticket("one", created_by="tech")
    t2 = await store.create_ticket("two", created_by="tech")
    s1 = await store.create_session(t1.id, created_by="tech")
    s2 = await store.create_session(t2.id, created_by="tech")
    f1 = await store.attach_finding(s1.id, new_finding("E12", seed=1))
    f2 = await store.attach_finding(s2.id, new_finding("e12", seed=2))
    await store.attach_finding(s2.id, new_finding("F03", seed=3))
    hits = await store.search_findings("E12")
    assert [f.id for f in hits.items] == [f2.id, f1.id]
    page1 = await store.search_findings("E12", limit=1)
    page2 = await store.search_findings("E12", limit=1, cursor=page1.next_cursor)
    assert [f.id for f in page1.items + page2.items] == [f2.id, f1.id] and page2.next_cursor is None

    dismissed = await store.dismiss_finding(f2.id, actor="tech", reason="glare, not an error")
    assert dismissed.dismissed and dismissed.dismissed_by == "tech"
    assert dismissed.dismissed_reason == "glare, not an error"
    with pytest.raises(ConflictError):
        await store.dismiss_finding(f2.id, actor="tech", reason="again")
    with pytest.raises(InvalidInputError):
        await store.dismiss_finding(f1.id, actor="tech", reason=" ")
    assert [f.id for f in (await store.search_findings("E12")).items] == [f1.id]
    assert len((await store.search_findings("E12", include_dismissed=True)).items) == 2
    assert [f.code for f in await store.list_findings(t2.id, include_dismissed=False)] == ["F03"]
    audit = await store.list_audit(ticket_id=t2.id)
    assert audit[-1].action == "dismissed" and audit[-1].detail["reason"] == "glare, not an error"


async def test_recording_finalise_emits_ready_once(store: TicketStore) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    rec = await store.add_recording(session.id, "/data/recordings/x.webm")
    assert rec.status == "recording"
    with pytest.raises(InvalidInputError):
        await store.finalise_recording(rec.id, duration_s=1, size_bytes=1, poster_path=None, status="lost")
    await store.finalise_recording(rec.id, duration_s=61.5, size_bytes=1234, poster_path="/p.jpg",
                                   path="/data/recordings/x/final.webm")
    await store.finalise_recording(rec.id, duration_s=99, size_bytes=9, poster_path=None, path="/elsewhere")
    final = await store.get_recording(rec.id)
    assert final is not None and final.status == "finalised" and final.duration_s == 61.5
    assert final.path == "/data/recordings/x/final.webm" and final.poster_path == "/p.jpg"
    [event] = await store.outbox.list(event_type=events.RECORDING_READY)
    assert event.payload["recording"]["size_bytes"] == 1234
    assert [r.id for r in await store.list_recordings(ticket.id)] == [rec.id]


async def test_empty_and_unfinished_recordings(store: TicketStore) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    live = await store.add_recording(session.id, "/data/recordings/s/live")
    crashed = await store.add_recording(session.id, "/data/recordings/s/crashed")
    assert {r.id for r in await store.unfinished_recordings()} == {live.id, crashed.id}
    assert (await store.recording_by_path("/data/recordings/s/live")) == live
    assert await store.recording_by_path("/nowhere") is None
    await store.mark_recording_empty(crashed.id)
    await store.mark_recording_empty(crashed.id)  # idempotent
    closed = await store.get_recording(crashed.id)
    assert closed is not None and closed.status == "empty" and closed.size_bytes == 0
    assert [r.id for r in await store.unfinished_recordings()] == [live.id]
    # nothing to review: no recording.ready event for an empty recording
    assert await store.outbox.list(event_type=events.RECORDING_READY) == []


async def test_timeline_merges_everything_in_time_order(store: TicketStore) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    await store.audit(actor="cust-1", action="escalated", session_id=session.id, detail={"to": "video"})
    await store.attach_finding(session.id, new_finding(snapshot_jpeg=make_jpeg(5)))
    await store.add_recording(session.id, "/r.webm")
    await store.end_session(session.id, actor="tech")
    timeline = await store.timeline(ticket.id)
    times = [e.at for e in timeline]
    assert times == sorted(times)
    kinds = [e.kind for e in timeline]
    assert {"session", "finding", "recording", "audit"} <= set(kinds)
    actions = [e.item.action for e in timeline if e.kind == "audit"]
    assert actions == ["created", "created", "escalated", "attached", "ended"]


async def test_sweep_removes_only_old_unreferenced_snapshot_files(store: TicketStore) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    kept = await store.attach_finding(session.id, new_finding())
    orphan = store.snapshots.write(make_jpeg(3))  # as if the process died before the commit
    assert await store.sweep_orphan_snapshots(min_age_s=3600) == 0  # too young: may still commit
    assert await store.sweep_orphan_snapshots(min_age_s=0) == 1
    names = {p.name for p in (store.data_dir / "snapshots").iterdir()}
    assert names == {kept.snapshot_path} and orphan.file_name not in names


async def test_unfinished_recordings_of_one_node_leave_other_nodes_alone(store: TicketStore) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    mine = await store.add_recording(session.id, "/data/recordings/s", node_id="node-a")
    theirs = await store.add_recording(session.id, "/data/recordings/s", node_id="node-b")
    legacy = await store.add_recording(session.id, "/data/recordings/s")  # written before nodes were named
    assert mine.node_id == "node-a" and (await store.get_recording(theirs.id)).node_id == "node-b"
    assert {r.id for r in await store.unfinished_recordings("node-a")} == {mine.id, legacy.id}
    assert {r.id for r in await store.unfinished_recordings("node-b")} == {theirs.id, legacy.id}
    assert {r.id for r in await store.unfinished_recordings()} == {mine.id, theirs.id, legacy.id}


async def test_joins_at_once_share_commits_and_each_is_committed_or_refused_alone(store: TicketStore) -> None:
    ticket = await store.create_ticket("t", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")

    def join(i: int, session_id: str = session.id) -> Any:
        return store.add_participant(session_id, participant_id=f"p-{i}", role="customer", name=f"N{i}",
                                     ticket_id=ticket.id)

    before = store.participant_rows.commits
    await asyncio.gather(*(join(i) for i in range(30)))
    assert store.participant_rows.commits - before < 30  # grouped, not one transaction each
    # a join of a session that does not exist, in the same burst: refused alone, the others are kept
    results = await asyncio.gather(*(join(i) for i in range(30, 40)), join(99, "no-such-session"),
                                   return_exceptions=True)
    assert all(r is None for r in results[:10]) and isinstance(results[10], Exception)
    assert sorted(p.participant_id for p in await store.list_participants(session.id)) == \
        sorted(f"p-{i}" for i in range(40))
    joined = [a for a in await store.list_audit(session_id=session.id) if a.action == "joined"]
    assert len(joined) == 40 and joined[0].ticket_id == ticket.id
    # a re-join under the same id updates the row
    await store.add_participant(session.id, participant_id="p-3", role="customer", name="Renamed",
                                ticket_id=ticket.id)
    rows = {p.participant_id: p for p in await store.list_participants(session.id)}
    assert len(rows) == 40 and rows["p-3"].name == "Renamed"
