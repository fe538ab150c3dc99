"""Labelled examples: dismissed findings and coded manual snapshots kept as image + truth."""

from __future__ import annotations

import stat

import pytest

from tests.unit.tickets.factories import make_jpeg, new_finding
from tickets.errors import ConflictError, InvalidInputError
from tickets.store import TicketStore


async def _session(store: TicketStore) -> str:
    ticket = await store.create_ticket("Printer", created_by="t1")
    return (await store.create_session(ticket.id, created_by="t1")).id


def _files(store: TicketStore) -> list[str]:
    return sorted(name for name, _ in store.examples.list_files())


async def test_a_dismissed_finding_keeps_its_image_as_a_negative_example(store: TicketStore) -> None:
    session_id = await _session(store)
    finding = await store.attach_finding(session_id, new_finding("E12", seed=4))
    await store.dismiss_finding(finding.id, actor="t1", reason="reflection")
    [example] = await store.all_examples()
    assert (example.source, example.truth, example.not_code) == ("dismissed", "", "E12")
    assert (example.finding_id, example.session_id, example.created_by) == (finding.id, session_id, "t1")
    found = await store.example_image(example.id)
    assert found is not None
    path = found[1]
    assert path.read_bytes() == make_jpeg(4)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent == store.data_dir / "examples"  # apart from the snapshots, which may be swept


async def test_the_correct_code_typed_on_dismissal_is_the_truth(store: TicketStore) -> None:
    session_id = await _session(store)
    finding = await store.attach_finding(session_id, new_finding("E-284"))
    await store.dismiss_finding(finding.id, actor="t1", reason="misread", correct_code=" E-204 ")
    [example] = await store.all_examples()
    assert (example.truth, example.not_code) == ("E-204", "E-284")
    [audit] = [a for a in await store.list_audit(ticket_id=finding.ticket_id) if a.action == "dismissed"]
    assert audit.detail == {"code": "E-284", "reason": "misread", "correct_code": "E-204"}


@pytest.mark.parametrize("correct", ["e12", "X" * 101])
async def test_a_bad_correct_code_is_refused_and_nothing_is_kept(store: TicketStore, correct: str) -> None:
    finding = await store.attach_finding(await _session(store), new_finding("E12"))
    with pytest.raises(InvalidInputError, match="correct_code"):
        await store.dismiss_finding(finding.id, actor="t1", reason="misread", correct_code=correct)
    assert await store.all_examples() == [] and _files(store) == []
    assert not (await store.get_finding(finding.id)).dismissed


async def test_a_second_dismissal_is_a_conflict_and_adds_no_example(store: TicketStore) -> None:
    finding = await store.attach_finding(await _session(store), new_finding("E12"))
    await store.dismiss_finding(finding.id, actor="t1", reason="misread")
    with pytest.raises(ConflictError):
        await store.dismiss_finding(finding.id, actor="t2", reason="again", correct_code="E13")
    assert len(await store.all_examples()) == 1 and len(_files(store)) == 1


async def test_a_manual_snapshot_with_a_typed_code_is_a_positive_example(store: TicketStore) -> None:
    session_id = await _session(store)
    jpeg = make_jpeg(7)
    manual = new_finding("SC542", source="manual", snapshot_jpeg=jpeg, actor="t1", note="fuser")
    await store.attach_finding(session_id, manual)
    await store.attach_finding(session_id, new_finding("", source="manual", snapshot_jpeg=make_jpeg(8)))  # no code
    [example] = await store.all_examples()
    assert (example.source, example.truth, example.not_code, example.created_by) == ("manual", "SC542", "", "t1")
    found = await store.example_image(example.id)
    assert found is not None and found[1].read_bytes() == jpeg


async def test_dismissing_a_coded_manual_snapshot_replaces_its_label(store: TicketStore) -> None:
    finding = await store.attach_finding(await _session(store), new_finding("SC524", source="manual"))
    [old] = await store.all_examples()
    await store.dismiss_finding(finding.id, actor="t1", reason="typo", correct_code="SC542")
    [example] = await store.all_examples()
    assert (example.source, example.truth, example.not_code) == ("dismissed", "SC542", "SC524")
    assert await store.example_image(old.id) is None and _files(store) == [example.image_path]


async def test_a_finding_whose_snapshot_is_lost_can_still_be_dismissed(store: TicketStore) -> None:
    finding = await store.attach_finding(await _session(store), new_finding("E12"))
    store.snapshots.path_of(finding.snapshot_path).unlink()
    dismissed = await store.dismiss_finding(finding.id, actor="t1", reason="misread")
    assert dismissed.dismissed and await store.all_examples() == []


async def test_examples_page_newest_first(store: TicketStore) -> None:
    session_id = await _session(store)
    ids = []
    for i in range(3):
        finding = await store.attach_finding(session_id, new_finding(f"E1{i}", seed=i))
        await store.dismiss_finding(finding.id, actor="t1", reason="misread")
        ids.append(finding.id)
    first = await store.list_examples(limit=2)
    second = await store.list_examples(limit=2, cursor=first.next_cursor)
    assert [e.finding_id for e in first.items + second.items] == ids[::-1]
    assert second.next_cursor is None
    with pytest.raises(InvalidInputError):
        await store.list_examples(cursor="made-up")
