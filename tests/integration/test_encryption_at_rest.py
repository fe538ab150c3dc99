"""Encryption at rest (issue 15): with LENSDESK_RECORDING_KEY set, a real call's segments, recording, poster and
snapshot are sealed on disk; SIGKILL mid-recording and a restart still recover the recording; the review page's
download (whole and by byte ranges, each audited) and the poster and snapshot come back decrypted; without the key
or with another one the server answers a clear error, never ciphertext."""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

import httpx
import pytest

from atrest.sealed import MAGIC
from testkit.peers import EncodedClip, moving_bar_clip
from testkit.servers import running_server
from tests.integration.test_recording_server import (
    decode_all,
    start_call,
    wait_media_flowing,
    wait_recordings,
)
from tests.unit.tickets.factories import make_jpeg

pytestmark = pytest.mark.slow

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(32)).decode()
EBML = b"\x1a\x45\xdf\xa3"  # Matroska/WebM magic


@pytest.fixture(scope="module")
def clip() -> EncodedClip:
    return moving_bar_clip(keyframe_interval=60)


def media_files(data: Path) -> list[Path]:
    return [p for p in (data / "recordings").rglob("*") if p.is_file() and p.name not in ("manifest.json", ".lock")] \
        + [p for p in (data / "snapshots").rglob("*") if p.is_file()]


async def test_sealed_recording_survives_sigkill_and_plays_back_decrypted_with_ranges(
        tmp_path: Path, clip: EncodedClip) -> None:
    data = tmp_path / "data"
    env = {"LENSDESK_RECORDING_KEY": KEY}
    with running_server(data, env=env) as server:
        auth = {"Authorization": f"Bearer {server.technician_token()}"}
        call = await start_call(server, clip)
        await wait_media_flowing(call)
        async with httpx.AsyncClient(base_url=server.url, headers=auth, timeout=30) as http:
            upload = await http.post(f"/api/sessions/{call.session.session_id}/snapshots",
                                     files={"file": ("a.jpg", make_jpeg(3), "image/jpeg")}, data={"note": "fan"})
            assert upload.status_code == 201, upload.text
        await asyncio.sleep(3.0)
        live = media_files(data)
        assert any(".mkv" in p.name for p in live), live  # segments exist while recording ...
        server.kill()  # ... and the server dies mid-recording (SIGKILL)
        killed_after = time.monotonic() - call.recorder_started_by
        await call.close(end_session=False)
    for path in live:  # every segment was sealed from its first byte
        if path.exists():
            assert path.read_bytes()[:len(MAGIC)] == MAGIC, path

    with running_server(data, env=env) as restarted:
        auth = {"Authorization": f"Bearer {restarted.technician_token()}"}
        rows = await wait_recordings(restarted, call.session.ticket_id, "recovered", within_s=30)
        rec = rows[0]
        files = media_files(data)
        assert files and all(p.read_bytes()[:len(MAGIC)] == MAGIC for p in files), files  # nothing plain on disk
        async with httpx.AsyncClient(base_url=restarted.url, headers=auth, timeout=30) as http:
            whole = await http.get(rec["file_url"])
            assert whole.status_code == 200 and whole.content[:4] == EBML
            assert len(whole.content) == rec["size_bytes"] == int(whole.headers["content-length"])
            for asked, first, last in [("bytes=0-99", 0, 99), ("bytes=40000-", 40000, len(whole.content) - 1),
                                       ("bytes=-500", len(whole.content) - 500, len(whole.content) - 1),
                                       ("bytes=32760-32800", 32760, 32800)]:  # across a sealed chunk's edge
                part = await http.get(rec["file_url"], headers={"Range": asked})
                assert part.status_code == 206, part.text
                assert part.content == whole.content[first:last + 1]
                assert part.headers["content-range"] == f"bytes {first}-{last}/{len(whole.content)}"
            beyond = await http.get(rec["file_url"], headers={"Range": f"bytes={len(whole.content)}-"})
            assert beyond.status_code == 416
            audit = (await http.get(f"/api/tickets/{call.session.ticket_id}/audit")).json()
            views = [a for a in audit if a["target"] == f"recording:{rec['id']}" and a["action"] == "viewed"]
            assert len(views) == 6  # the whole file, four ranges and the refused one: each audited
            poster = await http.get(rec["poster_url"])
            assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"
            findings = (await http.get(f"/api/tickets/{call.session.ticket_id}/findings")).json()
            snapshot = await http.get(findings[0]["snapshot_url"])
            assert snapshot.status_code == 200 and snapshot.content == make_jpeg(3)
    path = tmp_path / "recovered.webm"
    path.write_bytes(whole.content)
    last_video, _last_audio, frames = decode_all(path)  # the decrypted recovered file plays to its end
    assert frames > 0 and last_video >= killed_after - 4.0, (last_video, killed_after)

    for wrong in ({}, {"LENSDESK_RECORDING_KEY": OTHER_KEY}):  # no key, another key: a sentence, never ciphertext
        with running_server(data, env=wrong) as server:
            auth = {"Authorization": f"Bearer {server.technician_token()}"}
            async with httpx.AsyncClient(base_url=server.url, headers=auth, timeout=30) as http:
                for url in (rec["file_url"], rec["poster_url"], findings[0]["snapshot_url"]):
                    refused = await http.get(url)
                    assert refused.status_code == 503, (url, refused.status_code)
                    assert refused.headers["content-type"].startswith("application/problem+json")
                    assert "LENSDESK_RECORDING_KEY" in refused.json()["detail"]
    with pytest.raises(RuntimeError, match="LENSDESK_RECORDING_KEY is not base64"), \
            running_server(data, env={"LENSDESK_RECORDING_KEY": "not a key"}):  # a typo stops the start
        pass
