"""RoutedCallService over the in-process bus: two nodes, a room on one, a participant relayed through the other.

The rooms are real `signaling.room.Room` state machines (no media); Redis is exercised by the integration tests
(tests/integration/test_multinode.py and others).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from signaling import messages as m
from signaling import node_messages as nm
from signaling import room as r
from signaling.bus import InProcessBus
from signaling.routing import RoomActionError, RoutedCallService
from signaling.service import ClientLink
from signaling.tokens import Claims, Role, TokenService

TOKENS = TokenService("k" * 40)


class Page:
    """A browser's end of a signaling connection: what it was sent, and whether it was closed."""

    def __init__(self) -> None:
        self.got: list[m.ServerMessage] = []
        self.closed: str | None = None

    async def send(self, message: m.ServerMessage) -> None:
        self.got.append(message)

    async def close(self, reason: str) -> None:
        self.closed = reason

    def of(self, kind: type) -> list[Any]:
        return [g for g in self.got if isinstance(g, kind)]


class RoomCalls:
    """A node's local calls as the call manager runs them, without media: real Rooms, their Sends carried out."""

    _ids = itertools.count(1)

    def __init__(self) -> None:
        self.rooms: dict[str, r.Room] = {}
        self.links: dict[str, ClientLink] = {}

    def is_live(self, session_id: str) -> bool:
        return bool(self.rooms.get(session_id) and self.rooms[session_id].participants)

    async def join(self, link: ClientLink, claims: Claims, join: m.Join) -> str:
        room = self.rooms.setdefault(join.session_id, r.Room(join.session_id, recording=False))
        pid = f"{claims.role.value}-{next(self._ids)}"
        self.links[pid] = link
        actions = room.handle(r.Joined(pid, "customer" if claims.role is Role.CUSTOMER else "technician", join.name))
        refusal = next((a for a in actions if isinstance(a, r.Reject) and a.to == pid), None)
        if refusal is not None:
            raise m.ProtocolError(refusal.code, refusal.message)
        await self._carry_out(actions)
        return pid

    async def handle(self, session_id: str, participant_id: str, message: m.ClientMessage) -> None:
        assert isinstance(message, m.Mute | m.Bye), message  # the room-level messages these tests send
        await self._carry_out(self.rooms[session_id].handle(r.Said(participant_id, message)))

    async def leave(self, session_id: str, participant_id: str) -> None:
        await self._carry_out(self.rooms[session_id].handle(r.Left(participant_id)))

    async def _carry_out(self, actions: list[r.Action]) -> None:
        for action in actions:
            if isinstance(action, r.Send):
                await self.links[action.to].send(action.message)


class RecordingBus(InProcessBus):
    """The in-process bus, keeping what was published (to check what crosses it)."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[str, str]] = []

    async def publish(self, channel: str, data: str) -> int:
        self.published.append((channel, data))
        return await super().publish(channel, data)


async def settle() -> None:
    """Let the owner's inbox work run (each room's events run in a task of their own, in order)."""
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.fixture
async def cluster() -> AsyncIterator[tuple[RecordingBus, list[RoutedCallService], list[RoomCalls]]]:
    bus = RecordingBus()
    calls = [RoomCalls(), RoomCalls()]
    nodes = [RoutedCallService(c, bus, TOKENS, node_id=name) for c, name in zip(calls, ("a", "b"), strict=True)]
    for node in nodes:
        await node.start()
    yield bus, nodes, calls
    for node in nodes:
        await node.stop()


def claims_of(token: str, session_id: str) -> Claims:
    return TOKENS.verify_for_session(token, session_id)


async def test_a_participant_on_another_node_is_relayed_both_ways(cluster):
    bus, (a, b), (calls_a, calls_b) = cluster
    tech, customer = Page(), Page()
    tech_id = await a.join(tech, claims_of(TOKENS.issue_technician("t1", "Tess"), "s1"), m.Join(token="t", session_id="s1", name=""))
    join_token = TOKENS.issue_customer("s1")
    customer_id = await b.join(customer, claims_of(join_token, "s1"), m.Join(token=join_token, session_id="s1", name=""))

    [welcome] = customer.of(m.Welcome)
    assert welcome.participant_id == customer_id and welcome.role == "customer" and not calls_b.rooms
    assert [p.participant.id for p in tech.of(m.ParticipantJoined)] == [customer_id]
    await b.handle("s1", customer_id, m.Mute(muted=True))
    await settle()
    assert [(x.participant_id, x.muted) for x in tech.of(m.ParticipantMuted)] == [(customer_id, True)]
    await a.handle("s1", tech_id, m.Mute(muted=True))
    assert [x.participant_id for x in customer.of(m.ParticipantMuted)] == [tech_id]
    await b.leave("s1", customer_id)
    await settle()
    assert [(x.participant_id, x.role) for x in tech.of(m.ParticipantLeft)] == [(customer_id, "customer")]
    assert list(calls_a.rooms["s1"].participants) == [tech_id]

    joins = [json.loads(data) for channel, data in bus.published if channel == "node:a" and '"op": "join"' in data]
    assert len(joins) == 1 and joins[0]["claims"]["role"] == "customer" and "token" not in joins[0]["join"]
    assert not any(join_token in data for _, data in bus.published)  # the bearer token never crosses the bus


async def test_a_join_the_owner_refuses_is_refused_on_the_relay_with_the_owners_reason(cluster):
    _, (a, b), _ = cluster
    first, second = TOKENS.issue_customer("s1"), TOKENS.issue_customer("s1")
    await a.join(Page(), claims_of(first, "s1"), m.Join(token=first, session_id="s1", name=""))
    with pytest.raises(m.ProtocolError) as refused:
        await b.join(Page(), claims_of(second, "s1"), m.Join(token=second, session_id="s1", name=""))
    assert refused.value.code == "customer_present"


async def test_room_actions_run_on_the_owner_with_results_and_refusals(cluster):
    _, (a, b), _ = cluster
    await a.join(Page(), claims_of(TOKENS.issue_technician("t1"), "s1"), m.Join(token="t", session_id="s1", name=""))

    async def offset(session_id: str, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("refuse"):
            raise RoomActionError("not_recording", "This call is not recorded.", 409)
        return {"session": session_id, "offset_s": 1.5}

    a.register_action("recording_offset", offset)
    assert await b.act("recording_offset", "s1", {}) == {"session": "s1", "offset_s": 1.5}
    with pytest.raises(RoomActionError) as refused:
        await b.act("recording_offset", "s1", {"refuse": True})
    assert (refused.value.code, refused.value.status) == ("not_recording", 409)
    with pytest.raises(RoomActionError) as unknown:
        await b.act("no_such_action", "s1", {})
    assert (unknown.value.code, unknown.value.status) == ("unknown_action", 501)


async def test_malformed_bus_messages_are_logged_with_their_session_and_dropped(cluster, caplog):
    bus, (a, b), _ = cluster
    tech = Page()
    await a.join(tech, claims_of(TOKENS.issue_technician("t1"), "s7"), m.Join(token="t", session_id="s7", name=""))
    relayed = Page()
    token = TOKENS.issue_customer("s7")
    customer_id = await b.join(relayed, claims_of(token, "s7"), m.Join(token=token, session_id="s7", name=""))
    conn = next(json.loads(d)["conn"] for c, d in bus.published if c == "node:a" and '"op": "join"' in d)
    answers = Page()

    async def to_bad_join(raw: str) -> None:
        event = nm.to_relay.validate_json(raw)
        assert isinstance(event, nm.ForParticipant)
        await answers.send(event.data)

    await bus.subscribe("conn:bad-join", to_bad_join)

    caplog.set_level(logging.WARNING, "signaling.routing")
    for raw in ("{", "[]", '{"op": "teleport", "conn": "x"}',
                json.dumps({"op": "msg", "conn": conn, "message": {"type": "mute"}}),  # muted missing
                json.dumps({"op": "action", "session": "s7", "args": {}}),  # name missing
                json.dumps({"op": "join", "conn": "bad-join", "join": {"session_id": "s7"}, "claims": {"role": "x"}})):
        assert await bus.publish("node:a", raw) == 1
    assert await bus.publish(f"conn:{conn}", '{"kind": "msg", "data": {"type": "nonsense"}}') == 1

    dropped = [rec.getMessage() for rec in caplog.records if "malformed" in rec.getMessage()]
    assert len(dropped) == 7 and sum("session s7" in d for d in dropped) == 4, dropped
    assert [(e.code, e.fatal) for e in answers.of(m.ErrorMessage)] == [("join_failed", True)]
    assert relayed.got[-1:] == relayed.of(m.Welcome) and relayed.closed is None  # nothing odd reached the page
    # both nodes carry on
    await b.handle("s7", customer_id, m.Mute(muted=True))
    await settle()
    assert [x.participant_id for x in tech.of(m.ParticipantMuted)] == [customer_id]
