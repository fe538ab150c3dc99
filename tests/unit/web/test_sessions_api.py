"""Sessions over REST: create with join link, state, end."""

from __future__ import annotations

import time

from signaling.tokens import Role
from tests.unit.web.conftest import BASE_URL, Api, assert_problem


async def test_create_session_returns_a_join_link_for_that_session(api: Api) -> None:
    ticket = await api.ticket(customer="Ann Lee")
    created = await api.session(ticket["id"])
    session_id = created["session"]["id"]
    assert created["session"]["status"] == "active" and created["session"]["ticket_id"] == ticket["id"]
    assert created["join_link"] == f"{BASE_URL}/join#token={created['join_token']}"
    claims = api.tokens.verify_for_session(created["join_token"], session_id)
    assert claims.role is Role.CUSTOMER and claims.session_id == session_id and claims.name == "Ann Lee"
    assert 590 < claims.expires_at - time.time() <= 600  # join_ttl_s of the router


async def test_state_participants_end_and_relink(api: Api) -> None:
    ticket = await api.ticket()
    session_id = (await api.session(ticket["id"]))["session"]["id"]
    await api.store.add_participant(session_id, participant_id="cust-1", role="customer", name="Ann")
    state = (await api.client.get(f"/api/sessions/{session_id}", headers=api.tech)).json()
    assert state["status"] == "active" and [p["name"] for p in state["participants"]] == ["Ann"]
    relink = await api.client.post(f"/api/sessions/{session_id}/join-link", json={"customer_name": "Ann"},
                                   headers=api.tech)
    assert relink.status_code == 200 and relink.json()["join_token"] != ""

    for _ in range(2):  # ending twice is harmless
        ended = await api.client.post(f"/api/sessions/{session_id}/end", headers=api.tech)
        assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert len(await api.store.outbox.list(event_type="session.ended")) == 1
    assert_problem(await api.client.post(f"/api/sessions/{session_id}/join-link", headers=api.tech), 409)
    # Every customer token of an ended session is dead (join links and rejoin tokens alike).
    customer_view = await api.client.get(f"/api/sessions/{session_id}", headers=api.customer(session_id))
    assert assert_problem(customer_view, 401)["type"].endswith("token-revoked")


async def test_unknown_session_is_404(api: Api) -> None:
    for method, path in (("GET", "/api/sessions/nope"), ("POST", "/api/sessions/nope/end"),
                         ("POST", "/api/sessions/nope/join-link")):
        assert_problem(await api.client.request(method, path, headers=api.tech), 404)
