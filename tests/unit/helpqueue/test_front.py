"""Two nodes' queue fronts over one in-process bus and a real SQLite store (no sockets): presence counted per node,
one engine, an engine that lost the lease assigns nothing while the new holder assigns once, and commands sent
while no node runs the queue are applied by the next engine or refused to their sender."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from helpqueue.engine import read_figures
from helpqueue.front import QueueFront
from signaling import queue_bus as qb
from signaling import queue_messages as qm
from signaling.bus import InProcessBus
from signaling.messages import ErrorMessage
from signaling.tokens import Claims, Role
from testkit.polling import eventually
from tickets.records import QueueRequestRecord
from tickets.store import TicketStore


class Link:
    """A queue socket as a front sees it: records what it is sent."""

    def __init__(self) -> None:
        self.got: list[qm.QueueServerMessage] = []

    async def send(self, message: qm.QueueServerMessage) -> None:
        self.got.append(message)

    async def close(self, reason: str) -> None:
        pass

    def last(self, kind: type) -> object:
        found = [m for m in self.got if isinstance(m, kind)]
        assert found, f"no {kind.__name__} among {[type(m).__name__ for m in self.got]}"
        return found[-1]


def tech_claims(tech_id: str) -> Claims:
    return Claims(role=Role.TECHNICIAN, subject=tech_id, name=tech_id.upper(), session_id=None, expires_at=4e9)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[TicketStore]:
    s = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    await s.migrate()
    yield s
    await s.close()


async def two_fronts(store: TicketStore) -> tuple[InProcessBus, QueueFront, QueueFront]:
    bus = InProcessBus()
    fronts = [QueueFront(store, bus, node, target_answer_s=60, admitting=lambda: True, lease_ttl_s=5, tick_s=3600)
              for node in ("node-a", "node-b")]
    for front in fronts:
        await front.start()
    return bus, fronts[0], fronts[1]


async def request(store: TicketStore, front: QueueFront, name: str) -> QueueRequestRecord:
    link = await store.help_desk.create_link(family="printer", model="P1", actor="sup")
    record = await store.help_desk.create_request(link, customer_name=name, description="", media="voice")
    await front.enqueue(record, link)
    return record


async def test_a_technician_is_online_while_any_node_holds_one_of_their_consoles(store: TicketStore) -> None:
    _, a, b = await two_fronts(store)
    try:
        assert a.engine is not None and b.engine is None  # the first to ask holds the lease
        on_a, on_b = Link(), Link()
        hello = qm.QueueHello(token="t", presence="busy")
        await a.technician_connected(on_a, tech_claims("t1"), hello)
        await b.technician_connected(on_b, tech_claims("t1"), hello)
        await a.technician_gone(on_a, "t1")
        assert [t.id for t in (await b.snapshot()).technicians] == ["t1"]  # still online through node B
        await b.technician_gone(on_b, "t1")
        assert (await b.snapshot()).technicians == []
    finally:
        await a.stop()
        await b.stop()


async def test_a_customer_on_one_node_is_answered_by_a_technician_on_the_other(store: TicketStore) -> None:
    _, a, b = await two_fronts(store)
    try:
        r1 = await request(store, b, "Ann")
        page = Link()
        await b.customer_connected(page, r1.id)
        position = page.last(qm.QueuePosition)
        assert isinstance(position, qm.QueuePosition) and (position.position, position.eta_s) == (1, None)
        console = Link()
        await b.technician_connected(console, tech_claims("t1"), qm.QueueHello(token="t"))
        assigned = page.last(qm.QueueAssigned)
        assert isinstance(assigned, qm.QueueAssigned) and assigned.technician_id == "t1"
        assert isinstance(console.last(qm.QueueAssigned), qm.QueueAssigned)
        assert {r.id: r.state for r in (await a.snapshot()).requests} == {r1.id: "assigned"}
        assert {r.id: r.state for r in (await b.snapshot()).requests} == {r1.id: "assigned"}  # from A's message
    finally:
        await a.stop()
        await b.stop()


async def test_an_engine_that_lost_the_lease_assigns_nothing_and_the_new_holder_assigns_once(
        store: TicketStore) -> None:
    bus, a, b = await two_fronts(store)
    try:
        r1 = await request(store, a, "Ann")
        page = Link()
        await a.customer_connected(page, r1.id)
        bus.leases[qb.LEASE] = "node-b|elsewhere"  # the lease passed on while A's engine still runs
        console = Link()
        await b.technician_connected(console, tech_claims("t1"), qm.QueueHello(token="t"))
        assert not [m for m in page.got if isinstance(m, qm.QueueAssigned)]
        assert a.engine is None  # A's engine checked the lease before assigning and stopped
        stored = await store.help_desk.get_request(r1.id)
        assert stored is not None and stored.state == "waiting"
        bus.leases.pop(qb.LEASE)
        await b._hold_lease()  # B's next lease round: it takes the lease, restores the queue, the fronts re-sync
        assert b.engine is not None
        assigned = [m for m in page.got if isinstance(m, qm.QueueAssigned)]
        assert [m.technician_id for m in assigned] == ["t1"]
        audit = [e.action for e in await store.list_audit(ticket_id=r1.ticket_id)]
        assert audit.count("help_answered") == 1
    finally:
        await a.stop()
        await b.stop()


async def test_commands_sent_while_no_node_runs_the_queue_are_applied_by_the_next_engine_once(
        store: TicketStore) -> None:
    bus = InProcessBus()
    bus.leases[qb.LEASE] = "node-a|dead"  # node A died holding the lease; it has not run out yet
    b = QueueFront(store, bus, "node-b", target_answer_s=60, admitting=lambda: True, lease_ttl_s=5, tick_s=3600)
    await b.start()
    try:
        assert b.engine is None
        r1, r2 = await request(store, b, "Ann"), await request(store, b, "Bob")
        page, console = Link(), Link()
        await b.customer_connected(page, r1.id)
        await b.technician_connected(console, tech_claims("t1"), qm.QueueHello(token="t", presence="busy"))
        await b.customer_said(r1.id, qm.QueueCancel())  # Ann gives up, and t1 picks Bob, while nobody runs the queue
        await b.technician_said("t1", qm.QueuePick(request_id=r2.id))
        await b._resend(due_only=False)  # sent again into the void: still kept
        assert b.pending_commands == 4  # two stored requests, the cancel, the pick
        bus.leases.pop(qb.LEASE)  # A's lease ran out
        await b._hold_lease()  # B's next lease round: it runs the queue; its front sends what was not acknowledged
        await eventually(lambda: b.pending_commands == 0, within_s=5, what="every command acknowledged")
        closed = page.last(qm.QueueClosed)
        assert isinstance(closed, qm.QueueClosed) and closed.reason == "cancelled"
        assigned = console.last(qm.QueueAssigned)
        assert isinstance(assigned, qm.QueueAssigned) and (assigned.request_id, assigned.picked) == (r2.id, True)
        states = {r.id: (await store.help_desk.get_request(r.id)) for r in (r1, r2)}
        assert {k: v.state for k, v in states.items() if v} == {r1.id: "abandoned", r2.id: "assigned"}
        # counted from the store, as on every node: the same after the engine moved
        figures = await read_figures(store, 60)
        assert (figures.totals.answered, figures.totals.abandoned, figures.totals.answer_le[-1]) == (1, 1, 1)
    finally:
        await b.stop()


async def test_a_command_no_engine_takes_before_the_deadline_is_refused_to_its_sender(store: TicketStore) -> None:
    bus = InProcessBus()
    bus.leases[qb.LEASE] = "node-a|dead"
    b = QueueFront(store, bus, "node-b", target_answer_s=60, admitting=lambda: True, lease_ttl_s=5, tick_s=3600,
                   command_timeout_s=0.0)
    await b.start()
    try:
        console = Link()
        await b.technician_connected(console, tech_claims("t1"), qm.QueueHello(token="t"))
        await b.technician_said("t1", qm.QueuePick(request_id="r-1"))
        await b._resend(due_only=True)
        error = console.last(ErrorMessage)
        assert isinstance(error, ErrorMessage) and error.code == "queue_unavailable" and not error.fatal
        assert b.pending_commands == 0
    finally:
        await b.stop()


async def test_a_call_that_ended_while_no_engine_heard_of_it_is_closed_by_the_next_engine(store: TicketStore) -> None:
    bus = InProcessBus()
    a = QueueFront(store, bus, "node-a", target_answer_s=60, admitting=lambda: True, lease_ttl_s=5, tick_s=3600)
    await a.start()
    r1 = await request(store, a, "Ann")
    await a.customer_connected(Link(), r1.id)
    console = Link()
    await a.technician_connected(console, tech_claims("t1"), qm.QueueHello(token="t"))
    await eventually(lambda: any(isinstance(m, qm.QueueAssigned) for m in console.got), within_s=5,
                     what="the request answered")
    await a.stop()  # node A goes with its engine
    await store.end_session(r1.session_id, actor="t1")  # and the call ends where no engine hears of it
    b = QueueFront(store, bus, "node-b", target_answer_s=60, admitting=lambda: True, lease_ttl_s=5, tick_s=3600)
    await b.start()
    try:
        stored = await store.help_desk.get_request(r1.id)
        assert stored is not None and stored.state == "ended"
        assert (await b.snapshot()).requests == []
    finally:
        await b.stop()
