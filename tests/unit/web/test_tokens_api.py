"""Token refresh and revocation, a new join link revoking the old one, removing a participant."""

from __future__ import annotations

from tests.unit.web.conftest import Api, assert_problem


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_refresh_gives_a_new_token_of_the_same_sign_in(api: Api) -> None:
    response = await api.client.post("/api/tokens/refresh", headers=api.tech)
    assert response.status_code == 200, response.text
    fresh = api.tokens.verify(response.json()["token"])
    old = api.tokens.verify(api.tech["Authorization"].split()[1])
    assert fresh.family == old.family and fresh.token_id != old.token_id and fresh.not_after == old.not_after
    ticket = await api.ticket()
    session_id = (await api.session(ticket["id"]))["session"]["id"]
    assert_problem(await api.client.post("/api/tokens/refresh", headers=api.customer(session_id)), 403)


async def test_a_revoked_token_and_its_refreshes_stop_working(api: Api) -> None:
    leaked = api.tokens.issue_technician("tech-2", "Leaky")
    refreshed = (await api.client.post("/api/tokens/refresh", headers=bearer(leaked))).json()["token"]
    assert (await api.client.get("/api/me", headers=bearer(leaked))).status_code == 200
    response = await api.client.post("/api/tokens/revoke", json={"token": leaked}, headers=api.tech)
    assert response.status_code == 200, response.text
    for token in (leaked, refreshed):
        body = assert_problem(await api.client.get("/api/me", headers=bearer(token)), 401)
        assert body["type"].endswith("token-revoked")
    assert (await api.client.get("/api/me", headers=api.tech)).status_code == 200  # others are unaffected
    by_id = api.tokens.issue_technician("tech-3")
    jti = api.tokens.verify(by_id).token_id
    assert (await api.client.post("/api/tokens/revoke", json={"token_id": jti}, headers=api.tech)).status_code == 200
    assert_problem(await api.client.get("/api/me", headers=bearer(by_id)), 401)
    rows = await api.store.revocations_after(0, not_expired_at=0)
    assert [r.value for r in rows][-2:] == [api.tokens.inspect(refreshed).family, jti]


async def test_revoke_needs_exactly_one_genuine_target(api: Api) -> None:
    for body in ({}, {"token": "a.b.c", "token_id": "x"}):
        assert_problem(await api.client.post("/api/tokens/revoke", json=body, headers=api.tech), 422)
    assert_problem(await api.client.post("/api/tokens/revoke", json={"token": "a.b.c"}, headers=api.tech), 422)


async def test_a_new_join_link_revokes_the_old_one_and_its_rejoin_tokens(api: Api) -> None:
    ticket = await api.ticket()
    created = await api.session(ticket["id"])
    session_id, old = created["session"]["id"], created["join_token"]
    old_rejoin = api.tokens.issue_rejoin(api.tokens.verify(old))
    relinked = await api.client.post(f"/api/sessions/{session_id}/join-link", json={}, headers=api.tech)
    assert relinked.status_code == 200, relinked.text
    new = relinked.json()["join_token"]
    for dead in (old, old_rejoin):
        assert_problem(await api.client.get(f"/api/sessions/{session_id}", headers=bearer(dead)), 401)
    assert (await api.client.get(f"/api/sessions/{session_id}", headers=bearer(new))).status_code == 200
    audit = (await api.client.get(f"/api/tickets/{ticket['id']}/audit", headers=api.tech)).json()
    assert [a["action"] for a in audit].count("join_link_issued") == 2


async def test_removing_a_participant_revokes_what_it_joined_with(api: Api) -> None:
    ticket = await api.ticket()
    created = await api.session(ticket["id"])
    session_id, link = created["session"]["id"], created["join_token"]
    claims = api.tokens.verify(link)
    await api.store.add_participant(session_id, participant_id="c-intruder", role="customer", name="?",
                                    token_family=claims.family)
    url = f"/api/sessions/{session_id}/participants"
    assert_problem(await api.client.delete(f"{url}/c-nobody", headers=api.tech), 404)
    assert_problem(await api.client.delete(f"{url}/c-intruder", headers=bearer(link)), 403)
    assert (await api.client.delete(f"{url}/c-intruder", headers=api.tech)).status_code == 204
    body = assert_problem(await api.client.get(f"/api/sessions/{session_id}", headers=bearer(link)), 401)
    assert body["type"].endswith("token-revoked")
    me = api.tokens.verify(api.tech["Authorization"].split()[1])
    await api.store.add_participant(session_id, participant_id="t-me", role="technician", name="Tina",
                                    token_family=me.family)
    assert_problem(await api.client.delete(f"{url}/t-me", headers=api.tech), 409)
