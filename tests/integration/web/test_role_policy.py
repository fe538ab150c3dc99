"""Every role against every endpoint of the real app: a route answers 403 role-not-allowed exactly when the policy
table says the role may not take the route's action; a route that names no action fails here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.testclient import TestClient

from lensdesk.app import create_app
from lensdesk.settings import Settings
from signaling.policy import POLICY, Action, allowed
from signaling.tokens import Role, TokenService
from web.auth import action_of
from web.auth_gate import GATED_PATHS, Access, access_for

SECRET = "role-policy-secret-" + "x" * 32
SESSION = "sess-policy"  # the session a customer token is bound to; it does not exist


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    action: Action | None  # None: open or admin-only, judged by the gate without any role


def _actions(dependant: Dependant) -> set[Action]:
    found = {a for a in [action_of(dependant.call)] if a is not None}
    for sub in dependant.dependencies:
        found |= _actions(sub)
    return found


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every HTTP endpoint of the app with the action it checks; fails for one that checks none."""
    found: list[Endpoint] = []
    unchecked: list[str] = []
    for route in iter_route_contexts(app.routes):  # included routers flattened, with their full paths
        if not isinstance(route.original_route, APIRoute) or route.path is None:
            continue
        actions = _actions(route.dependant)
        gate = access_for(route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            if gate in (Access.OPEN, Access.ADMIN, Access.HELP):  # HELP: a help link's token, never a role
                assert not actions, f"{method} {route.path} is open at the gate but checks {actions}"
                found.append(Endpoint(method, route.path, None))
            elif gate in (Access.GATED, Access.METRICS):
                found.append(Endpoint(method, route.path, GATED_PATHS[route.path]))
            elif len(actions) != 1:
                unchecked.append(f"{method} {route.path} checks {sorted(actions) or 'no action'}")
            else:
                found.append(Endpoint(method, route.path, actions.pop()))
    assert not unchecked, "routes must name exactly one policy action (web/auth.py allow()):\n" + "\n".join(unchecked)
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    data_dir = tmp_path_factory.mktemp("policy")
    return create_app(Settings(data_dir=data_dir, secret_key=SECRET, analysis_workers=1,
                               ice_host_addresses=["127.0.0.1"]))


def token_of(role: Role) -> str:
    tokens = TokenService(SECRET)
    return tokens.issue_customer(SESSION) if role is Role.CUSTOMER else tokens.issue_staff(role, f"{role.value}-1")


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1:8080") as c:  # runs the lifespan: migrations, outbox, ...
        yield c


def test_every_route_names_an_action_and_every_role_is_in_the_table(app: FastAPI) -> None:
    listed = endpoints(app)
    assert {e.action for e in listed if e.action} >= {Action.TICKETS_READ, Action.TICKETS_WRITE, Action.MEDIA_READ}
    assert set(POLICY) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_against_each_endpoint(app: FastAPI, client: TestClient, role: Role) -> None:
    headers = {"Authorization": f"Bearer {token_of(role)}"}
    wrong: list[str] = []
    for endpoint in endpoints(app):
        if endpoint.action is None:
            continue
        path = re.sub(r"\{[^}]+\}", "x", endpoint.path)
        body = json.dumps({}) if endpoint.method in ("POST", "PUT", "PATCH") else None
        response = client.request(endpoint.method, path, headers={**headers, "content-type": "application/json"}
                                  if body else headers, content=body)
        refused = response.status_code == 403 and response.json().get("type", "").endswith("role-not-allowed")
        if refused == allowed(role, endpoint.action) or response.status_code >= 500:
            wrong.append(f"{endpoint.method} {endpoint.path} ({endpoint.action}): {response.status_code} "
                         f"{response.text[:120]}")
    assert not wrong, f"{role.value}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", list(Role))
def test_only_technicians_and_customers_join_calls(app: FastAPI, client: TestClient, role: Role) -> None:
    assert "/ws" in {r.path for r in iter_route_contexts(app.routes)}
    with client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "join", "session_id": SESSION, "token": token_of(role)}))
        reply = ws.receive_json()
    assert reply["type"] == "error"
    assert (reply["code"] == "role_not_allowed") != allowed(role, Action.CALL_JOIN), reply


def test_the_gate_checks_the_docs_and_metrics_by_the_same_table(client: TestClient) -> None:
    for role in Role:
        for path, action in GATED_PATHS.items():
            response = client.get(path, headers={"Authorization": f"Bearer {token_of(role)}"})
            assert (response.status_code == 403) != allowed(role, action), (role, path, response.status_code)


def test_reviewer_tokens_refresh_as_reviewers(client: TestClient) -> None:
    response = client.post("/api/tokens/refresh", headers={"Authorization": f"Bearer {token_of(Role.REVIEWER)}"})
    assert response.status_code == 200, response.text
    fresh = TokenService(SECRET).verify(response.json()["token"])
    assert fresh.role is Role.REVIEWER

