"""The help queue's wire protocol on /ws/queue: waiting customers and technicians' consoles (version 1).

A customer's page says hello with the token it got with its request and hears its place and estimated wait until
a technician answers; a console says hello with a technician token, its skills and limit, and sees the queue live.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from vocabulary import CallMedia, TechnicianPresence

from .messages import ErrorMessage, Pong, ProtocolError

Presence = TechnicianPresence
SkillName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w .*+-]+$")]
MAX_SKILLS = 50
MAX_CALLS_AT_ONCE = 8


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    v: Literal[1] = 1


# --- client -> server -----------------------------------------------------------------------------


class QueueHello(_Msg):
    """First message: the token (customer: its request's; technician: its sign-in) and, for technicians, skills."""

    type: Literal["queue_hello"] = "queue_hello"
    token: str = Field(min_length=1, max_length=4096)
    families: list[SkillName] = Field(default_factory=lambda: ["*"], max_length=MAX_SKILLS)
    languages: list[SkillName] = Field(default_factory=list, max_length=MAX_SKILLS)
    limit: int = Field(1, ge=1, le=MAX_CALLS_AT_ONCE)
    presence: Presence = "available"


class QueuePresence(_Msg):
    """A technician is available, busy or away."""

    type: Literal["queue_presence"] = "queue_presence"
    presence: Presence


class QueuePick(_Msg):
    """A technician takes a waiting request."""

    type: Literal["queue_pick"] = "queue_pick"
    request_id: str = Field(min_length=1, max_length=64)


class QueueCallback(_Msg):
    """A waiting customer leaves a number to be called back on."""

    type: Literal["queue_callback"] = "queue_callback"
    number: str = Field(min_length=3, max_length=40, pattern=r"^\+?[0-9 ()./-]{3,40}$")


class QueueCancel(_Msg):
    """A waiting customer gives up their request."""

    type: Literal["queue_cancel"] = "queue_cancel"


class QueuePing(_Msg):
    """Keep-alive."""

    type: Literal["ping"] = "ping"


QueueClientMessage = Annotated[QueueHello | QueuePresence | QueuePick | QueueCallback | QueueCancel | QueuePing,
                               Field(discriminator="type")]
_client_adapter: TypeAdapter[QueueClientMessage] = TypeAdapter(QueueClientMessage)


# --- server -> client -----------------------------------------------------------------------------


class QueuePosition(_Msg):
    """To a waiting customer: their place and estimated wait (None: no technician for it is online now)."""

    type: Literal["queue_position"] = "queue_position"
    request_id: str
    position: int
    eta_s: float | None
    callback_number: str = ""


class QueueAssigned(_Msg):
    """A technician answers: to the customer (then it joins the session) and to the technician's consoles."""

    type: Literal["queue_assigned"] = "queue_assigned"
    request_id: str
    session_id: str
    ticket_id: str
    technician_id: str
    technician_name: str
    customer_name: str
    media: CallMedia
    callback_number: str = ""
    picked: bool = False


class QueueClosed(_Msg):
    """To a customer: the request is no longer waiting (cancelled, or its ticket's session ended)."""

    type: Literal["queue_closed"] = "queue_closed"
    request_id: str
    reason: Literal["cancelled", "ended"]


class QueueItem(BaseModel):
    """A request as consoles list it."""

    id: str
    session_id: str
    ticket_id: str
    state: Literal["waiting", "assigned"]
    family: str
    model: str
    serial: str
    site: str
    customer_name: str
    description: str
    media: CallMedia
    language: str
    has_photo: bool
    callback_number: str
    connected: bool
    waited_s: float
    position: int
    eta_s: float | None
    breached: bool
    technician_id: str


class TechnicianItem(BaseModel):
    """A technician online in the queue."""

    id: str
    name: str
    presence: Presence
    families: list[str]
    languages: list[str]
    limit: int
    calls: int


class QueueLevels(BaseModel):
    """Service levels of the requests made within the window (waiting: now), of one queue or of all."""

    waiting: int
    answered: int
    abandoned: int  # given up, or closed before anyone answered
    breached: int  # waited past the target time to answer
    mean_answer_s: float | None
    mean_handle_s: float | None  # from the answer to the end of the session
    answered_within_target: float | None  # share of answered requests answered within the target
    abandonment_rate: float | None  # abandoned / (answered + abandoned)
    first_contact_resolution: float | None = None  # closed tickets with one session / closed tickets


class FamilyLevels(QueueLevels):
    """One queue's service levels: the requests for one device family."""

    family: str


class ServiceLevels(QueueLevels):
    """Service levels over the last window_s seconds, from the store (the same on every node, across restarts),
    for all queues and per queue (device family)."""

    target_answer_s: float
    window_s: float = 0.0
    families: list[FamilyLevels] = Field(default_factory=list)


class QueueSnapshot(_Msg):
    """To consoles: the whole queue (sent on every change; small: it holds the waiting and running requests)."""

    type: Literal["queue_snapshot"] = "queue_snapshot"
    requests: list[QueueItem]
    technicians: list[TechnicianItem]
    admitting: bool
    levels: ServiceLevels


class QueueBreach(_Msg):
    """To consoles: a request waited past the target time to answer."""

    type: Literal["queue_breach"] = "queue_breach"
    request_id: str
    ticket_id: str
    waited_s: float
    target_s: float


QueueServerMessage = (QueuePosition | QueueAssigned | QueueClosed | QueueSnapshot | QueueBreach | ErrorMessage
                      | Pong)


class QueueLinkLike(Protocol):
    """One queue WebSocket as whoever runs the queue sees it."""

    async def send(self, message: QueueServerMessage) -> None:
        """Deliver a message; never raises for a closed connection."""

    async def close(self, reason: str) -> None:
        """Close the connection."""


def parse_queue_message(raw: str, max_bytes: int) -> QueueClientMessage:
    """Parse one message of the queue protocol, raising ProtocolError with a precise code."""
    if len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ProtocolError("message_too_large", f"Message exceeds the {max_bytes}-byte limit.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("malformed_json", "Message is not valid JSON.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("malformed_message", "Message must be a JSON object with a string 'type'.")
    try:
        return _client_adapter.validate_python(data)
    except ValidationError as exc:
        errors = exc.errors()
        if errors and errors[0].get("type") == "union_tag_invalid":
            raise ProtocolError("unknown_type", f"Unknown message type {str(data['type'])[:40]!r}.") from exc
        where = ".".join(str(p) for p in (errors[0]["loc"] if errors else ()))[:80] or "message"
        why = errors[0]["msg"][:120] if errors else "invalid"
        raise ProtocolError("invalid_message", f"Invalid message: {where}: {why}.") from exc
