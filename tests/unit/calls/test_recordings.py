"""calls/recordings.py: recovery at start finalises what a crash of this node left, and closes the empty rows."""

from __future__ import annotations

from pathlib import Path

from calls.recordings import recover_recordings
from media.recorder import SessionRecorder
from testkit.synthetic_media import as_frames, encode_opus, encode_vp8
from tickets.store import TicketStore


async def test_a_crashed_recording_is_recovered_and_an_empty_one_closed(tmp_path: Path) -> None:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    await store.migrate()
    recordings = tmp_path / "recordings"
    try:
        ticket = await store.create_ticket("Boiler", created_by="tech-1")
        session = await store.create_session(ticket.id, created_by="tech-1")
        crashed = await store.add_recording(session.id, str(recordings / session.id), node_id="node-a")
        captured_nothing = await store.add_recording(session.id, str(recordings / session.id), node_id="node-a")
        elsewhere = await store.add_recording(session.id, str(recordings / session.id), node_id="node-b")
        recorder = SessionRecorder(recordings / session.id, crashed.id)
        recorder.start()
        t0 = recorder.started_at
        assert t0 is not None
        frames = [*as_frames(encode_vp8(160, 120, fps=15, seconds=1.5, keyint=15), kind="video", start_arrival=t0),
                  *as_frames(encode_opus(seconds=1.5), kind="audio", start_arrival=t0)]
        for frame in sorted(frames, key=lambda f: f.arrival):
            recorder.push("customer", frame)
        # The process dies: the writer stops, nothing is finalised, the folder's lock goes away.
        assert recorder._writer is not None and recorder._layout is not None
        recorder._writer.stop()
        recorder._layout.unlock()

        await recover_recordings(store, recordings, "node-a", None)

        done = await store.get_recording(crashed.id)
        assert done is not None and done.status == "recovered" and done.duration_s is not None
        assert done.duration_s > 0.8 and done.path and done.size_bytes
        empty = await store.get_recording(captured_nothing.id)
        assert empty is not None and empty.status == "empty"
        other = await store.get_recording(elsewhere.id)
        assert other is not None and other.status == "recording"  # another node's call may still be live
    finally:
        await store.close()
