"""The annotation board of one room (sans-I/O): live marks, the laser pointer, the frozen frame and its marks.

Technicians draw; everyone in the room sees. Live marks stay on the scene (the server's tracker sends their
positions); a freeze shows one frame as a still with its own marks, which go away with it on resume. The board
keeps all of it so a participant who (re)joins gets the current picture.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from vocabulary import FreezeSource

from . import messages as m

MAX_MARKS = 64  # per layer: a technician never needs more at once, and a rejoin must stay small
IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)

FREEZE_IMAGE = "image_jpeg_b64"  # in a freeze's Recorded payload: the image, stored apart by the root
RecordKind = Literal["annotation", "annotation_update", "annotation_clear", "freeze", "resume"]


# --- events (from the call manager: the tracker and the freeze capture live outside the room) -------------


@dataclass(frozen=True, slots=True)
class FreezeCaptured:
    """The frame asked for by a freeze is here (JPEG, base64), ready to show."""

    freeze_id: str
    image_jpeg_b64: str
    width: int
    height: int
    source: FreezeSource


@dataclass(frozen=True, slots=True)
class FreezeFailed:
    """No frame could be had for a freeze (no decoded video yet, analysis busy)."""

    freeze_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class MarksTracked:
    """The scene tracker's latest positions of live marks."""

    positions: tuple[m.MarkPosition, ...]


AnnotationEvent = FreezeCaptured | FreezeFailed | MarksTracked
AnnotationMessage = m.MarkAdd | m.MarkRemove | m.MarksClear | m.PointerMove | m.Freeze | m.Resume


# --- actions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaptureFreeze:
    """Get the customer's current frame for this freeze; answer with FreezeCaptured or FreezeFailed."""

    freeze_id: str


@dataclass(frozen=True, slots=True)
class TrackMarks:
    """The live marks the scene tracker must follow from now on (the whole set; none: stop tracking)."""

    marks: tuple[m.Mark, ...]


@dataclass(frozen=True, slots=True)
class Recorded:
    """Something drawn or shown that belongs on the session's record (kind and payload: the session-event
    vocabulary of tickets.session_events)."""

    actor: str
    kind: RecordKind
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Deliver:
    """Send a message to these participants."""

    to: tuple[str, ...]
    message: m.ServerMessage


@dataclass(frozen=True, slots=True)
class Refuse:
    """Refuse what a participant asked (the connection goes on)."""

    to: str
    code: str
    message: str


BoardAction = CaptureFreeze | TrackMarks | Recorded | Deliver | Refuse


@dataclass(slots=True)
class ShownFreeze:
    """The frozen frame on show (or being captured: image empty)."""

    id: str
    by: str
    image_jpeg_b64: str = ""
    width: int = 0
    height: int = 0
    source: FreezeSource | Literal[""] = ""
    marks: dict[str, m.Mark] = field(default_factory=dict)

    def message(self) -> m.FreezeState:
        """The freeze as the pages take it."""
        return m.FreezeState(frozen=True, freeze_id=self.id, by=self.by, image_jpeg_b64=self.image_jpeg_b64,
                             width=self.width, height=self.height, source=self.source)


def _freeze_recorded(freeze: ShownFreeze) -> Recorded:
    """The freeze on the record with the image shown (the root stores the image and records a reference to it;
    a later record of the same freeze_id, its full-resolution still, replaces the frame)."""
    return Recorded(freeze.by, "freeze", {"freeze_id": freeze.id, "source": freeze.source, "width": freeze.width,
                                          "height": freeze.height, FREEZE_IMAGE: freeze.image_jpeg_b64})


@dataclass
class AnnotationBoard:
    """Marks and freeze of one room; every method returns what must happen (no I/O)."""

    live: dict[str, m.Mark] = field(default_factory=dict)
    positions: dict[str, m.MarkPosition] = field(default_factory=dict)
    freeze: ShownFreeze | None = None
    freezes: int = 0

    @property
    def frozen(self) -> bool:
        """A frozen frame is on show."""
        return self.freeze is not None and bool(self.freeze.image_jpeg_b64)

    def joined(self, pid: str) -> list[BoardAction]:
        """What a participant who just joined must see."""
        # Only when there is something to show: a page drops what it showed on every welcome (a reconnect starts
        # from nothing), and a call without marks says nothing more between the welcome and the rejoin token.
        still = list(self.freeze.marks.values()) if self.frozen and self.freeze else []
        if not self.live and not still and not self.frozen:
            return []
        actions: list[BoardAction] = [Deliver((pid,), m.MarksState(
            live=list(self.live.values()), still=still,
            positions=[self.positions[i] for i in self.live if i in self.positions]))]
        if self.frozen and self.freeze is not None:
            actions.append(Deliver((pid,), self.freeze.message()))
        return actions

    def said(self, pid: str, is_technician: bool, video_active: bool, everyone: Iterable[str],
             msg: AnnotationMessage) -> list[BoardAction]:
        """A participant's annotation message."""
        if not is_technician:
            return [Refuse(pid, "not_allowed", "Only a technician can draw on the video.")]
        all_ids = tuple(everyone)
        others = tuple(i for i in all_ids if i != pid)
        if isinstance(msg, m.PointerMove):
            return [Deliver(others, m.PointerAt(by=pid, x=msg.x, y=msg.y, visible=msg.visible, colour=msg.colour))]
        if isinstance(msg, m.MarkAdd):
            return self._add(pid, all_ids, msg.mark)
        if isinstance(msg, m.MarkRemove):
            return self._remove(pid, all_ids, msg.id)
        if isinstance(msg, m.MarksClear):
            return self._clear(pid, all_ids)
        if isinstance(msg, m.Freeze):
            return self._freeze(pid, video_active)
        return self._resume(pid, all_ids)

    def handle(self, everyone: Iterable[str], event: AnnotationEvent) -> list[BoardAction]:
        """An outcome from outside the room (tracker positions, a captured frame)."""
        all_ids = tuple(everyone)
        if isinstance(event, MarksTracked):
            return self._tracked(all_ids, event.positions)
        freeze = self.freeze
        if freeze is None or freeze.id != event.freeze_id:
            return []  # resumed, or superseded, before the frame came
        if freeze.image_jpeg_b64:
            return self._upgrade(all_ids, freeze, event)
        if isinstance(event, FreezeFailed):
            self.freeze = None
            return [Refuse(freeze.by, "freeze_failed", f"The frame could not be frozen: {event.reason}")]
        freeze.image_jpeg_b64, freeze.width, freeze.height = event.image_jpeg_b64, event.width, event.height
        freeze.source = event.source
        return [Deliver(all_ids, freeze.message()), _freeze_recorded(freeze)]

    @staticmethod
    def _upgrade(everyone: tuple[str, ...], freeze: ShownFreeze, event: FreezeCaptured | FreezeFailed) -> list[BoardAction]:
        """The full-resolution still of a shown freeze arrived: show it instead of the video frame, unless marks
        drawn on the frame would land elsewhere on it (another aspect ratio)."""
        if isinstance(event, FreezeFailed) or event.source != "still" or freeze.source == "still":
            return []
        same_shape = abs(event.width / max(event.height, 1) - freeze.width / max(freeze.height, 1)) < 0.03 * (
            freeze.width / max(freeze.height, 1))
        if freeze.marks and not same_shape:
            return []
        freeze.image_jpeg_b64, freeze.width, freeze.height = event.image_jpeg_b64, event.width, event.height
        freeze.source = "still"
        return [Deliver(everyone, freeze.message()), _freeze_recorded(freeze)]

    # -- handlers --------------------------------------------------------------------------------

    def _layer(self) -> tuple[m.MarkLayer, dict[str, m.Mark]]:
        if self.freeze is not None:
            return "still", self.freeze.marks
        return "live", self.live

    def _add(self, pid: str, everyone: tuple[str, ...], mark: m.Mark) -> list[BoardAction]:
        if self.freeze is not None and not self.frozen:
            return [Refuse(pid, "freeze_pending", "The frame is being frozen; draw once it shows.")]
        layer, marks = self._layer()
        if mark.id in self.live or (self.freeze is not None and mark.id in self.freeze.marks):
            return [Refuse(pid, "duplicate_mark", "A mark with this id is already shown.")]
        if len(marks) >= MAX_MARKS:
            return [Refuse(pid, "too_many_marks", f"At most {MAX_MARKS} marks can be shown at once; clear some.")]
        marks[mark.id] = mark
        payload: dict[str, Any] = {"mark_id": mark.id, "shape": mark.shape, "colour": mark.colour,
                                   "points": [list(p) for p in mark.points]}
        if layer == "still" and self.freeze is not None:
            payload["freeze_id"] = self.freeze.id
        actions: list[BoardAction] = [Deliver(everyone, m.MarkAdded(mark=mark, layer=layer, by=pid)),
                                      Recorded(pid, "annotation", payload)]
        if layer == "live":
            actions.append(TrackMarks(tuple(self.live.values())))
        return actions

    def _remove(self, pid: str, everyone: tuple[str, ...], mark_id: str) -> list[BoardAction]:
        for layer, marks in (("still", self.freeze.marks if self.freeze else {}), ("live", self.live)):
            if mark_id in marks:
                del marks[mark_id]
                actions: list[BoardAction] = [
                    Deliver(everyone, m.MarkRemoved(id=mark_id, layer=layer)),  # type: ignore[arg-type]
                    Recorded(pid, "annotation_clear", {"mark_ids": [mark_id], "reason": "undo"})]
                if layer == "live":
                    self.positions.pop(mark_id, None)
                    actions.append(TrackMarks(tuple(self.live.values())))
                return actions
        return [Refuse(pid, "mark_not_found", "There is no such mark to take away.")]

    def _clear(self, pid: str, everyone: tuple[str, ...]) -> list[BoardAction]:
        layer, marks = self._layer()
        ids = list(marks)
        marks.clear()
        actions: list[BoardAction] = [Deliver(everyone, m.MarksCleared(layer=layer, by=pid)),
                                      Recorded(pid, "annotation_clear", {"mark_ids": ids, "reason": "clear"})]
        if layer == "live":
            self.positions.clear()
            actions.append(TrackMarks(()))
        return actions

    def _freeze(self, pid: str, video_active: bool) -> list[BoardAction]:
        if self.freeze is not None:
            return [Refuse(pid, "already_frozen", "A frame is already frozen; resume first.")]
        if not video_active:
            return [Refuse(pid, "video_off", "Freezing needs the customer's camera to be on.")]
        self.freezes += 1
        self.freeze = ShownFreeze(f"f{self.freezes}", pid)
        return [CaptureFreeze(self.freeze.id)]

    def _resume(self, pid: str, everyone: tuple[str, ...]) -> list[BoardAction]:
        freeze = self.freeze
        if freeze is None:
            return [Refuse(pid, "not_frozen", "The video is live already.")]
        self.freeze = None
        if not freeze.image_jpeg_b64:
            return []  # nothing was shown yet: the capture's answer is ignored
        return [Deliver(everyone, m.FreezeState(frozen=False, freeze_id=freeze.id, by=pid)),
                Recorded(pid, "resume", {"freeze_id": freeze.id})]

    def _tracked(self, everyone: tuple[str, ...], positions: tuple[m.MarkPosition, ...]) -> list[BoardAction]:
        current = [p for p in positions if p.id in self.live]
        if not current:
            return []
        actions: list[BoardAction] = [Deliver(everyone, m.MarkPositions(positions=current))]
        for pos in current:
            before = self.positions.get(pos.id)
            self.positions[pos.id] = pos
            if before is None or before.visible != pos.visible:
                # The record keeps where a mark went in and out of view, not every step of the tracker.
                points = [_apply(pos.h, p) for p in self.live[pos.id].points] if pos.visible else []
                actions.append(Recorded("server", "annotation_update",
                                        {"mark_id": pos.id, "points": points, "visible": pos.visible}))
        return actions


def _apply(h: list[float], point: tuple[float, float]) -> list[float]:
    """A homography applied to one normalised point, clamped to the frame."""
    x, y = point
    w = h[6] * x + h[7] * y + h[8]
    if abs(w) < 1e-9:
        return [min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)]
    return [min(max((h[0] * x + h[1] * y + h[2]) / w, 0.0), 1.0),
            min(max((h[3] * x + h[4] * y + h[5]) / w, 0.0), 1.0)]
