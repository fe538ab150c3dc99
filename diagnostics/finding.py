"""The result diagnostics hands out: one confirmed error code read from a device screen."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """A confirmed error code with what the catalog knows about it and the best frame it was read in."""

    code: str  # normalised, e.g. "0x8007045D", "E-204"
    family: str | None  # catalog family / vendor if known
    title: str | None
    cause: str | None
    remedy: str | None
    severity: str  # "info" | "warning" | "error" | "critical" | "unknown"
    known: bool  # in catalog
    text: str  # surrounding message text read from the screen
    confidence: float  # 0..1
    frame_time: float  # seconds, the timestamp passed with the best frame
    snapshot_jpeg: bytes  # best frame, JPEG
    frames_seen: int
    shown: str = ""  # the code as the screen shows it, its label included ("FAULT 146", "Error code: E-204")

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly view without the snapshot bytes (their size instead)."""
        return {
            "code": self.code, "family": self.family, "title": self.title, "cause": self.cause,
            "remedy": self.remedy, "severity": self.severity, "known": self.known, "text": self.text,
            "confidence": round(self.confidence, 3), "frame_time": round(self.frame_time, 3),
            "frames_seen": self.frames_seen, "snapshot_bytes": len(self.snapshot_jpeg), "shown": self.shown or self.code,
        }
