"""Camera controls of one call without I/O: what the customer's camera can do, and the changes asked of it.

The customer's page reports its camera's capabilities; a technician's change is checked against them, sent to
the page (which applies it, shows a notice and can undo it) and every step is put on the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import messages as m


class CameraRefused(Exception):
    """A change that cannot be asked of this camera, with a code and a sentence for the technician."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_supported(caps: m.CameraCaps | None, msg: m.CameraSet) -> None:
    """Raise CameraRefused unless the customer's camera offers this control and value."""
    if caps is None:
        raise CameraRefused("video_off", "The customer's camera is not running.")
    value = msg.value
    if msg.control == "torch" and not caps.torch:
        raise CameraRefused("camera_unsupported", "The customer's camera has no torch the browser can switch.")
    if msg.control == "zoom":
        if caps.zoom is None:
            raise CameraRefused("camera_unsupported", "The customer's camera offers no zoom the browser can set.")
        assert isinstance(value, float | int)
        if not caps.zoom.min <= value <= caps.zoom.max:
            raise CameraRefused("camera_out_of_range",
                                f"The zoom must be between {caps.zoom.min:g} and {caps.zoom.max:g}.")
    if msg.control == "focus":
        if isinstance(value, tuple) and not caps.points_of_interest:
            raise CameraRefused("camera_unsupported", "The customer's camera cannot focus on a chosen point.")
        if isinstance(value, str) and value not in caps.focus_modes:
            raise CameraRefused("camera_unsupported", f"The customer's camera has no {value!r} focus mode.")


def payload(control: str, state: str, value: m.CameraValue | None, message: str = "") -> dict[str, object]:
    """The camera_control event as it goes on the record (tickets/session_events.py CameraControlPayload)."""
    stored = list(value) if isinstance(value, tuple) else value
    return {"control": control, "state": state, "value": stored, "message": message}


@dataclass(frozen=True, slots=True)
class Command:
    """A change sent to the customer's page."""

    id: str
    control: m.CameraControlName
    value: m.CameraValue
    by: str


@dataclass
class CameraDesk:
    """The customer's camera as the room knows it: its capabilities and the changes asked of it."""

    caps: m.CameraCaps | None = None
    commands: dict[str, Command] = field(default_factory=dict)
    issued: int = 0

    def command(self, by: str, msg: m.CameraSet) -> Command:
        """Check and number a technician's change (CameraRefused if the camera cannot do it)."""
        check_supported(self.caps, msg)
        self.issued += 1
        cmd = Command(f"k{self.issued}", msg.control, msg.value, by)
        self.commands[cmd.id] = cmd
        while len(self.commands) > 64:  # answers come within seconds; an old id is of no use
            del self.commands[next(iter(self.commands))]
        return cmd
