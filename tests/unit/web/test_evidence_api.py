"""Evidence bundles and share links through the API on a real SQLite store: the zip's contents, audited downloads,
expiry and revocation of share links, and a reviewer allowed where a customer is not."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

from signaling.tokens import Role
from tests.unit.tickets.factories import new_finding
from tests.unit.web.conftest import Api, assert_problem


async def recorded_session(api: Api, tmp_path: Path) -> tuple[dict, dict, str]:
    ticket = await api.ticket("Plotter SC-542", customer="ACME", device_model="T-1000", device_family="plotco")
    session = (await api.session(ticket["id"]))["session"]
    finding = await api.store.attach_finding(session["id"], new_finding("SC-542", note="belt slips"))
    await api.store.session_events.add(session["id"], "chat", {"message_id": 1, "text": "it clicks <b>loudly</b>"},
                                       actor_role="customer", actor="c-1", actor_name="Cleo")
    media = tmp_path / "rec.webm"
    media.write_bytes(b"\x1aE\xdf\xa3" + bytes(range(256)) * 40)  # the bundle copies the file as it is
    rec = await api.store.add_recording(session["id"], str(media))
    await api.store.finalise_recording(rec.id, duration_s=12.0, size_bytes=media.stat().st_size, poster_path=None)
    return session, {"id": finding.id, "recording": rec.id}, media.read_bytes().hex()


def unzip(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


async def test_a_bundle_holds_recording_findings_snapshots_chat_audit_and_an_offline_index(
        api: Api, tmp_path: Path) -> None:
    session, ids, media_hex = await recorded_session(api, tmp_path)
    reviewer = {"Authorization": f"Bearer {api.tokens.issue_staff(Role.REVIEWER, 'rita')}"}
    response = await api.client.get(f"/api/sessions/{session['id']}/bundle", headers=reviewer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    bundle = unzip(response.content)
    names = set(bundle.namelist())
    assert {"index.html", "findings.json", "events.json", "audit.json", "session.json",
            f"recording-{ids['recording']}.webm", f"snapshots/{ids['id']}.jpg"} <= names
    assert bundle.read(f"recording-{ids['recording']}.webm").hex() == media_hex
    assert bundle.read(f"snapshots/{ids['id']}.jpg")[:2] == b"\xff\xd8"
    findings = json.loads(bundle.read("findings.json"))
    assert [f["code"] for f in findings] == ["SC-542"] and "snapshot_path" not in findings[0]
    index = bundle.read("index.html").decode()
    assert f'src="recording-{ids["recording"]}.webm"' in index and 'data-seek="8.250"' in index
    assert "&lt;b&gt;loudly&lt;/b&gt;" in index and "<b>loudly" not in index  # chat is text, never markup
    manifest = json.loads(bundle.read("session.json"))
    assert manifest["ticket"]["device_model"] == "T-1000" and manifest["missing_files"] == []
    audit = await api.store.list_audit(session_id=session["id"])
    assert [(a.actor, a.action) for a in audit if a.action == "bundle_downloaded"] == [("rita", "bundle_downloaded")]
    assert not list((api.store.data_dir / "exports").glob("*.zip"))  # the temporary zip is gone after sending


async def test_share_links_work_without_a_token_until_revoked_or_expired_and_every_download_is_audited(
        api: Api, tmp_path: Path) -> None:
    session, _, _ = await recorded_session(api, tmp_path)
    created = await api.client.post(f"/api/sessions/{session['id']}/shares", json={"ttl_hours": 1, "note": "vendor"},
                                    headers=api.tech)
    assert created.status_code == 201, created.text
    share = created.json()
    url = share["url"].split("desk.example", 1)[1]
    for _ in range(2):
        got = await api.client.get(url)
        assert got.status_code == 200 and "index.html" in unzip(got.content).namelist()
    listed = (await api.client.get(f"/api/sessions/{session['id']}/shares", headers=api.tech)).json()
    assert [(s["id"], s["downloads"], s["url"]) for s in listed] == [(share["id"], 2, None)]
    audit = [a for a in await api.store.list_audit(session_id=session["id"]) if a.action.startswith("bundle_")]
    assert [a.action for a in audit] == ["bundle_shared"] + ["bundle_downloaded"] * 4  # share + its zip, twice
    assert all(a.actor == f"share:{share['id']}" for a in audit[1:])

    revoked = await api.client.post(f"/api/shares/{share['id']}/revoke", headers=api.tech)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert assert_problem(await api.client.get(url), 410)["type"].endswith("share-revoked")

    expired = api.tokens.issue_share(share["id"], time.time() - 5)
    assert assert_problem(await api.client.get(f"/api/public/shares/{expired}"), 410)["type"].endswith("expired")
    forged = url[:-3] + ("abc" if not url.endswith("abc") else "xyz")
    assert_problem(await api.client.get(forged), 404)
    technician_token = api.tech["Authorization"].split()[1]
    assert_problem(await api.client.get(f"/api/public/shares/{technician_token}"), 404)  # a sign-in is no share


async def test_customers_cannot_export_and_unknown_sessions_are_404(api: Api, tmp_path: Path) -> None:
    session, _, _ = await recorded_session(api, tmp_path)
    problem = assert_problem(await api.client.get(f"/api/sessions/{session['id']}/bundle",
                                                  headers=api.customer(session["id"])), 403)
    assert problem["type"].endswith("role-not-allowed")
    assert_problem(await api.client.get("/api/sessions/nope/bundle", headers=api.tech), 404)
    assert_problem(await api.client.post("/api/sessions/nope/shares", json={}, headers=api.tech), 404)
