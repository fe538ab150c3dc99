"""The one mapping of a diagnostics Finding onto the ticket store (the stored one is shown by web.common_api.finding_view)."""

from __future__ import annotations

from diagnostics.finding import Finding
from tickets.records import NewFinding
from vocabulary import FindingSource


def new_finding(finding: Finding, *, offset_s: float | None, source: FindingSource, snapshot_jpeg: bytes,
                actor: str = "diagnostics") -> NewFinding:
    """What the store attaches for a finding of the live analysis, a scan or a re-analysis of a recording."""
    return NewFinding(code=finding.code, family=finding.family or "", title=finding.title or "",
                      cause=finding.cause or "", remedy=finding.remedy or "", severity=finding.severity,
                      known=finding.known, text=finding.text, confidence=finding.confidence,
                      frame_time=finding.frame_time, offset_s=offset_s, snapshot_jpeg=snapshot_jpeg, source=source,
                      note="", actor=actor)


