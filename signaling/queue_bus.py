"""The help queue between nodes (typed messages on the bus): every node's sockets, one node's queue.

Every node holds its own waiting customers' and consoles' sockets (its *front*); one node at a time, the holder of
the queue lease, runs the queue's state machine (the *engine*). Fronts tell the engine what their sockets do on
ENGINE_CHANNEL, naming their node and boot; the engine answers on FRONTS_CHANNEL and every front delivers to the
sockets it holds. A new engine (after a restart or a failover) announces itself and each front re-states who is
connected through it (FrontSync), so the engine's picture of presence is rebuilt from the fronts, and the
requests themselves from the store.

Commands (a pick, a presence change, a call-back number, a cancel, a stored request, an ended session) carry an id
the engine acknowledges (Handled) once it has applied them; a front sends an unacknowledged command again when a
new engine announces itself and every 2 s until a deadline, then tells the person who gave it that it was not
taken. So a command sent while no node holds the lease (up to the node TTL after a node dies) is applied by the
next engine, or refused visibly, never lost in silence. The engine applies each command id once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from . import queue_messages as qm

ENGINE_CHANNEL = "queue:engine"
FRONTS_CHANNEL = "queue:fronts"
LEASE = "queue-engine"


class _Env(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _FromFront(_Env):
    node: str
    boot: str


class TechnicianPresence(BaseModel):
    """A technician online through a front: who, and the skills their latest console said."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    hello: qm.QueueHello


class FrontSync(_FromFront):
    """Everything connected through this front now (at its start and whenever the engine changes)."""

    op: Literal["sync"] = "sync"
    technicians: list[TechnicianPresence]
    customers: list[str]  # request ids with a page open here


class TechnicianOn(_FromFront):
    """A console of this technician opened here."""

    op: Literal["technician_on"] = "technician_on"
    technician: TechnicianPresence


class TechnicianOff(_FromFront):
    """The technician's last console here closed."""

    op: Literal["technician_off"] = "technician_off"
    technician_id: str


class _Command(_FromFront):
    command_id: str  # unique per front: acknowledged by the engine (Handled), applied once


class TechnicianSaid(_Command):
    """A presence change or a pick from a console here."""

    op: Literal["technician_said"] = "technician_said"
    technician_id: str
    message: qm.QueuePresence | qm.QueuePick


class CustomerOn(_FromFront):
    """A waiting page of this request opened here."""

    op: Literal["customer_on"] = "customer_on"
    request_id: str


class CustomerOff(_FromFront):
    """The request's last page here closed."""

    op: Literal["customer_off"] = "customer_off"
    request_id: str


class CustomerSaid(_Command):
    """A call-back number or a cancel from a page here."""

    op: Literal["customer_said"] = "customer_said"
    request_id: str
    message: qm.QueueCallback | qm.QueueCancel


class Enqueued(_Command):
    """A request was stored through this node (the engine reads it from the store)."""

    op: Literal["enqueued"] = "enqueued"
    request_id: str


class SessionEnded(_Command):
    """A session ended (on a call here, or through REST here)."""

    op: Literal["session_ended"] = "session_ended"
    session_id: str


class SnapshotWanted(_FromFront):
    """This front has no snapshot of the queue yet."""

    op: Literal["snapshot_wanted"] = "snapshot_wanted"


Command = TechnicianSaid | CustomerSaid | Enqueued | SessionEnded

ToEngine = Annotated[FrontSync | TechnicianOn | TechnicianOff | TechnicianSaid | CustomerOn | CustomerOff
                     | CustomerSaid | Enqueued | SessionEnded | SnapshotWanted, Field(discriminator="op")]


Audience = Literal["customer", "technician", "consoles"]  # the sockets of one request, of one technician, or all consoles


class EngineUp(_Env):
    """A node started running the queue: fronts re-state their sockets (FrontSync)."""

    op: Literal["engine_up"] = "engine_up"
    node: str
    boot: str


class Deliver(_Env):
    """A message for the sockets of one request, of one technician, or of every console (key unused)."""

    op: Literal["deliver"] = "deliver"
    to: Audience
    key: str = ""
    message: dict[str, Any]


class Handled(_Env):
    """The engine applied a front's command (the front stops sending it again)."""

    op: Literal["handled"] = "handled"
    node: str  # the front that sent it
    boot: str
    command_id: str


ToFronts = Annotated[EngineUp | Deliver | Handled, Field(discriminator="op")]

to_engine: TypeAdapter[ToEngine] = TypeAdapter(ToEngine)
to_fronts: TypeAdapter[ToFronts] = TypeAdapter(ToFronts)
# a delivered message is the first model of the union that it fits, in the union's order
_server_message: TypeAdapter[qm.QueueServerMessage] = TypeAdapter(
    Annotated[qm.QueueServerMessage, Field(union_mode="left_to_right")])


def deliver(to: Audience, key: str, message: qm.QueueServerMessage) -> Deliver:
    """An envelope for a queue message to some sockets."""
    return Deliver(to=to, key=key, message=message.model_dump(mode="json"))


def opened(envelope: Deliver) -> qm.QueueServerMessage:
    """The queue message inside an envelope."""
    return _server_message.validate_python(envelope.message)
