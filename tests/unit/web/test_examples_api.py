"""Labelled examples over REST: made by dismissing with a correct code or uploading a coded snapshot."""

from __future__ import annotations

from tests.unit.tickets.factories import make_jpeg, new_finding
from tests.unit.web.conftest import Api, assert_problem


async def _session(api: Api) -> str:
    ticket = await api.ticket()
    return (await api.session(ticket["id"]))["session"]["id"]


async def test_dismissal_with_a_correct_code_becomes_an_example(api: Api) -> None:
    session_id = await _session(api)
    finding = await api.store.attach_finding(session_id, new_finding("E-284", seed=3))
    path = f"/api/findings/{finding.id}/dismiss"
    assert_problem(await api.client.post(path, json={"reason": "misread", "correct_code": "e-284"},
                                         headers=api.tech), 422)
    assert_problem(await api.client.post(path, json={"reason": "misread", "correct_code": "X" * 101},
                                         headers=api.tech), 422)
    assert (await api.client.get("/api/examples", headers=api.tech)).json()["items"] == []
    response = await api.client.post(path, json={"reason": "misread", "correct_code": "E-204"}, headers=api.tech)
    assert response.status_code == 200, response.text
    [example] = (await api.client.get("/api/examples", headers=api.tech)).json()["items"]
    assert (example["source"], example["truth"], example["not_code"]) == ("dismissed", "E-204", "E-284")
    assert example["finding_id"] == finding.id and example["created_by"] == "tech-1"
    image = await api.client.get(example["image_url"], headers=api.tech)
    assert image.status_code == 200 and image.content == make_jpeg(3)
    assert image.headers["content-type"] == "image/jpeg" and image.headers["cache-control"] == "private, no-store"
    audit = (await api.client.get(f"/api/tickets/{finding.ticket_id}/audit", headers=api.tech)).json()
    assert any(a["action"] == "viewed" and a["target"] == f"example:{example['id']}" for a in audit)


async def test_coded_manual_snapshot_becomes_an_example(api: Api) -> None:
    session_id = await _session(api)
    jpeg = make_jpeg(11)
    response = await api.client.post(f"/api/sessions/{session_id}/snapshots", headers=api.tech,
                                     files={"file": ("photo.jpg", jpeg, "image/jpeg")},
                                     data={"note": "Panel code", "code": "SC542"})
    assert response.status_code == 201, response.text
    [example] = (await api.client.get("/api/examples", headers=api.tech)).json()["items"]
    assert (example["source"], example["truth"], example["not_code"]) == ("manual", "SC542", "")
    assert (await api.client.get(example["image_url"], headers=api.tech)).content == jpeg


async def test_examples_need_a_technician_and_unknown_ones_are_404(api: Api) -> None:
    session_id = await _session(api)
    assert (await api.client.get("/api/examples")).status_code == 401
    assert (await api.client.get("/api/examples", headers=api.customer(session_id))).status_code == 403
    assert_problem(await api.client.get("/api/examples/nope/image", headers=api.tech), 404)
    assert_problem(await api.client.get("/api/examples", params={"limit": 0}, headers=api.tech), 422)
    assert_problem(await api.client.get("/api/examples", params={"cursor": "forged"}, headers=api.tech), 422)
