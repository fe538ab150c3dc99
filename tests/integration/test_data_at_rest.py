"""Issue 15 items 8 and 11: every file a call leaves in the data dir is owner-only from the start; a join without
media leaves no recording folder or row."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import httpx
import pytest

from testkit.peers import EncodedClip, moving_bar_clip
from testkit.servers import running_server
from testkit.session_client import SignalingClient, create_session
from tests.integration.test_recording_server import start_call, wait_media_flowing, wait_recordings
from tests.unit.tickets.factories import make_jpeg

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip() -> EncodedClip:
    return moving_bar_clip(keyframe_interval=60)


def modes(root: Path) -> dict[str, int]:
    """Full st_mode of root and everything under it (os.stat on each), by relative path."""
    found = {".": root.stat().st_mode}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            found[str(path.relative_to(root))] = path.lstat().st_mode
    return found


def loose(found: dict[str, int]) -> dict[str, str]:
    """Entries that are not 0700 folders or 0600 files."""
    return {p: oct(m) for p, m in found.items()
            if stat.S_IMODE(m) != (0o700 if stat.S_ISDIR(m) else 0o600)}


async def test_every_file_of_a_call_is_owner_only_and_a_join_without_media_records_nothing(
        tmp_path: Path, clip: EncodedClip) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # as an operator might have made it
    with running_server(data) as server:
        auth = {"Authorization": f"Bearer {server.technician_token()}"}
        call = await start_call(server, clip)
        await wait_media_flowing(call)
        async with httpx.AsyncClient(base_url=server.url, headers=auth, timeout=30) as http:
            upload = await http.post(f"/api/sessions/{call.session.session_id}/snapshots",
                                     files={"file": ("a.jpg", make_jpeg(3), "image/jpeg")}, data={"note": "fan"})
            assert upload.status_code == 201, upload.text
        await asyncio.sleep(2.0)
        live = modes(data)  # the database's WAL/SHM and the recorder's segments exist now
        await call.close(end_session=True)
        await wait_recordings(server, call.session.ticket_id, "finalised")

        # A second session: both join, nobody sends media, both leave.
        quiet = await create_session(server.url, server.technician_token(), "no media")
        tech = SignalingClient(server.url, server.technician_token(), quiet.session_id)
        customer = SignalingClient(server.url, quiet.join_token, quiet.session_id)
        await tech.connect()
        await customer.connect()
        await customer.close()
        await tech.close()
        await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=server.url, headers=auth, timeout=30) as http:
            rows = (await http.get(f"/api/tickets/{quiet.ticket_id}/recordings")).json()
        assert rows == []
        assert not (data / "recordings" / quiet.session_id).exists()
        after = modes(data)

    names = set(live) | set(after)
    assert any(n.endswith("lensdesk.db-wal") for n in live), sorted(live)
    assert any("/segments" in n or n.endswith(".part") or "seg" in n for n in live if "recordings" in n), sorted(live)
    assert any(n.startswith("snapshots/") for n in names) and any(n.endswith((".webm", ".mkv")) for n in after)
    assert any(n.endswith(".jpg") and n.startswith("recordings") for n in after), sorted(after)  # the poster
    assert loose(live) == {} and loose(after) == {}


def test_the_generated_token_key_is_created_owner_only(tmp_path: Path) -> None:
    from lensdesk.settings import Settings

    previous = os.umask(0o022)
    try:
        key = Settings(data_dir=tmp_path / "d").resolved_secret()
        again = Settings(data_dir=tmp_path / "d").resolved_secret()
    finally:
        os.umask(previous)
    path = tmp_path / "d" / "secret.key"
    assert key == again and len(key) >= 48
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
