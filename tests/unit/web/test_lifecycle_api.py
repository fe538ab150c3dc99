"""Legal holds and erasure through the API: supervisors only, 409 while held, the job reported."""

from __future__ import annotations

from signaling.tokens import Role
from tests.unit.tickets.factories import new_finding
from tests.unit.web.conftest import Api, assert_problem


async def test_a_supervisor_holds_releases_and_erases_a_ticket(api: Api) -> None:
    supervisor = {"Authorization": f"Bearer {api.tokens.issue_staff(Role.SUPERVISOR, 'sue')}"}
    ticket = await api.ticket("Ann's plotter", customer="Ann Smith")
    session = await api.session(ticket["id"])
    finding = await api.store.attach_finding(session["session"]["id"], new_finding("E12"))
    snapshot = api.store.snapshots.path_of(finding.snapshot_path)
    hold = await api.client.put(f"/api/tickets/{ticket['id']}/legal-hold", json={"hold": True, "reason": "case 7"},
                                headers=supervisor)
    assert hold.status_code == 204, hold.text
    assert (await api.client.get(f"/api/tickets/{ticket['id']}", headers=api.tech)).json()["legal_hold"] is True
    refused = await api.client.post(f"/api/tickets/{ticket['id']}/erase", json={"reason": "asked"}, headers=supervisor)
    assert_problem(refused, 409)
    assert snapshot.is_file()
    forbidden = await api.client.post(f"/api/tickets/{ticket['id']}/erase", json={"reason": "asked"}, headers=api.tech)
    assert assert_problem(forbidden, 403)["type"].endswith("role-not-allowed")
    await api.client.put(f"/api/tickets/{ticket['id']}/legal-hold", json={"hold": False}, headers=supervisor)
    erased = await api.client.post(f"/api/tickets/{ticket['id']}/erase", json={"reason": "asked"}, headers=supervisor)
    assert erased.status_code == 200, erased.text
    assert erased.json()["kind"] == "ticket" and not snapshot.exists()
    jobs = (await api.client.get("/api/lifecycle/jobs", headers=supervisor)).json()
    assert [(j["kind"], j["state"], j["files_left"]) for j in jobs] == [("ticket", "done", 0)]
    assert (await api.client.get(f"/api/tickets/{ticket['id']}", headers=api.tech)).json()["customer"] == "[erased]"
    missing = await api.client.post("/api/customers/erase", json={"customer": "Nobody", "reason": "x"},
                                    headers=supervisor)
    assert_problem(missing, 404)


async def test_the_retention_policy_shows_held_tickets_and_me_lists_what_a_role_may_do(api: Api) -> None:
    supervisor = {"Authorization": f"Bearer {api.tokens.issue_staff(Role.SUPERVISOR, 'sue')}"}
    reviewer = {"Authorization": f"Bearer {api.tokens.issue_staff(Role.REVIEWER, 'rita')}"}
    held = await api.ticket("Held plotter", customer="Bo")
    await api.ticket("Free plotter", customer="Cy")
    await api.client.put(f"/api/tickets/{held['id']}/legal-hold", json={"hold": True}, headers=supervisor)
    policy = (await api.client.get("/api/lifecycle/policy", headers=supervisor)).json()
    assert policy["retention_days"] == 0 and policy["last_run"] is None  # this app runs no retention
    assert [(t["id"], t["customer"]) for t in policy["held_tickets"]] == [(held["id"], "Bo")]
    assert assert_problem(await api.client.get("/api/lifecycle/policy", headers=reviewer), 403)
    me = {role: set((await api.client.get("/api/me", headers=h)).json()["actions"])
          for role, h in (("supervisor", supervisor), ("reviewer", reviewer), ("technician", api.tech))}
    assert {"export", "retention.manage"} <= me["supervisor"]
    assert "export" in me["reviewer"] and "retention.manage" not in me["reviewer"] | me["technician"]
