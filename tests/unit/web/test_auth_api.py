"""401 for missing/invalid tokens, 403 for customers on technician routes, 404 that leaks nothing."""

from __future__ import annotations

import jwt
import pytest

from signaling.tokens import TokenService
from tests.unit.tickets.factories import new_finding
from tests.unit.web.conftest import Api, assert_problem

TECH_ROUTES = [("GET", "/api/tickets"), ("POST", "/api/tickets"), ("GET", "/api/tickets/x"),
               ("GET", "/api/findings?code=E1"), ("GET", "/api/findings/x"), ("POST", "/api/findings/x/dismiss"),
               ("GET", "/api/snapshots/x"), ("GET", "/api/recordings/x"), ("GET", "/api/recordings/x/file"),
               ("POST", "/api/sessions/x/end"), ("POST", "/api/tickets/x/sessions")]


@pytest.mark.parametrize(("method", "path"), TECH_ROUTES)
async def test_no_or_bad_token_is_401(api: Api, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer garbage"}, {"Authorization": "Basic dXNlcjpwdw=="}):
        problem = assert_problem(await api.client.request(method, path, headers=headers), 401)
        assert problem["title"] == "Unauthorized"


async def test_401_carries_a_bearer_challenge_and_a_reason(api: Api) -> None:
    response = await api.client.get("/api/tickets")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert assert_problem(response, 401)["type"].endswith("token-missing")
    forged = TokenService("another-key-another-key-another-key").issue_technician("mallory")
    response = await api.client.get("/api/tickets", headers={"Authorization": f"Bearer {forged}"})
    assert assert_problem(response, 401)["type"].endswith("token-invalid")
    expired = jwt.encode({"sub": "t", "role": "technician", "exp": 1, "jti": "j-1"}, "unit-test-secret-unit-test-secret",
                         algorithm="HS256")
    response = await api.client.get("/api/tickets", headers={"Authorization": f"Bearer {expired}"})
    assert assert_problem(response, 401)["type"].endswith("token-expired")


@pytest.mark.parametrize(("method", "path"), TECH_ROUTES)
async def test_customer_token_on_technician_routes_is_403(api: Api, method: str, path: str) -> None:
    ticket = await api.ticket()
    session = (await api.session(ticket["id"]))["session"]
    assert_problem(await api.client.request(method, path, headers=api.customer(session["id"])), 403)


async def test_customer_sees_only_own_session_and_no_snapshot(api: Api) -> None:
    ticket = await api.ticket(customer="ACME")
    a = (await api.session(ticket["id"]))["session"]
    b = (await api.session(ticket["id"]))["session"]
    finding = await api.store.attach_finding(b["id"], new_finding())
    customer_a = api.customer(a["id"])

    own = await api.client.get(f"/api/sessions/{a['id']}", headers=customer_a)
    assert own.status_code == 200
    assert set(own.json()) == {"id", "status", "created_at", "ended_at"}  # no ticket id, no participants

    other = await api.client.get(f"/api/sessions/{b['id']}", headers=customer_a)
    missing = await api.client.get("/api/sessions/does-not-exist", headers=customer_a)
    assert assert_problem(other, 404) | {"instance": ""} == assert_problem(missing, 404) | {"instance": ""}

    for path in (f"/api/snapshots/{finding.snapshot_id}", "/api/snapshots/unknown"):
        assert_problem(await api.client.get(path, headers=customer_a), 403)
        token = customer_a["Authorization"].removeprefix("Bearer ")
        assert_problem(await api.client.get(path, params={"token": token}), 403)


async def test_query_token_only_works_for_media(api: Api) -> None:
    token = api.tech["Authorization"].removeprefix("Bearer ")
    assert_problem(await api.client.get("/api/tickets", params={"token": token}), 401)


async def test_me(api: Api) -> None:
    me = (await api.client.get("/api/me", headers=api.tech)).json()
    assert me["role"] == "technician" and me["subject"] == "tech-1" and me["name"] == "Tina"
    ticket = await api.ticket()
    session = (await api.session(ticket["id"]))["session"]
    me = (await api.client.get("/api/me", headers=api.customer(session["id"]))).json()
    assert me["role"] == "customer" and me["session_id"] == session["id"]
