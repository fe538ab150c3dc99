"""Attach what a re-analysis of a session recording found to its ticket (e.g. after the code catalog grew)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from atrest.sealed import AtRestKey
from calls.findings import new_finding
from diagnostics.finding import Finding
from tickets.store import TicketStore


class NotARecording(Exception):
    """The file is not a recording lensdesk knows, so there is no ticket to attach to."""


@dataclass(frozen=True)
class AttachOutcome:
    """What re-analysis did on the ticket."""

    ticket_id: str
    session_id: str
    attached: list[str]  # codes newly attached
    already_known: list[str]  # codes the ticket had (live, manual, an earlier re-analysis, or dismissed)


async def attach_to_ticket(database_url: str, data_dir: Path, at_rest_key: AtRestKey | None, recording: Path,
                           findings: list[Finding]) -> AttachOutcome:
    """Attach findings whose code the recording's ticket does not have yet; in a recording, time = offset
    (database_url, data_dir: the server's store, its data dir resolved)."""
    path = str(await asyncio.to_thread(recording.resolve))
    store = TicketStore(database_url, data_dir, at_rest_key)
    try:
        await store.migrate()
        record = await store.recording_by_path(path)
        if record is None:
            raise NotARecording(f"{recording} is not a lensdesk session recording (no recording row has this path); "
                                "pass the file under the data dir's recordings/ folder.")
        known = {f.code for f in await store.list_findings(record.ticket_id)}
        attached: list[str] = []
        skipped: list[str] = []
        for f in findings:
            if f.code in known:
                skipped.append(f.code)
                continue
            await store.attach_finding(record.session_id, new_finding(
                f, offset_s=f.frame_time, source="reanalysis", snapshot_jpeg=f.snapshot_jpeg, actor="reanalysis"))
            known.add(f.code)
            attached.append(f.code)
        return AttachOutcome(record.ticket_id, record.session_id, attached, skipped)
    finally:
        await store.close()
