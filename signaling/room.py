"""Room state machine without I/O: events in, actions out (sans-I/O, tested without sockets)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from vocabulary import ParticipantRole, VideoPhase

from . import annotation as a
from . import camera as cam
from . import messages as m
from .chat import CHAT_BURST, CHAT_RATE_PER_S, ChatLog, ChatRefused
from .ratelimit import TokenBucket

MAX_TECHNICIANS = 4


# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Joined:
    """A connection authenticated and asks to join."""

    participant_id: str
    role: ParticipantRole
    name: str
    ice_servers: tuple[m.IceServer, ...] = ()  # this participant's own STUN/TURN servers and credentials


@dataclass(frozen=True, slots=True)
class Left:
    """A connection closed or said bye."""

    participant_id: str


@dataclass(frozen=True, slots=True)
class Said:
    """A joined participant sent a room-level message (video/mute/bye)."""

    participant_id: str
    message: (m.VideoRequest | m.VideoAccept | m.VideoDecline | m.VideoStarted | m.VideoStop | m.Mute | m.Bye
              | m.ScanFailed | m.ChatSend | m.ChatReceipt | a.AnnotationMessage | m.CameraCapabilities | m.CameraSet
              | m.CameraResult)


@dataclass(frozen=True, slots=True)
class ScanAsked:
    """A technician pressed Scan, or the server wants a closer look at a code it could not confirm."""

    by: str  # participant id, or SERVER
    scan_id: str
    reason: m.ScanReason


@dataclass(frozen=True, slots=True)
class StillReceived:
    """The customer's page uploaded the still of a scan (its bytes are with the caller, not here)."""

    scan_id: str
    detail: dict[str, str]


@dataclass(frozen=True, slots=True)
class ScanEnded:
    """The still was read: what came of it."""

    scan_id: str
    outcome: ScanResult
    codes: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True, slots=True)
class ScanTimedOut:
    """The scan's time for an upload ran out."""

    scan_id: str


ScanResult = Literal["found", "already_reported", "no_code", "failed"]
ScanEvent = ScanAsked | StillReceived | ScanEnded | ScanTimedOut
Event = Joined | Left | Said | ScanEvent | a.AnnotationEvent
SERVER = "server"
CameraMessage = m.CameraCapabilities | m.CameraSet | m.CameraResult


# --- actions ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Send a message to one participant."""

    to: str
    message: m.ServerMessage


@dataclass(frozen=True, slots=True)
class Reject:
    """Refuse what a participant did; the connection survives unless fatal (then it is closed)."""

    to: str
    code: str
    message: str
    fatal: bool = False


@dataclass(frozen=True, slots=True)
class VideoChanged:
    """The media layer should know whether the customer's video is expected (start/stop forwarding, analysis)."""

    active: bool


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """A technician ended the session for everyone: close all connections, finalise the recording."""

    by: str


@dataclass(frozen=True, slots=True)
class Audit:
    """Something worth an audit-log line."""

    actor: str
    action: str
    detail: dict[str, str]


@dataclass(frozen=True, slots=True)
class ScanStarted:
    """A still was asked for: the caller arms the scan's upload timeout."""

    scan_id: str


@dataclass(frozen=True, slots=True)
class Record:
    """Put a session event on the record (stored with its moment in the recording before later actions run).

    kind and payload follow the session-event vocabulary (tickets/session_events.py); actor is a participant id
    or SERVER."""

    kind: str
    payload: dict[str, Any]
    actor: str


Action = (Send | Reject | VideoChanged | SessionEnded | Audit | ScanStarted | Record | a.CaptureFreeze
          | a.TrackMarks)


@dataclass(slots=True)
class ActiveScan:
    """The one scan a room runs at a time."""

    id: str
    reason: m.ScanReason
    by: str
    phase: Literal["waiting", "reading"] = "waiting"


@dataclass(slots=True)
class _Participant:
    id: str
    role: ParticipantRole
    name: str
    muted: bool = False

    def info(self) -> m.ParticipantInfo:
        return m.ParticipantInfo(id=self.id, role=self.role, name=self.name, muted=self.muted)


@dataclass
class Room:
    """One support session's call: participants and the video negotiation state."""

    session_id: str
    recording: bool = True
    participants: dict[str, _Participant] = field(default_factory=dict)
    video: VideoPhase = "off"
    ended: bool = False
    scan: ActiveScan | None = None
    chat: ChatLog = field(default_factory=ChatLog)
    camera: cam.CameraDesk = field(default_factory=cam.CameraDesk)
    chat_buckets: dict[str, TokenBucket] = field(default_factory=dict)  # per participant: people type slowly
    clock: Callable[[], float] = time.time  # wall time for chat messages (tests pass their own)
    board: a.AnnotationBoard = field(default_factory=a.AnnotationBoard)

    @property
    def customer(self) -> _Participant | None:
        """The customer in the call, if any."""
        return next((p for p in self.participants.values() if p.role == "customer"), None)

    def technicians(self) -> list[_Participant]:
        """Technicians in the call."""
        return [p for p in self.participants.values() if p.role == "technician"]

    def handle(self, event: Event) -> list[Action]:
        """Apply one event and return what must happen as a result."""
        if isinstance(event, ScanAsked | StillReceived | ScanEnded | ScanTimedOut):
            return [] if self.ended else self._scan_event(event)
        if isinstance(event, a.FreezeCaptured | a.FreezeFailed | a.MarksTracked):
            return [] if self.ended else self._board(self.board.handle(self.participants, event))
        if self.ended:
            pid = event.participant_id
            return [Reject(pid, "session_ended", "This support session has ended.", fatal=True)]
        if isinstance(event, Joined):
            return self._join(event)
        if isinstance(event, Left):
            return self._leave(event.participant_id)
        if event.participant_id not in self.participants:
            return [Reject(event.participant_id, "not_joined", "Join the session first.")]
        return self._said(self.participants[event.participant_id], event.message)

    # -- handlers --------------------------------------------------------------------------------

    def _join(self, ev: Joined) -> list[Action]:
        if ev.participant_id in self.participants:
            return [Reject(ev.participant_id, "already_joined", "This connection has already joined.")]
        if ev.role == "customer" and self.customer is not None:
            return [Reject(ev.participant_id, "customer_present",
                           "Someone is already connected with this link; close the other tab or ask for a new link.",
                           fatal=True)]
        if ev.role == "technician" and len(self.technicians()) >= MAX_TECHNICIANS:
            return [Reject(ev.participant_id, "room_full", f"At most {MAX_TECHNICIANS} technicians can join a call.",
                           fatal=True)]
        p = _Participant(ev.participant_id, ev.role, ev.name or ev.role.title())
        others = list(self.participants.values())
        self.participants[p.id] = p
        actions: list[Action] = [
            Send(p.id, m.Welcome(participant_id=p.id, role=p.role, session_id=self.session_id,
                                 participants=[o.info() for o in others], video=self.video, recording=self.recording,
                                 ice_servers=list(ev.ice_servers))),
        ]  # "joined" and "ended" are audited by the store with the participant and session rows
        if self.chat.entries:  # a page that reconnects (or a late technician) sees what was said
            actions.append(Send(p.id, m.ChatHistory(messages=self.chat.history())))
        if p.role == "technician" and self.camera.caps is not None:
            actions.append(Send(p.id, m.CameraState(caps=self.camera.caps)))
        actions += [Send(o.id, m.ParticipantJoined(participant=p.info())) for o in others]
        return actions + self._board(self.board.joined(p.id))

    def _leave(self, pid: str) -> list[Action]:
        p = self.participants.pop(pid, None)
        if p is None:
            return []
        actions: list[Action] = [Audit(pid, "left", {"role": p.role})]
        actions += self._broadcast(m.ParticipantLeft(participant_id=pid, role=p.role))
        if p.role == "customer" and self.video != "off":
            actions += self._set_video("off", pid, "customer_left")
        if p.role == "customer":
            actions += self._fail_waiting_scan("The customer left before the photo arrived.")
        return actions

    def _said(self, p: _Participant, msg: m.VideoRequest | m.VideoAccept | m.VideoDecline | m.VideoStarted
              | m.VideoStop | m.Mute | m.Bye | m.ScanFailed | m.ChatSend | m.ChatReceipt
              | a.AnnotationMessage | CameraMessage) -> list[Action]:
        if isinstance(msg, m.CameraCapabilities | m.CameraSet | m.CameraResult):
            return self._camera(p, msg)
        if isinstance(msg, m.ChatSend):
            return self._chat(p, msg)
        if isinstance(msg, m.ChatReceipt):
            return self._chat_receipt(p, msg)
        if isinstance(msg, m.MarkAdd | m.MarkRemove | m.MarksClear | m.PointerMove | m.Freeze | m.Resume):
            return self._board(self.board.said(p.id, p.role == "technician", self.video == "active",
                                               self.participants, msg))
        if isinstance(msg, m.ScanFailed):
            return self._scan_failed(p, msg)
        if isinstance(msg, m.Mute):
            p.muted = msg.muted
            return self._broadcast(m.ParticipantMuted(participant_id=p.id, muted=msg.muted), exclude=p.id)
        if isinstance(msg, m.Bye):
            if msg.end_session:
                if p.role != "technician":
                    return [Reject(p.id, "not_allowed", "Only a technician can end the session for everyone.")]
                self.ended = True
                return [*self._broadcast(m.Ended(reason="ended_by_technician")), SessionEnded(p.id)]
            return self._leave(p.id)
        if isinstance(msg, m.VideoRequest):
            return self._video_request(p)
        if isinstance(msg, m.VideoAccept | m.VideoDecline):
            return self._video_answer(p, accepted=isinstance(msg, m.VideoAccept))
        if isinstance(msg, m.VideoStarted):
            if p.role != "customer":
                return [Reject(p.id, "not_allowed", "Only the customer's camera is shared in a call.")]
            return self._set_video("active", p.id, msg.facing)
        return self._video_stop(p)

    def _video_request(self, p: _Participant) -> list[Action]:
        if p.role != "technician":
            return [Reject(p.id, "not_allowed", "Customers start their camera directly; no request is needed.")]
        customer = self.customer
        if customer is None:
            return [Reject(p.id, "no_customer", "The customer has not joined yet.")]
        if self.video in ("active", "accepted"):
            return [Reject(p.id, "video_active", "The customer's video is already on.")]
        actions: list[Action] = [Send(customer.id, m.VideoRequested(by=p.id, by_name=p.name))]
        return actions + self._set_video("requested", p.id, "requested")

    def _video_answer(self, p: _Participant, *, accepted: bool) -> list[Action]:
        if p.role != "customer":
            return [Reject(p.id, "not_allowed", "Only the customer can answer a video request.")]
        if self.video != "requested":
            return [Reject(p.id, "no_request", "There is no pending video request.")]
        return self._set_video("accepted" if accepted else "off", p.id, "accepted" if accepted else "declined")

    def _video_stop(self, p: _Participant) -> list[Action]:
        if self.video == "off":
            return [Reject(p.id, "video_off", "Video is already off.")]
        customer = self.customer
        if p.role == "technician" and customer is not None and self.video in ("active", "accepted"):
            # The customer's page owns the camera: ask it to stop; it confirms with its own video_stop.
            return [Send(customer.id, m.StopVideo(by=p.id)), Audit(p.id, "video_stop_requested", {})]
        return self._set_video("off", p.id, "stopped")

    def _set_video(self, phase: VideoPhase, by: str, reason: str) -> list[Action]:
        was_active = self.video == "active"
        self.video = phase
        actions: list[Action] = self._broadcast(m.VideoState(state=phase, by=by, reason=reason))
        actions.append(Audit(by, f"video_{phase}", {"reason": reason}))
        if (phase == "active") != was_active:
            actions.append(VideoChanged(active=phase == "active"))
        if phase == "off" and self.camera.caps is not None:  # no camera, nothing to control
            self.camera.caps = None
            actions += self._to_technicians(m.CameraState(caps=None))
        if phase != "active":
            actions += self._fail_waiting_scan("The customer's camera stopped before the photo arrived.")
        return actions

    # -- camera controls ----------------------------------------------------------------------------

    def _camera(self, p: _Participant, msg: CameraMessage) -> list[Action]:
        if isinstance(msg, m.CameraSet):
            return self._camera_set(p, msg)
        if p.role != "customer":
            return [Reject(p.id, "not_allowed", "Only the customer's page speaks for its camera.")]
        if isinstance(msg, m.CameraCapabilities):
            self.camera.caps = msg.caps
            return [Record("camera_capabilities", msg.caps.model_dump(mode="json"), p.id),
                    *self._to_technicians(m.CameraState(caps=msg.caps))]
        command = self.camera.commands.get(msg.command_id)
        if command is None:
            return [Reject(p.id, "unknown_command", "No camera change with this id was asked for.")]
        value = msg.value if msg.value is not None else command.value
        return [Record("camera_control", cam.payload(command.control, msg.state, value, msg.message), p.id),
                *self._to_technicians(m.CameraChanged(command_id=command.id, control=command.control,
                                                      state=msg.state, value=value, by=p.id, message=msg.message))]

    def _camera_set(self, p: _Participant, msg: m.CameraSet) -> list[Action]:
        if p.role != "technician":
            return [Reject(p.id, "not_allowed", "Only a technician can change the customer's camera.")]
        customer = self.customer
        if customer is None:
            return [Reject(p.id, "no_customer", "The customer is not in the call.")]
        if self.video != "active":
            return [Reject(p.id, "video_off", "The customer's camera is not running.")]
        try:
            command = self.camera.command(p.id, msg)
        except cam.CameraRefused as exc:
            return [Reject(p.id, exc.code, exc.message)]
        return [Record("camera_control", cam.payload(msg.control, "requested", msg.value), p.id),
                Send(customer.id, m.CameraCommand(command_id=command.id, control=msg.control, value=msg.value,
                                                  by=p.id, by_name=p.name)),
                *self._to_technicians(m.CameraChanged(command_id=command.id, control=msg.control,
                                                      state="requested", value=msg.value, by=p.id))]

    # -- chat ------------------------------------------------------------------------------------

    def _chat(self, p: _Participant, msg: m.ChatSend) -> list[Action]:
        bucket = self.chat_buckets.setdefault(p.id, TokenBucket(CHAT_RATE_PER_S, CHAT_BURST, self.clock))
        if not bucket.allow():
            return [Reject(p.id, "chat_rate_limited", "Messages are coming too fast; wait a moment and send again.")]
        try:
            entry = self.chat.post(p.id, p.role, p.name, msg.text, self.clock())
        except ChatRefused as exc:
            return [Reject(p.id, exc.code, exc.message)]
        # On the record first: a message is "sent" once it is stored.
        actions: list[Action] = [Record("chat", {"message_id": entry.message_id, "text": entry.text}, p.id),
                                 Send(p.id, m.ChatMessage(message=entry, client_id=msg.client_id))]
        return actions + self._broadcast(m.ChatMessage(message=entry), exclude=p.id)

    def _chat_receipt(self, p: _Participant, msg: m.ChatReceipt) -> list[Action]:
        moved = self.chat.receipt(p.role, msg.message_ids, msg.state)
        if not moved:
            return []
        actions: list[Action] = [Record("chat_status", {"message_id": e.message_id, "state": msg.state}, p.id)
                                 for e in moved]
        return actions + self._broadcast(m.ChatStatus(message_ids=[e.message_id for e in moved], state=msg.state),
                                         exclude=p.id)

    @staticmethod
    def _board(actions: list[a.BoardAction]) -> list[Action]:
        """The board's actions as the room's (its deliveries fanned out to each participant)."""
        out: list[Action] = []
        for act in actions:
            if isinstance(act, a.Deliver):
                out += [Send(pid, act.message) for pid in act.to]
            elif isinstance(act, a.Refuse):
                out.append(Reject(act.to, act.code, act.message))
            elif isinstance(act, a.Recorded):
                out.append(Record(act.kind, act.payload, act.actor))
            else:
                out.append(act)
        return out

    # -- scans -----------------------------------------------------------------------------------

    def _scan_event(self, ev: ScanEvent) -> list[Action]:
        if isinstance(ev, ScanAsked):
            return self._scan_asked(ev)
        scan = self.scan
        if scan is None or scan.id != ev.scan_id:
            if isinstance(ev, StillReceived):
                return [Reject(SERVER, "no_scan_requested", "No scan with this id is waiting for a photo.")]
            return []
        if isinstance(ev, StillReceived):
            if scan.phase != "waiting":
                return [Reject(SERVER, "still_already_received", "This scan's photo has already arrived.")]
            scan.phase = "reading"
            return [*self._to_technicians(self._status(scan, "reading", "Reading the customer's photo…")),
                    Audit("customer", "scan_uploaded", {"scan": scan.id, **ev.detail})]
        if isinstance(ev, ScanTimedOut):
            if scan.phase != "waiting":
                return []  # the photo is here and being read; its result ends the scan
            return self._end_scan("failed", (), "The customer's page sent no photo in time.")
        return self._end_scan(ev.outcome, ev.codes, ev.message or _outcome_text(ev.outcome, ev.codes))

    def _scan_asked(self, ev: ScanAsked) -> list[Action]:
        automatic = ev.reason != "technician"  # the server asked (itself, or for a freeze): no refusal to show
        customer = self.customer
        problem: tuple[str, str] | None = None
        if ev.by != SERVER and (p := self.participants.get(ev.by)) is not None and p.role != "technician":
            problem = ("not_allowed", "Only a technician can ask for a scan.")
        elif customer is None:
            problem = ("no_customer", "The customer is not in the call.")
        elif self.video != "active":
            problem = ("video_off", "A scan needs the customer's camera to be on.")
        elif self.scan is not None:
            problem = ("scan_running", "A scan is already running; wait for its result.")
        if problem is not None or customer is None:
            return [] if automatic or problem is None else [Reject(ev.by, *problem)]
        self.scan = ActiveScan(ev.scan_id, ev.reason, ev.by)
        path = f"/api/sessions/{self.session_id}/scans/{ev.scan_id}/still"
        asking = {"technician": "Asking the customer's camera for a full-resolution photo…",
                  "automatic": "A code could not be confirmed from the video: asking the customer's camera for a "
                               "full-resolution photo…",
                  "freeze": "Asking the customer's camera for a full-resolution photo of the frozen frame…"}[ev.reason]
        return [Send(customer.id, m.TakeStill(scan_id=ev.scan_id, reason=ev.reason, upload_path=path)),
                *self._to_technicians(self._status(self.scan, "requested", asking)),
                Audit(ev.by, "scan_requested", {"scan": ev.scan_id, "reason": ev.reason}),
                ScanStarted(ev.scan_id)]

    def _scan_failed(self, p: _Participant, msg: m.ScanFailed) -> list[Action]:
        if p.role != "customer":
            return [Reject(p.id, "not_allowed", "Only the customer's page takes scan photos.")]
        if self.scan is None or self.scan.id != msg.scan_id or self.scan.phase != "waiting":
            return [Reject(p.id, "no_scan_requested", "No scan with this id is waiting for a photo.")]
        why = f": {msg.reason}" if msg.reason else "."
        return self._end_scan("failed", (), f"The customer's camera could not take the photo{why}")

    def _fail_waiting_scan(self, message: str) -> list[Action]:
        if self.scan is None or self.scan.phase != "waiting":
            return []
        return self._end_scan("failed", (), message)

    def _end_scan(self, outcome: ScanResult, codes: tuple[str, ...], message: str) -> list[Action]:
        scan = self.scan
        assert scan is not None
        self.scan = None
        # The audit line first: whoever sees the status can already find it on the record.
        return [Audit(SERVER, "scan_result", {"scan": scan.id, "outcome": outcome, "codes": ",".join(codes)}),
                *self._to_technicians(self._status(scan, outcome, message, codes))]

    @staticmethod
    def _status(scan: ActiveScan, state: m.ScanOutcome, message: str, codes: tuple[str, ...] = ()) -> m.ScanStatus:
        return m.ScanStatus(scan_id=scan.id, state=state, reason=scan.reason, codes=list(codes), message=message)

    def _to_technicians(self, msg: m.ServerMessage) -> list[Action]:
        return [Send(t.id, msg) for t in self.technicians()]

    def _broadcast(self, msg: m.ServerMessage, exclude: str | None = None) -> list[Action]:
        return [Send(pid, msg) for pid in self.participants if pid != exclude]


def _outcome_text(outcome: ScanResult, codes: tuple[str, ...]) -> str:
    listed = ", ".join(codes)
    return {"found": f"Scan read {listed}.", "already_reported": f"Scan read {listed} (already on the ticket).",
            "no_code": "Scan found no code.", "failed": "The scan failed."}[outcome]
