"""Session events: what was said, drawn, frozen and changed during a call, each with its moment.

One vocabulary (`SessionEventKind` in tickets.records) and one payload schema per kind, checked here before any
row is written. Payloads hold normalised coordinates (0..1 of the video frame), never pixels.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tickets.errors import InvalidInputError
from tickets.records import SessionEventKind
from vocabulary import CameraControl, CameraControlState, ChatReceiptState, ChatState, FocusMode, FreezeSource

MAX_CHAT_CHARS = 2000
MAX_POINTS = 512  # a freehand stroke is simplified by the page before it is sent
MAX_MARK_IDS = 256
MAX_ZOOM = 1000.0  # zoom is in the device's own units (phones 1..10, Chromium's fake camera 100..400)

Coordinate = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Point = tuple[Coordinate, Coordinate]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Colour = Annotated[str, Field(max_length=20, pattern=r"^(#[0-9a-fA-F]{6}|[a-z]{3,20})$")]  # #rrggbb or a palette name


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChatPayload(_Payload):
    """A chat message (plain text; pages render it as text, never as HTML); message_id: the room's number for it."""

    message_id: int = Field(ge=1)
    text: str = Field(min_length=1, max_length=MAX_CHAT_CHARS)


class ChatStatusPayload(_Payload):
    """A chat message reached the other side's page (delivered) or was shown to them (read)."""

    message_id: int = Field(ge=1)
    state: ChatReceiptState


class AnnotationPayload(_Payload):
    """A mark drawn over the customer's video (or over a frozen frame, then freeze_id names it).

    points: pointer (the dot), arrow (tail, head), circle (centre, a point on the rim), box (two corners),
    freehand (the stroke). It stays until an annotation_clear names it (or clears all), or, on a frozen frame,
    until the resume of that freeze; a pointer shows for a moment only."""

    mark_id: Ident
    shape: Literal["pointer", "arrow", "circle", "box", "freehand"]
    points: list[Point] = Field(min_length=1, max_length=MAX_POINTS)
    colour: Colour = "#ff3b30"
    freeze_id: Ident | None = None


class AnnotationUpdatePayload(_Payload):
    """A mark's new position as the scene tracker follows it (visible False: its region left the view)."""

    mark_id: Ident
    points: list[Point] = Field(max_length=MAX_POINTS)
    visible: bool = True


class AnnotationClearPayload(_Payload):
    """Marks taken away: the listed ones (undo), or all of them when the list is empty (clear)."""

    mark_ids: list[Ident] = Field(default_factory=list, max_length=MAX_MARK_IDS)
    reason: Literal["clear", "undo"] = "clear"


class FreezePayload(_Payload):
    """The technician froze a frame (a full-resolution still when one was available)."""

    freeze_id: Ident
    source: FreezeSource = "frame"
    width: int | None = Field(None, ge=1, le=16384)
    height: int | None = Field(None, ge=1, le=16384)
    # the image shown, stored under data_dir/freezes (GET /api/sessions/{id}/freezes/{freeze_id}/image)
    image_file: str | None = Field(None, max_length=80, pattern=r"^[A-Za-z0-9_-]+\.(jpg|png)$")


class ResumePayload(_Payload):
    """Back to the live video."""

    freeze_id: Ident | None = None




class CameraControlPayload(_Payload):
    """A camera change asked by a technician, and what the customer's page made of it.

    value: torch on/off (bool), zoom factor (number), focus hint (a point of interest [x, y] or a focus mode).
    """

    control: CameraControl
    state: CameraControlState
    value: bool | float | Point | FocusMode | None = None
    message: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _value_fits_control(self) -> CameraControlPayload:
        v = self.value
        if v is None:
            return self
        ok = {"torch": isinstance(v, bool),
              "zoom": isinstance(v, float | int) and not isinstance(v, bool) and 0 < v <= MAX_ZOOM,
              "focus": isinstance(v, tuple | str)}[self.control]
        if not ok:
            raise ValueError(f"value {v!r} does not fit control {self.control!r}")
        return self


class ZoomRange(_Payload):
    """The zoom a camera offers."""

    min: float = Field(gt=0, le=MAX_ZOOM)
    max: float = Field(gt=0, le=MAX_ZOOM)
    step: float = Field(0.0, ge=0, le=MAX_ZOOM)


class CameraCapabilitiesPayload(_Payload):
    """What the customer's camera lets the console change (from MediaStreamTrack.getCapabilities())."""

    torch: bool = False
    zoom: ZoomRange | None = None
    focus_modes: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=8)
    points_of_interest: bool = False


PAYLOADS: dict[str, type[_Payload]] = {
    "chat": ChatPayload,
    "chat_status": ChatStatusPayload,
    "annotation": AnnotationPayload,
    "annotation_update": AnnotationUpdatePayload,
    "annotation_clear": AnnotationClearPayload,
    "freeze": FreezePayload,
    "resume": ResumePayload,
    "camera_control": CameraControlPayload,
    "camera_capabilities": CameraCapabilitiesPayload,
}
# High-volume, derived kinds get no audit line of their own (their subject's event has one).
UNAUDITED_KINDS: frozenset[str] = frozenset({"chat_status", "annotation_update"})


def validate_payload(kind: str, payload: Any) -> dict[str, Any]:
    """The payload as stored (JSON-ready, defaults filled), or InvalidInputError naming the bad field."""
    model = PAYLOADS.get(kind)
    if model is None:
        raise InvalidInputError("kind", f"must be one of {', '.join(PAYLOADS)}")
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    try:
        return model.model_validate(payload).model_dump(mode="json")
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])[:80]
        raise InvalidInputError(f"payload.{where}" if where else "payload", str(error["msg"])[:160]) from exc


def is_kind(value: str) -> bool:
    """Whether value names a session-event kind."""
    return value in PAYLOADS


def _check_vocabulary() -> None:
    # The Literal in records and the schema table here must name the same kinds.
    from typing import get_args

    assert set(get_args(SessionEventKind)) == set(PAYLOADS), "SessionEventKind and PAYLOADS differ"


_check_vocabulary()


_STATE_RANK: dict[str, int] = {"sent": 0, "delivered": 1, "read": 2}


def chat_states(statuses: list[tuple[int, str]], start: dict[int, str] | None = None) -> dict[int, ChatState]:
    """Each message's furthest delivery state from (message id, state) receipts, in any order."""
    states: dict[int, ChatState] = dict(start or {})  # type: ignore[arg-type]
    for message_id, state in statuses:
        if _STATE_RANK[state] > _STATE_RANK[states.get(message_id, "sent")]:
            states[message_id] = state  # type: ignore[assignment]
    return states
