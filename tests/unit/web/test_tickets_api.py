"""Tickets over REST: create, list with filters and pagination, detail with timeline, problems."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.unit.tickets.factories import new_finding
from tests.unit.web.conftest import Api, assert_problem


async def test_create_and_get_with_timeline(api: Api) -> None:
    ticket = await api.ticket("Printer shows E12", customer="ACME", external_ref="rt:12")
    assert ticket["status"] == "open" and ticket["created_by"] == "tech-1" and ticket["external_ref"] == "rt:12"
    session = (await api.session(ticket["id"]))["session"]
    await api.store.attach_finding(session["id"], new_finding("E12"))
    await api.client.post(f"/api/sessions/{session['id']}/end", headers=api.tech)

    response = await api.client.get(f"/api/tickets/{ticket['id']}", headers=api.tech)
    assert response.status_code == 200
    detail = response.json()
    assert [s["id"] for s in detail["sessions"]] == [session["id"]]
    assert [f["code"] for f in detail["findings"]] == ["E12"]
    assert detail["findings"][0]["snapshot_url"].startswith("/api/snapshots/")
    assert "snapshot_path" not in detail["findings"][0]
    times = [datetime.fromisoformat(item["at"]) for item in detail["timeline"]]
    assert times == sorted(times)
    kinds = [item["kind"] for item in detail["timeline"]]
    assert kinds.index("session") < kinds.index("finding")
    actions = [i["audit"]["action"] for i in detail["timeline"] if i["kind"] == "audit"]
    assert actions == ["created", "created", "join_link_issued", "attached", "ended", "revoked"]  # views: audit log only
    audit = (await api.client.get(f"/api/tickets/{ticket['id']}/audit", headers=api.tech)).json()
    assert [(a["action"], a["actor"]) for a in audit][-1] == ("viewed", "tech-1")
    assert audit[-1]["target"] == f"ticket:{ticket['id']}"


@pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": "x" * 301}, {"title": 5},
                                  {"title": "ok", "surprise": 1}, {"title": "ok", "external_ref": "r" * 201}])
async def test_bad_ticket_bodies_are_problems_and_store_nothing(api: Api, body: dict) -> None:
    problem = assert_problem(await api.client.post("/api/tickets", json=body, headers=api.tech), 422)
    assert problem["errors"]
    assert (await api.client.get("/api/tickets", headers=api.tech)).json()["items"] == []


async def test_whitespace_title_is_rejected_by_the_store(api: Api) -> None:
    problem = assert_problem(await api.client.post("/api/tickets", json={"title": "   "}, headers=api.tech), 422)
    assert problem["errors"][0]["field"] == "title"


async def test_list_paginates_and_filters(api: Api) -> None:
    ids = [(await api.ticket(f"Ticket {i}", customer="Globex" if i < 2 else "ACME"))["id"] for i in range(5)]
    await api.client.patch(f"/api/tickets/{ids[0]}", json={"status": "closed"}, headers=api.tech)
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        page = (await api.client.get("/api/tickets", params=params, headers=api.tech)).json()
        assert len(page["items"]) <= 2
        seen += [t["id"] for t in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ids[::-1]

    async def ids_for(**query: str) -> set[str]:
        response = await api.client.get("/api/tickets", params=query, headers=api.tech)
        assert response.status_code == 200, response.text
        return {t["id"] for t in response.json()["items"]}

    assert await ids_for(status="closed") == {ids[0]}
    assert await ids_for(q="GLOBEX") == set(ids[:2])
    created = (await api.client.get(f"/api/tickets/{ids[3]}", headers=api.tech)).json()["created_at"]
    assert await ids_for(created_from=created) == set(ids[3:])
    assert await ids_for(created_to=created) == set(ids[:3])
    assert await ids_for(created_from="2000-01-01T00:00:00", created_to="2000-01-02") == set()


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 201}, {"limit": "many"}, {"status": "lost"},
                                   {"cursor": "not-a-cursor"}, {"created_from": "yesterday"}])
async def test_bad_list_queries_are_problems(api: Api, query: dict) -> None:
    assert_problem(await api.client.get("/api/tickets", params=query, headers=api.tech), 422)


async def test_patch_status_and_unknown_ticket(api: Api) -> None:
    ticket = await api.ticket()
    closed = await api.client.patch(f"/api/tickets/{ticket['id']}", json={"status": "closed"}, headers=api.tech)
    assert closed.json()["status"] == "closed"
    assert_problem(await api.client.patch(f"/api/tickets/{ticket['id']}", json={"status": "x"},
                                          headers=api.tech), 422)
    for response in (await api.client.get("/api/tickets/nope", headers=api.tech),
                     await api.client.patch("/api/tickets/nope", json={"status": "open"}, headers=api.tech),
                     await api.client.post("/api/tickets/nope/sessions", headers=api.tech),
                     await api.client.get("/api/tickets/nope/findings", headers=api.tech)):
        assert assert_problem(response, 404)["detail"] == "No ticket with this id is available to you."


async def test_openapi_lists_the_routes(api: Api) -> None:
    from fastapi import FastAPI
    from fastapi.openapi.utils import get_openapi

    from web.tickets_api import build_router
    app = FastAPI()
    app.include_router(build_router(api.store, api.tokens, base_url="http://x", join_ttl_s=60))
    paths = get_openapi(title="t", version="1", routes=app.routes)["paths"]
    assert {"/api/tickets", "/api/tickets/{ticket_id}", "/api/findings", "/api/snapshots/{snapshot_id}",
            "/api/sessions/{session_id}", "/api/recordings/{recording_id}/file", "/api/me"} <= set(paths)
