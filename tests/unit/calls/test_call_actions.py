"""CallManager carries out the room's actions over in-memory client links: no server, no socket, no media."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from calls.analysis_pool import AnalysisPool
from calls.live import CallOptions
from calls.manager import CallManager
from diagnostics.config import DiagnosticsConfig
from signaling import messages as m
from signaling.tokens import Claims, Role
from tickets.store import TicketStore


class Link:
    """A client link that keeps what the call sent it."""

    def __init__(self) -> None:
        self.sent: list[m.ServerMessage] = []
        self.closed: str | None = None

    async def send(self, message: m.ServerMessage) -> None:
        self.sent.append(message)

    async def close(self, reason: str) -> None:
        self.closed = reason

    def types(self) -> list[str]:
        return [msg.type for msg in self.sent]


def claims(role: Role, subject: str, session_id: str | None = None) -> Claims:
    return Claims(role=role, subject=subject, name=subject.title(), session_id=session_id,
                  expires_at=time.time() + 600)


@pytest.fixture
async def call(tmp_path: Path) -> AsyncIterator[tuple[CallManager, TicketStore, str]]:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    await store.migrate()
    ticket = await store.create_ticket("Printer", created_by="tess")
    session = await store.create_session(ticket.id, created_by="tess")
    manager = CallManager(store, CallOptions(recordings_dir=tmp_path / "rec", recording_enabled=False),
                          AnalysisPool(DiagnosticsConfig(), workers=1))  # no worker starts without video
    yield manager, store, session.id
    await manager.close()
    await store.close()


async def test_join_video_request_leave_and_end(call: tuple[CallManager, TicketStore, str]) -> None:
    manager, store, session_id = call
    tech, customer = Link(), Link()
    tid = await manager.join(tech, claims(Role.TECHNICIAN, "tess"), m.Join(token="t", session_id=session_id))
    cid = await manager.join(customer, claims(Role.CUSTOMER, "carl", session_id),
                             m.Join(token="c", session_id=session_id, name="Carl"))
    assert manager.is_live(session_id) and tech.types()[0] == "welcome" and customer.types()[0] == "welcome"
    joined = [msg for msg in tech.sent if isinstance(msg, m.ParticipantJoined)]
    assert [(j.participant.id, j.participant.role, j.participant.name) for j in joined] == [(cid, "customer", "Carl")]

    await manager.handle(session_id, tid, m.VideoRequest())
    assert "video_requested" in customer.types()
    with pytest.raises(m.ProtocolError) as refused:
        await manager.handle(session_id, "t-stranger", m.VideoRequest())
    assert refused.value.code == "not_joined"

    await manager.leave(session_id, cid)
    left = [msg for msg in tech.sent if isinstance(msg, m.ParticipantLeft)]
    assert [(x.participant_id, x.role) for x in left] == [(cid, "customer")]
    stored = await store.get_participant(session_id, cid)
    assert stored is not None and stored.role == "customer" and stored.name == "Carl"

    await manager.end_session(session_id, actor="tess")
    assert tech.closed == "ended" and not manager.is_live(session_id)
    ended = await store.get_session(session_id)
    assert ended is not None and ended.status == "ended"
    with pytest.raises(m.ProtocolError) as late:
        await manager.join(Link(), claims(Role.TECHNICIAN, "tess"), m.Join(token="t", session_id=session_id))
    assert late.value.code == "session_ended"
