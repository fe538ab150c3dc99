"""Recordings on the store: a finished one recorded on its row, and those a crash of this node left unfinished."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from atrest.sealed import AtRestKey
from media.recorder import RecordingInfo, recover
from tickets.store import TicketStore

log = logging.getLogger(__name__)


async def store_recording(store: TicketStore, recording_id: str, info: RecordingInfo,
                          status: str = "finalised") -> None:
    """Record a finished (or recovered) recording file on its row."""
    await store.finalise_recording(recording_id, path=str(info.path), duration_s=info.duration_s,
                                   size_bytes=info.size_bytes, status=status,
                                   poster_path=str(info.poster_path) if info.poster_path else None)


async def recover_recordings(store: TicketStore, recordings_dir: Path, node_id: str,
                             key: AtRestKey | None) -> None:
    """Finalise recordings a crash of this node left unfinished; another node's live ones are not touched."""
    def folders() -> list[Path]:
        return sorted(p for p in recordings_dir.iterdir() if p.is_dir()) if recordings_dir.is_dir() else []

    for folder in await asyncio.to_thread(folders):
        for info in await asyncio.to_thread(recover, folder, key=key):
            # the recorder is named by its recording row id (see calls/manager.py)
            log.info("session %s: recovered recording %s (%.1f s)", folder.name, info.path, info.duration_s)
            try:
                await store_recording(store, info.session_id, info, status="recovered")
            except Exception:
                log.exception("session %s: recovered recording %s has no database row", folder.name, info.path)
    # What is still "recording" now had no media to recover: close it so nobody waits for it.
    for rec in await store.unfinished_recordings(node_id):
        log.info("session %s: recording %s captured nothing before the restart", rec.session_id, rec.id)
        await store.mark_recording_empty(rec.id)
