"""Findings over REST: per ticket, search by code, dismiss, manual upload, snapshot serving."""

from __future__ import annotations

from tests.unit.tickets.factories import make_jpeg, new_finding
from tests.unit.web.conftest import MAX_UPLOAD, Api, assert_problem
from tickets.errors import ConflictError


async def _setup(api: Api) -> tuple[dict, str]:
    ticket = await api.ticket()
    return ticket, (await api.session(ticket["id"]))["session"]["id"]


async def test_list_and_search_across_tickets(api: Api) -> None:
    t1, s1 = await _setup(api)
    t2, s2 = await _setup(api)
    f1 = await api.store.attach_finding(s1, new_finding("E12", seed=1))
    f2 = await api.store.attach_finding(s2, new_finding("E12", seed=2))
    await api.store.attach_finding(s2, new_finding("F07", seed=3))
    listed = (await api.client.get(f"/api/tickets/{t2['id']}/findings", headers=api.tech)).json()
    assert [f["code"] for f in listed] == ["E12", "F07"]
    page1 = (await api.client.get("/api/findings", params={"code": "e12", "limit": 1}, headers=api.tech)).json()
    page2 = (await api.client.get("/api/findings", params={"code": "e12", "limit": 1, "cursor": page1["next_cursor"]},
                                  headers=api.tech)).json()
    assert [f["id"] for f in page1["items"] + page2["items"]] == [f2.id, f1.id]
    assert {f["ticket_id"] for f in page1["items"] + page2["items"]} == {t1["id"], t2["id"]}
    assert page2["next_cursor"] is None
    assert_problem(await api.client.get("/api/findings", headers=api.tech), 422)  # code is required
    one = (await api.client.get(f"/api/findings/{f1.id}", headers=api.tech)).json()
    assert one["remedy"] == "Open tray 2 and remove the paper" and one["offset_s"] == 8.25


async def test_dismiss_is_audited_and_hidden_from_search(api: Api) -> None:
    ticket, session_id = await _setup(api)
    finding = await api.store.attach_finding(session_id, new_finding("E12"))
    path = f"/api/findings/{finding.id}/dismiss"
    assert_problem(await api.client.post(path, json={"reason": ""}, headers=api.tech), 422)
    assert_problem(await api.client.post(path, json={}, headers=api.tech), 422)
    dismissed = (await api.client.post(path, json={"reason": "reflection"}, headers=api.tech)).json()
    assert dismissed["dismissed"] and dismissed["dismissed_by"] == "tech-1" and dismissed["dismissed_reason"] == "reflection"
    assert [f.id for f in api.dismissed] == [finding.id]
    assert_problem(await api.client.post(path, json={"reason": "again"}, headers=api.tech), 409)
    assert_problem(await api.client.post("/api/findings/nope/dismiss", json={"reason": "x"}, headers=api.tech), 404)
    assert (await api.client.get("/api/findings", params={"code": "E12"}, headers=api.tech)).json()["items"] == []
    detail = (await api.client.get(f"/api/tickets/{ticket['id']}", headers=api.tech)).json()
    dismissals = [i["audit"] for i in detail["timeline"] if i["kind"] == "audit" and i["audit"]["action"] == "dismissed"]
    assert dismissals[0]["detail"] == {"code": "E12", "reason": "reflection"} and dismissals[0]["actor"] == "tech-1"


async def test_manual_snapshot_upload(api: Api) -> None:
    ticket, session_id = await _setup(api)
    jpeg = make_jpeg(9)
    response = await api.client.post(f"/api/sessions/{session_id}/snapshots", headers=api.tech,
                                     files={"file": ("photo.jpg", jpeg, "image/jpeg")},
                                     data={"note": "Loose fan cable", "offset_s": "42.5"})
    assert response.status_code == 201, response.text
    finding = response.json()
    assert finding["source"] == "manual" and finding["note"] == "Loose fan cable" and finding["offset_s"] == 42.5
    assert finding["created_by"] == "tech-1" and [f.id for f in api.attached] == [finding["id"]]
    image = await api.client.get(finding["snapshot_url"], headers=api.tech)
    assert image.status_code == 200 and image.content == jpeg
    assert image.headers["content-type"] == "image/jpeg" and "no-store" in image.headers["cache-control"]
    [event] = await api.store.outbox.list(event_type="finding.attached")
    assert event.payload["finding"]["note"] == "Loose fan cable"


async def test_bad_uploads_store_nothing(api: Api) -> None:
    ticket, session_id = await _setup(api)
    url = f"/api/sessions/{session_id}/snapshots"
    too_big = b"\xff\xd8\xff" + b"\x00" * MAX_UPLOAD
    problem = assert_problem(await api.client.post(url, headers=api.tech, files={"file": ("a.jpg", too_big)}), 413)
    assert problem["max_bytes"] == MAX_UPLOAD
    assert_problem(await api.client.post(url, headers=api.tech, files={"file": ("a.gif", b"GIF89a....")}), 422)
    assert_problem(await api.client.post(url, headers=api.tech, files={"file": ("a.jpg", b"")}), 422)
    assert_problem(await api.client.post(url, headers=api.tech, data={"note": "no file"}), 422)
    assert_problem(await api.client.post(url, headers=api.tech, files={"file": ("a.jpg", make_jpeg())},
                                         data={"offset_s": "-3"}), 422)
    assert_problem(await api.client.post("/api/sessions/nope/snapshots", headers=api.tech,
                                         files={"file": ("a.jpg", make_jpeg())}), 404)
    assert await api.store.list_findings(ticket["id"]) == []
    snapshots = api.store.data_dir / "snapshots"
    assert not snapshots.exists() or list(snapshots.iterdir()) == []


async def test_snapshot_needs_a_technician_and_an_exact_id(api: Api) -> None:
    ticket, session_id = await _setup(api)
    finding = await api.store.attach_finding(session_id, new_finding())
    url = f"/api/snapshots/{finding.snapshot_id}"
    token = api.tech["Authorization"].removeprefix("Bearer ")
    by_query = await api.client.get(url, params={"token": token})  # as an <img src> would
    assert by_query.status_code == 200 and by_query.content.startswith(b"\xff\xd8\xff")
    assert_problem(await api.client.get(url), 401)
    for guess in (finding.snapshot_id[:-1], finding.id, finding.snapshot_path, "..%2Flensdesk.db"):
        assert_problem(await api.client.get(f"/api/snapshots/{guess}", headers=api.tech), 404)
    viewed = [a for a in await api.store.list_audit(ticket_id=ticket["id"]) if a.action == "viewed"]
    assert [(a.actor, a.target) for a in viewed] == [("tech-1", f"snapshot:{finding.id}")]


async def test_nothing_is_added_to_an_ended_session(api: Api) -> None:
    ticket, session_id = await _setup(api)
    assert (await api.client.post(f"/api/sessions/{session_id}/end", headers=api.tech)).status_code == 200
    problem = assert_problem(await api.client.post(f"/api/sessions/{session_id}/snapshots", headers=api.tech,
                                                   files={"file": ("a.jpg", make_jpeg())}), 409)
    assert problem["type"].endswith("session-ended")
    try:
        await api.store.attach_finding(session_id, new_finding("E12"))
    except ConflictError:
        pass
    else:
        raise AssertionError("a finding was attached to an ended session")
    assert await api.store.list_findings(ticket["id"]) == []
    snapshots = api.store.data_dir / "snapshots"
    assert not snapshots.exists() or list(snapshots.iterdir()) == []


async def test_issuing_join_links_is_audited(api: Api) -> None:
    ticket = await api.ticket()
    session_id = (await api.session(ticket["id"]))["session"]["id"]
    assert (await api.client.post(f"/api/sessions/{session_id}/join-link", headers=api.tech)).status_code == 200
    issued = [a for a in await api.store.list_audit(session_id=session_id) if a.action == "join_link_issued"]
    assert [a.actor for a in issued] == ["tech-1", "tech-1"]
    assert all(a.detail["expires_at"] for a in issued)


async def test_a_snapshot_form_takes_one_file_and_a_few_small_fields(api: Api) -> None:
    ticket, session_id = await _setup(api)
    url = f"/api/sessions/{session_id}/snapshots"
    two_files = [("file", ("a.jpg", make_jpeg(1), "image/jpeg")), ("file", ("b.jpg", make_jpeg(2), "image/jpeg"))]
    assert (await api.client.post(url, headers=api.tech, files=two_files)).status_code == 400
    many = {f"x{i}": "1" for i in range(20)}
    assert (await api.client.post(url, headers=api.tech, files={"file": ("a.jpg", make_jpeg(), "image/jpeg")},
                                  data=many)).status_code == 400
    assert await api.store.list_findings(ticket["id"]) == []
