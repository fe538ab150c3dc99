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
    # Every response hands out media, so every one is audited (issue 15: ranged downloads left no line).
    assert [(a.target, a.detail) for a in viewed] == [
        (f"recording:{rec.id}", {}), (f"recording:{rec.id}", {"range": "bytes=100-199"}), (f"poster:{rec.id}", {})]


    media.unlink()
    assert_problem(await api.client.get(meta["file_url"], headers=api.tech), 410)
    assert_problem(await api.client.get("/api/recordings/nope", headers=api.tech), 404)
    assert_problem(await api.client.get("/api/recordings/nope/file", headers=api.tech), 404)


async def test_every_ranged_download_is_audited_and_multi_ranges_are_refused(api: Api, tmp_path: Path) -> None:
    ticket = await api.ticket()
    session = await api.session(ticket["id"])
    media = tmp_path / "ranged.webm"
    media.write_bytes(bytes(range(256)) * 40)
    rec = await api.store.add_recording(session["session"]["id"], str(media))
    await api.store.finalise_recording(rec.id, duration_s=1.0, size_bytes=media.stat().st_size, poster_path=None)
    url, data = f"/api/recordings/{rec.id}/file", media.read_bytes()
    expected = {"bytes=1-": data[1:], "bytes=-100": data[-100:], "bytes=0-": data, "bytes=10-19": data[10:20]}
    for byte_range, content in expected.items():
        response = await api.client.get(url, headers={**api.tech, "Range": byte_range})
        assert response.status_code == 206 and response.content == content, byte_range
    multi = await api.client.get(url, headers={**api.tech, "Range": "bytes=0-1,5-9"})
    assert_problem(multi, 416)
    assert multi.headers["content-range"] == f"bytes */{len(data)}"
    lines = [a for a in await api.store.list_audit(ticket_id=ticket["id"]) if a.target == f"recording:{rec.id}"]
    assert [(a.action, a.detail.get("range")) for a in lines] == [
        *(("viewed", r) for r in expected), ("refused", "bytes=0-1,5-9")]

