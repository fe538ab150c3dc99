"""Recordings over REST: metadata, file with Range, poster, states."""

from __future__ import annotations

from pathlib import Path

from tests.unit.web.conftest import Api, assert_problem


async def test_recording_metadata_and_ranged_download(api: Api, tmp_path: Path) -> None:
    ticket = await api.ticket()
    session_id = (await api.session(ticket["id"]))["session"]["id"]
    media = tmp_path / "rec.webm"
    media.write_bytes(bytes(range(256)) * 40)
    poster = tmp_path / "rec.jpg"
    poster.write_bytes(b"\xff\xd8\xff poster")
    rec = await api.store.add_recording(session_id, str(media))
    token = api.tech["Authorization"].removeprefix("Bearer ")
    assert_problem(await api.client.get(f"/api/recordings/{rec.id}/file", headers=api.tech), 409)

    await api.store.finalise_recording(rec.id, duration_s=12.0, size_bytes=media.stat().st_size,
                                       poster_path=str(poster))
    meta = (await api.client.get(f"/api/recordings/{rec.id}", headers=api.tech)).json()
    assert meta["status"] == "finalised" and meta["duration_s"] == 12.0 and "path" not in meta
    listed = (await api.client.get(f"/api/tickets/{ticket['id']}/recordings", headers=api.tech)).json()
    assert [r["id"] for r in listed] == [rec.id]

    full = await api.client.get(meta["file_url"], params={"token": token})
    assert full.status_code == 200 and full.content == media.read_bytes()
    assert full.headers["content-type"] == "video/webm"
    part = await api.client.get(meta["file_url"], headers={**api.tech, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == media.read_bytes()[100:200]
    assert (await api.client.get(meta["poster_url"], headers=api.tech)).content == poster.read_bytes()
    viewed = [a for a in await api.store.list_audit(ticket_id=ticket["id"]) if a.action == "viewed"]
    assert len(viewed) == 1  # the full download; the seek is not a new view

    media.unlink()
    assert_problem(await api.client.get(meta["file_url"], headers=api.tech), 410)
    assert_problem(await api.client.get("/api/recordings/nope", headers=api.tech), 404)
    assert_problem(await api.client.get("/api/recordings/nope/file", headers=api.tech), 404)
