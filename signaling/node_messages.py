"""The messages between nodes for rooms relayed over the bus (typed, validated on receipt): signaling/routing.py.

Three kinds of channel carry them: a node's inbox (`node:<id>`: joins, messages and leaves of participants a
relay holds, and room actions), a relayed connection's channel (`conn:<id>`: what the owner sends that
participant) and an action's reply channel (`reply:<id>`). The JSON keeps the field names of the dicts these
replaced, so nodes of the previous version understand them during a rolling upgrade.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from . import messages as m
from .tokens import Claims

RELAYED = "relayed"  # stands in for the token in a join relayed over the bus (the relay node verified the token)


class _Env(BaseModel):
    # extra fields ignored: a newer node may add some during a rolling upgrade
    model_config = ConfigDict(extra="ignore", frozen=True)


class RelayedJoin(_Env):
    """A browser's join as the relay verified it, without its bearer token (anyone reading Redis could replay it)."""

    session_id: str = Field(min_length=1, max_length=64)
    name: str = Field("", max_length=80)

    def to_join(self) -> m.Join:
        """The join the owner's call service admits (the token already verified by the relay)."""
        return m.Join(token=RELAYED, session_id=self.session_id, name=self.name)


# -- a node's inbox ------------------------------------------------------------------------------------------


class JoinVia(_Env):
    """Relay -> owner: admit this participant, whose connection the relay holds (answer on conn:<conn>)."""

    op: Literal["join"] = "join"
    conn: str = Field(min_length=1)
    relay: str = ""
    relay_boot: str = ""  # the relay's incarnation that holds the connection
    join: RelayedJoin
    claims: Claims  # what the relay's token check said; the owner checks expiry and session binding again


class MessageVia(_Env):
    """Relay -> owner: a message of a relayed participant."""

    op: Literal["msg"] = "msg"
    conn: str = Field(min_length=1)
    message: m.ClientMessage


class LeaveVia(_Env):
    """Relay -> owner: the relayed participant's connection closed (or moved)."""

    op: Literal["leave"] = "leave"
    conn: str = Field(min_length=1)


class RoomActionCall(_Env):
    """Any node -> owner: run a registered room action; answer on reply:<reply> when reply is set."""

    op: Literal["action"] = "action"
    conn: str = ""
    name: str
    session: str
    args: dict[str, Any] = Field(default_factory=dict)  # the action's own arguments (the root defines them)
    reply: str = ""


ToNode = Annotated[JoinVia | MessageVia | LeaveVia | RoomActionCall, Field(discriminator="op")]

# -- a relayed connection's channel ----------------------------------------------------------------------


class ForParticipant(_Env):
    """Owner -> relay: a message for the relayed participant's browser."""

    kind: Literal["msg"] = "msg"
    data: m.ServerMessage
    boot: str = ""  # the owner's incarnation


class CloseParticipant(_Env):
    """Owner -> relay: close the relayed participant's connection."""

    kind: Literal["close"] = "close"
    reason: str = ""
    boot: str = ""


class JoinQueued(_Env):
    """Owner -> relay: the join arrived and waits its turn (the owner is alive: its answer may take a while)."""

    kind: Literal["queued"] = "queued"
    boot: str = ""


ToRelay = Annotated[ForParticipant | CloseParticipant | JoinQueued, Field(discriminator="kind")]

# -- an action's reply channel -------------------------------------------------------------------------------


class ActionRefusal(_Env):
    """Why a room action was refused: a code, a sentence and an HTTP-like status."""

    code: str
    message: str
    status: int


class ActionReply(_Env):
    """Owner -> caller: the result of a room action, or its refusal."""

    result: dict[str, Any] | None = None
    error: ActionRefusal | None = None


to_node: TypeAdapter[ToNode] = TypeAdapter(ToNode)
to_relay: TypeAdapter[ToRelay] = TypeAdapter(ToRelay)


def encode(message: BaseModel) -> str:
    """A bus message as JSON text (json.dumps spacing, as the dicts these replaced were sent)."""
    return json.dumps(message.model_dump(mode="json"))


def session_hint(raw: str) -> str:
    """The session a bus message names, for logging one that failed validation ('?' if none can be read)."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            return "?"
        join = data.get("join")
        found = data.get("session") or (join.get("session_id") if isinstance(join, dict) else None)
        return str(found)[:64] if found else "?"
    except ValueError:
        return "?"


def what_failed(exc: ValidationError) -> str:
    """Where and how a bus message failed validation, without any of its values (they may hold secrets)."""
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "invalid"
    where = ".".join(str(p) for p in errors[0]["loc"])[:120] or "message"
    return f"{where}: {errors[0]['type']} ({len(errors)} error(s))"
