"""calls/findings.py maps a diagnostics Finding onto the store; web.common_api.finding_view shows the stored one."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from pydantic import TypeAdapter

from calls.findings import new_finding
from diagnostics.finding import Finding
from tickets.store import TicketStore
from vocabulary import FindingView
from web.common_api import finding_view


def jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((24, 32, 3), 200, np.uint8))
    assert ok
    return data.tobytes()


def finding(code: str, *, known: bool = True) -> Finding:
    return Finding(code=code, family="Acme" if known else None, title="Pump blocked" if known else None,
                   cause=None, remedy="Clean the filter" if known else None, severity="error" if known else "unknown",
                   known=known, text=f"ERROR {code}", confidence=0.87, frame_time=12.5, snapshot_jpeg=jpeg(),
                   frames_seen=4)


async def test_live_scan_and_reanalysis_findings_are_stored_and_shown_alike(tmp_path: Path) -> None:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    await store.migrate()
    try:
        ticket = await store.create_ticket("Dishwasher", created_by="tech-1")
        session = await store.create_session(ticket.id, created_by="tech-1")
        live = await store.attach_finding(session.id, new_finding(finding("E-204"), offset_s=3.25, source="live",
                                                                  snapshot_jpeg=jpeg()))
        later = await store.attach_finding(session.id, new_finding(
            finding("F7", known=False), offset_s=12.5, source="reanalysis", snapshot_jpeg=jpeg(), actor="reanalysis"))
        assert (live.code, live.family, live.title, live.cause, live.remedy, live.severity, live.known) == (
            "E-204", "Acme", "Pump blocked", "", "Clean the filter", "error", True)
        assert (live.text, live.confidence, live.frame_time, live.offset_s, live.source, live.created_by) == (
            "ERROR E-204", 0.87, 12.5, 3.25, "live", "diagnostics")
        assert (later.family, later.title, later.remedy, later.known, later.source, later.created_by) == (
            "", "", "", False, "reanalysis", "reanalysis")
        shown = TypeAdapter(FindingView).dump_python(finding_view(live), mode="json")
        assert shown["id"] == live.id and shown["ticket_id"] == ticket.id and shown["code"] == "E-204"
        assert shown["snapshot_url"] == f"/api/snapshots/{live.snapshot_id}" and shown["offset_s"] == 3.25
        assert isinstance(shown["created_at"], str) and shown["dismissed"] is False
    finally:
        await store.close()
