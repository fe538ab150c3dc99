"""Signaling wire protocol: typed JSON messages (version 1) between browsers and the server."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from vocabulary import (
    CameraControl,
    CameraControlState,
    ChatReceiptState,
    ChatState,
    FindingView,
    FocusMode,
    FreezeSource,
    ParticipantRole,
    VideoPhase,
)

PROTOCOL_VERSION = 1
MAX_SDP_CHARS = 32_000
MAX_CHAT_CHARS = 2000  # the same bound as the stored chat payload (tickets/session_events.py)
MAX_RECEIPT_IDS = 100


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    v: Literal[1] = 1


# --- client -> server ---------------------------------------------------------------------------


class Join(_Msg):
    """First message on a connection: who I am (token) and which session I join."""

    type: Literal["join"] = "join"
    token: str = Field(min_length=1, max_length=4096)
    session_id: str = Field(min_length=1, max_length=64)
    name: str = Field("", max_length=80)


class Offer(_Msg):
    """An SDP offer; only browsers offer, the server always answers (no glare possible)."""

    type: Literal["offer"] = "offer"
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class IceCandidate(_Msg):
    """A trickled ICE candidate (an empty candidate means end of candidates)."""

    type: Literal["ice"] = "ice"
    candidate: str = Field("", max_length=1024)
    sdpMid: str | None = Field(None, max_length=32)  # noqa: N815 - browser field name
    sdpMLineIndex: int | None = Field(None, ge=0, le=64)  # noqa: N815


class VideoRequest(_Msg):
    """Technician asks the customer to turn on the camera."""

    type: Literal["video_request"] = "video_request"


class VideoAccept(_Msg):
    """Customer accepts a video request (their page then starts the camera)."""

    type: Literal["video_accept"] = "video_accept"


class VideoDecline(_Msg):
    """Customer declines a video request."""

    type: Literal["video_decline"] = "video_decline"


class VideoStarted(_Msg):
    """Customer's camera is sending (after the re-offer or replaceTrack)."""

    type: Literal["video_started"] = "video_started"
    facing: Literal["environment", "user", "unknown"] = "unknown"


class VideoStop(_Msg):
    """Either side stops the video: the customer stops the camera; a technician asks it to stop."""

    type: Literal["video_stop"] = "video_stop"


class Mute(_Msg):
    """A participant muted or unmuted their microphone (shown to the others)."""

    type: Literal["mute"] = "mute"
    muted: bool


class ShareFinding(_Msg):
    """Technician shows a finding to the customer (only then does the customer see it)."""

    type: Literal["share_finding"] = "share_finding"
    finding_id: str = Field(min_length=1, max_length=64)


class ScanRequest(_Msg):
    """Technician asks for one full-resolution still from the customer's camera (read for codes on the server)."""

    type: Literal["scan_request"] = "scan_request"


class ScanFailed(_Msg):
    """Customer's page could not take the requested still (no camera, capture refused)."""

    type: Literal["scan_failed"] = "scan_failed"
    scan_id: str = Field(min_length=1, max_length=64)
    reason: str = Field("", max_length=200)


class ChatSend(_Msg):
    """A chat message (plain text: a phone number, a serial, a link); client_id matches the server's echo."""

    type: Literal["chat_send"] = "chat_send"
    text: str = Field(min_length=1, max_length=MAX_CHAT_CHARS)
    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class ChatReceipt(_Msg):
    """The page got these messages (delivered) or showed them to its user (read)."""

    type: Literal["chat_receipt"] = "chat_receipt"
    message_ids: list[Annotated[int, Field(ge=1)]] = Field(min_length=1, max_length=MAX_RECEIPT_IDS)
    state: ChatReceiptState


# --- annotation (technicians draw over the customer's video; everyone sees the marks) --------------------

MAX_MARK_POINTS = 512  # a freehand stroke is simplified by the page before it is sent
PALETTE = ("red", "orange", "yellow", "green", "blue", "white", "black")
Coordinate = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A position as a fraction of the video frame's width or height (0..1), never pixels."""
Point = tuple[Coordinate, Coordinate]
MarkId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Colour = Annotated[str, Field(max_length=7, pattern=r"^(#[0-9a-fA-F]{6}|red|orange|yellow|green|blue|white|black)$")]
MarkShape = Literal["arrow", "circle", "box", "freehand"]
MarkLayer = Literal["live", "still"]  # over the moving video, or over the frozen frame


class Mark(BaseModel):
    """One drawn mark: arrow (tail, head), circle (centre, a point on the rim), box (two corners), freehand."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: MarkId
    shape: MarkShape
    points: list[Point] = Field(min_length=2, max_length=MAX_MARK_POINTS)
    colour: Colour = "red"
    width: int = Field(4, ge=1, le=16)  # stroke width in CSS pixels of the viewer's screen

    @model_validator(mode="after")
    def _two_points_for_figures(self) -> Mark:
        if self.shape != "freehand" and len(self.points) != 2:
            raise ValueError(f"a {self.shape} takes exactly 2 points")
        return self


class MarkAdd(_Msg):
    """Technician drew a mark (on the live video, or on the frozen frame while one is shown)."""

    type: Literal["mark_add"] = "mark_add"
    mark: Mark


class MarkRemove(_Msg):
    """Technician takes one of the marks away (undo)."""

    type: Literal["mark_remove"] = "mark_remove"
    id: MarkId


class MarksClear(_Msg):
    """Technician clears every mark of the current layer."""

    type: Literal["marks_clear"] = "marks_clear"


class PointerMove(_Msg):
    """Technician's laser dot while pressed (visible False: released). Pages send at most ~12 per second."""

    type: Literal["pointer"] = "pointer"
    x: Coordinate = 0.0
    y: Coordinate = 0.0
    visible: bool = True
    colour: Colour = "red"


class Freeze(_Msg):
    """Technician freezes the customer's current frame to annotate it and show it as a still."""

    type: Literal["freeze"] = "freeze"


class Resume(_Msg):
    """Technician returns both sides to the live video."""

    type: Literal["resume"] = "resume"


# --- camera controls (the console changes the customer's camera where the browser lets it) ------------------

CameraControlName = CameraControl
FocusPoint = tuple[Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)],
                   Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]]
MAX_ZOOM = 1000.0  # browsers report zoom in the device's own units (phones 1..10, Chromium's fake camera 100..400)
CameraValue = bool | Annotated[float, Field(gt=0, le=MAX_ZOOM, allow_inf_nan=False)] | FocusPoint | FocusMode


class ZoomRange(BaseModel):
    """The zoom a camera offers (MediaTrackCapabilities.zoom)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min: float = Field(gt=0, le=MAX_ZOOM, allow_inf_nan=False)
    max: float = Field(gt=0, le=MAX_ZOOM, allow_inf_nan=False)
    step: float = Field(0.0, ge=0, le=MAX_ZOOM, allow_inf_nan=False)


class CameraCaps(BaseModel):
    """What the customer's camera lets the console change, from getCapabilities() on the page."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    torch: bool = False
    zoom: ZoomRange | None = None
    focus_modes: list[FocusMode] = Field(default_factory=list, max_length=3)
    points_of_interest: bool = False  # a focus point can be given (pointsOfInterest)


def _value_fits(control: str, value: object) -> bool:
    if control == "torch":
        return isinstance(value, bool)
    if control == "zoom":
        return isinstance(value, float | int) and not isinstance(value, bool)
    return isinstance(value, tuple | str)


class CameraCapabilities(_Msg):
    """Customer's page: what its camera can do (sent when video starts and after a camera switch)."""

    type: Literal["camera_capabilities"] = "camera_capabilities"
    caps: CameraCaps


class CameraSet(_Msg):
    """Technician: change the customer's camera (torch on/off, zoom factor, focus at a point or a focus mode)."""

    type: Literal["camera_set"] = "camera_set"
    control: CameraControlName
    value: CameraValue

    @model_validator(mode="after")
    def _fits(self) -> CameraSet:
        if not _value_fits(self.control, self.value):
            raise ValueError(f"this value does not fit the control {self.control!r}")
        return self


CameraOutcome = Literal["applied", "unsupported", "failed", "undone"]


class CameraResult(_Msg):
    """Customer's page: what came of a change (applied, unsupported, failed), or that its user undid it."""

    type: Literal["camera_result"] = "camera_result"
    command_id: str = Field(min_length=1, max_length=32)
    state: CameraOutcome
    value: CameraValue | None = None
    message: str = Field("", max_length=200)


class Bye(_Msg):
    """Leave the call; a technician may also end the session for everyone."""

    type: Literal["bye"] = "bye"
    end_session: bool = False


class Ping(_Msg):
    """Keep-alive; answered with pong."""

    type: Literal["ping"] = "ping"


ClientMessage = Annotated[
    Join | Offer | IceCandidate | VideoRequest | VideoAccept | VideoDecline | VideoStarted | VideoStop | Mute
    | ShareFinding | ScanRequest | ScanFailed | ChatSend | ChatReceipt | CameraCapabilities | CameraSet | CameraResult | Bye | Ping | MarkAdd | MarkRemove
    | MarksClear | PointerMove | Freeze | Resume,
    Field(discriminator="type"),
]
_client_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


# --- server -> client ---------------------------------------------------------------------------


class ParticipantInfo(BaseModel):
    """A participant as the others see it."""

    model_config = ConfigDict(frozen=True)
    id: str
    role: ParticipantRole
    name: str
    muted: bool = False


class IceServer(BaseModel):
    """A STUN/TURN server as browsers take it (RTCIceServer); TURN entries carry this participant's credential."""

    model_config = ConfigDict(frozen=True)
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class Welcome(_Msg):
    """Reply to a successful join; ice_servers are this participant's own (short-lived TURN credentials)."""

    type: Literal["welcome"] = "welcome"
    participant_id: str
    role: ParticipantRole
    session_id: str
    participants: list[ParticipantInfo]
    video: VideoPhase
    recording: bool
    ice_servers: list[IceServer] = Field(default_factory=list)


class Answer(_Msg):
    """The server's SDP answer to an offer."""

    type: Literal["answer"] = "answer"
    sdp: str


class ParticipantJoined(_Msg):
    """Someone joined the call."""

    type: Literal["participant_joined"] = "participant_joined"
    participant: ParticipantInfo


class ParticipantLeft(_Msg):
    """Someone left the call (the role lets pages tell who without parsing the id)."""

    type: Literal["participant_left"] = "participant_left"
    participant_id: str
    role: ParticipantRole


class ParticipantMuted(_Msg):
    """Someone muted or unmuted."""

    type: Literal["participant_muted"] = "participant_muted"
    participant_id: str
    muted: bool


class VideoRequested(_Msg):
    """To the customer: a technician asks for video. To technicians: a request is pending."""

    type: Literal["video_requested"] = "video_requested"
    by: str
    by_name: str


class VideoState(_Msg):
    """The video state changed (off/requested/accepted/active)."""

    type: Literal["video_state"] = "video_state"
    state: VideoPhase
    by: str
    reason: str = ""


class StopVideo(_Msg):
    """To the customer: a technician asked to stop the camera."""

    type: Literal["stop_video"] = "stop_video"
    by: str


class Renegotiate(_Msg):
    """Ask the browser to send a new offer (the server never offers itself)."""

    type: Literal["renegotiate"] = "renegotiate"
    reason: str


class FindingMessage(_Msg):
    """A confirmed diagnostic finding, pushed to technicians only."""

    type: Literal["finding"] = "finding"
    finding: FindingView


class SharedFinding(_Msg):
    """To the customer: what the technician chose to share (code, title, what to do), nothing internal."""

    type: Literal["shared_finding"] = "shared_finding"
    code: str
    title: str
    remedy: str


ScanReason = Literal["technician", "automatic", "freeze"]  # freeze: the full-resolution still of a frozen frame
ScanOutcome = Literal["requested", "reading", "found", "already_reported", "no_code", "failed"]


class TakeStill(_Msg):
    """To the customer: take one full-resolution still now and upload it for this scan (the call goes on)."""

    type: Literal["take_still"] = "take_still"
    scan_id: str
    reason: ScanReason
    upload_path: str  # POST the image here with the customer's token


class ScanStatus(_Msg):
    """To technicians: where a scan is (requested, reading) and how it ended (codes found, none, failed)."""

    type: Literal["scan_status"] = "scan_status"
    scan_id: str
    state: ScanOutcome
    reason: ScanReason
    codes: list[str] = Field(default_factory=list)
    message: str


class ChatEntry(BaseModel):
    """One chat message as pages show it."""

    model_config = ConfigDict(frozen=True)
    message_id: int
    from_id: str
    role: ParticipantRole
    name: str
    text: str  # plain text: pages insert it as text, never as HTML
    state: ChatState
    at: float  # Unix time the server accepted it


class ChatMessage(_Msg):
    """A chat message accepted by the server (to its sender with the sender's client_id, to the others without)."""

    type: Literal["chat"] = "chat"
    message: ChatEntry
    client_id: str | None = None


class ChatStatus(_Msg):
    """These messages got further: delivered to, or read on, the other side's page."""

    type: Literal["chat_status"] = "chat_status"
    message_ids: list[int]
    state: ChatState


class ChatHistory(_Msg):
    """After welcome: the session's chat so far (also after a reconnect or a move to another node)."""

    type: Literal["chat_history"] = "chat_history"
    messages: list[ChatEntry]


class MarkAdded(_Msg):
    """A mark appeared (layer: over the live video or over the frozen frame)."""

    type: Literal["mark_added"] = "mark_added"
    mark: Mark
    layer: MarkLayer
    by: str


class MarkRemoved(_Msg):
    """A mark was taken away (undo)."""

    type: Literal["mark_removed"] = "mark_removed"
    id: str
    layer: MarkLayer


class MarksCleared(_Msg):
    """Every mark of a layer was taken away."""

    type: Literal["marks_cleared"] = "marks_cleared"
    layer: MarkLayer
    by: str


class PointerAt(_Msg):
    """Where a technician's laser dot is (visible False: it went away)."""

    type: Literal["pointer_at"] = "pointer_at"
    by: str
    x: float
    y: float
    visible: bool
    colour: str


class MarkPosition(BaseModel):
    """Where the scene tracker sees a live mark now: h maps the mark's drawn points (normalised) to where they
    are in the current frame (a 3x3 homography, row-major); visible False: its region is out of view."""

    model_config = ConfigDict(frozen=True)
    id: str
    h: list[float] = Field(min_length=9, max_length=9)
    visible: bool


class MarkPositions(_Msg):
    """The tracker's latest positions of the live marks (sent at >= 10 per second while marks exist)."""

    type: Literal["mark_positions"] = "mark_positions"
    positions: list[MarkPosition]


class FreezeState(_Msg):
    """The call shows a frozen frame (image: base64 JPEG of it) or went back to live (frozen False)."""

    type: Literal["freeze_state"] = "freeze_state"
    frozen: bool
    freeze_id: str = ""
    by: str = ""
    image_jpeg_b64: str = ""
    width: int = 0
    height: int = 0
    source: FreezeSource | Literal[""] = ""


class MarksState(_Msg):
    """On joining: the marks shown right now (live ones with their tracked positions, and the frozen frame's);
    replaces whatever the page showed. A freeze_state follows when a frame is frozen."""

    type: Literal["marks_state"] = "marks_state"
    live: list[Mark]
    still: list[Mark]
    positions: list[MarkPosition]


class CameraCommand(_Msg):
    """To the customer: a technician changes the camera; the page applies it, shows a notice with Undo, answers."""

    type: Literal["camera_command"] = "camera_command"
    command_id: str
    control: CameraControlName
    value: CameraValue
    by: str
    by_name: str


class CameraState(_Msg):
    """To technicians: what the customer's camera can be told to do (None: no camera running)."""

    type: Literal["camera_state"] = "camera_state"
    caps: CameraCaps | None


class CameraChanged(_Msg):
    """To technicians: a camera change was asked, applied, refused by the device, or undone by the customer."""

    type: Literal["camera_changed"] = "camera_changed"
    command_id: str
    control: CameraControlName
    state: CameraControlState
    value: CameraValue | None = None
    by: str
    message: str = ""


class ErrorMessage(_Msg):
    """Something the client sent was refused; the connection stays open unless `fatal`."""

    type: Literal["error"] = "error"
    code: str
    message: str
    fatal: bool = False
    retry_after_ms: int | None = None  # when trying again later can succeed (a full server): after this long


class Pong(_Msg):
    """Reply to ping."""

    type: Literal["pong"] = "pong"


class RejoinToken(_Msg):
    """To a customer after joining: a token to rejoin this session after a dropped connection.

    The join link may expire during a long call; this one lives as long as a technician's token."""

    type: Literal["rejoin_token"] = "rejoin_token"
    token: str
    expires_at: float


class Ended(_Msg):
    """The session ended (a technician ended it, or the server is shutting down)."""

    type: Literal["ended"] = "ended"
    reason: str


class Reconnect(_Msg):
    """This server is stopping or lost the call's server: connect again (to any node) after the hint; the
    session goes on there (the socket closes right after this message)."""

    type: Literal["reconnect"] = "reconnect"
    reason: Literal["server_draining", "server_lost"]
    retry_after_ms: int


ServerMessage = (
    Welcome | Answer | ParticipantJoined | ParticipantLeft | ParticipantMuted | VideoRequested | VideoState
    | StopVideo | Renegotiate | FindingMessage | SharedFinding | ErrorMessage | Pong | Ended | RejoinToken
    | TakeStill | ScanStatus | Reconnect | ChatMessage | ChatStatus | ChatHistory | MarkAdded | MarkRemoved
    | MarksCleared | PointerAt | MarkPositions | FreezeState | MarksState | CameraCommand | CameraState | CameraChanged
)


class ProtocolError(Exception):
    """A message that cannot be accepted, with a code and a sentence for the sender."""

    def __init__(self, code: str, message: str, retry_after_ms: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms

    def to_message(self, fatal: bool = False) -> ErrorMessage:
        """The error as a wire message."""
        return ErrorMessage(code=self.code, message=self.message, fatal=fatal, retry_after_ms=self.retry_after_ms)


def parse_client_message(raw: str | bytes, max_bytes: int) -> ClientMessage:
    """Parse and validate one client message, raising ProtocolError with a precise code."""
    # surrogatepass: a lone surrogate must reach json.loads and be refused there, not crash the size check
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise ProtocolError("message_too_large", f"Message of {size} bytes exceeds the {max_bytes}-byte limit.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("malformed_json", "Message is not valid JSON.") from exc
    except RecursionError as exc:  # [[[[...]]]] a few thousand deep
        raise ProtocolError("malformed_json", "Message is nested too deeply.") from exc
    if not isinstance(data, dict):
        raise ProtocolError("malformed_message", "Message must be a JSON object.")
    version = data.get("v", PROTOCOL_VERSION)
    if version != PROTOCOL_VERSION:
        raise ProtocolError("unsupported_version", f"Protocol version {repr(version)[:40]} is not supported; use {PROTOCOL_VERSION}.")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("malformed_message", "Message needs a string 'type'.")
    try:
        return _client_adapter.validate_python(data)
    except ValidationError as exc:
        errors = exc.errors()
        if errors and errors[0].get("type") == "union_tag_invalid":
            raise ProtocolError("unknown_type", f"Unknown message type {kind[:40]!r}.") from exc
        loc = errors[0]["loc"] if errors else ()
        why = errors[0]["msg"] if errors else "invalid"
        # bounded: an error never echoes much of what the sender chose (key names, values)
        where = ".".join(str(p) for p in loc if p != kind)[:80].encode("ascii", "backslashreplace").decode() or "message"
        raise ProtocolError("invalid_message", f"Invalid {kind[:40]!r} message: {where}: {why[:120]}.") from exc


def dump(msg: BaseModel) -> str:
    """Serialise a server message to JSON text."""
    return msg.model_dump_json()
