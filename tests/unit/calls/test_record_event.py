"""CallManager.record_event (the call-side way onto the record) and the chat history a fresh call is seeded with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from calls.analysis_pool import AnalysisPool
from calls.chat_history import chat_history
from calls.live import CallOptions
from calls.manager import CallManager
from diagnostics.config import DiagnosticsConfig
from signaling import messages as m
from signaling import room as r
from tickets.store import TicketStore


@pytest.fixture
async def manager(tmp_path: Path) -> AsyncIterator[tuple[CallManager, TicketStore, str]]:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    await store.migrate()
    ticket = await store.create_ticket("Boiler", created_by="tech-1")
    session = await store.create_session(ticket.id, created_by="tech-1")
    await store.add_participant(session.id, participant_id="c-1", role="customer", name="Ann")
    pool = AnalysisPool(DiagnosticsConfig(), workers=1)  # its worker processes start on first use only
    yield CallManager(store, CallOptions(recordings_dir=tmp_path / "rec", recording_enabled=False), pool), store, session.id
    await store.close()


async def test_actors_are_named_from_the_call_or_the_store(manager: tuple[CallManager, TicketStore, str]) -> None:
    calls, store, session_id = manager
    said = await calls.record_event(session_id, "chat", {"message_id": 1, "text": "SN-4411"}, "c-1")
    assert (said.actor_role, said.actor, said.actor_name, said.offset_ms) == ("customer", "c-1", "Ann", None)
    moved = await calls.record_event(session_id, "annotation_update", {"mark_id": "m1", "points": [], "visible": False},
                                     r.SERVER)
    assert (moved.actor_role, moved.actor_name) == ("server", "lensdesk")
    with pytest.raises(m.ProtocolError) as err:
        await calls.record_event(session_id, "chat", {"message_id": 2, "text": "hi"}, "c-nobody")
    assert err.value.code == "not_joined"
    with pytest.raises(m.ProtocolError) as err:
        await calls.record_event(session_id, "annotation", {"mark_id": "m1", "shape": "box", "points": [[2, 2]]}, "c-1")
    assert err.value.code == "invalid_event" and "points" in err.value.message
    await store.end_session(session_id, actor="tech-1")
    with pytest.raises(m.ProtocolError) as err:
        await calls.record_event(session_id, "chat", {"message_id": 3, "text": "late"}, "c-1")
    assert err.value.code == "session_ended"
    assert [e.kind for e in await store.session_events.for_session(session_id)] == ["chat", "annotation_update"]


async def test_chat_history_carries_each_messages_furthest_state(manager: tuple[CallManager, TicketStore, str]) -> None:
    calls, store, session_id = manager
    for payload, actor in [({"message_id": 1, "text": "Hello"}, "c-1"), ({"message_id": 2, "text": "Again"}, "c-1"),
                           ({"message_id": 1, "state": "read"}, r.SERVER)]:
        await calls.record_event(session_id, "chat_status" if "state" in payload else "chat", payload, actor)
    history = chat_history(await store.session_events.for_session(session_id))
    assert [(e.message_id, e.role, e.name, e.text, e.state) for e in history] == [
        (1, "customer", "Ann", "Hello", "read"), (2, "customer", "Ann", "Again", "sent")]
    room = r.Room(session_id)
    room.chat.seed(history)
    assert room.chat.post("t-1", "technician", "Tess", "next", 0.0).message_id == 3
