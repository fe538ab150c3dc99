"""The admin credential: made from the node's secret, short-lived, and the only way through /admin/."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from lensdesk.admin import CREDENTIAL_MAX_AGE_S, admin_credential, build_admin_router, verify_admin_credential
from signaling.tokens import TokenService
from web.auth_gate import AuthGate

SECRET = "admin-test-secret-" + "y" * 32


def test_a_credential_is_valid_for_its_secret_and_only_briefly():
    made = admin_credential(SECRET, now=1_000_000)
    assert verify_admin_credential(SECRET, made, now=1_000_000 + CREDENTIAL_MAX_AGE_S - 1)
    assert not verify_admin_credential(SECRET, made, now=1_000_000 + CREDENTIAL_MAX_AGE_S + 1)
    assert not verify_admin_credential("another-secret-" + "z" * 32, made, now=1_000_000)
    issued, _, mac = made.partition(".")
    assert not verify_admin_credential(SECRET, f"{int(issued) + 30}.{mac}", now=1_000_000)  # moved in time
    for junk in ("", ".", "abc.def", "1" * 40 + ".x", made + "0"):
        assert not verify_admin_credential(SECRET, junk, now=1_000_000)


def test_drain_needs_the_admin_credential_not_a_technician_token():
    drained: list[float] = []
    exits: list[int] = []

    async def drain(grace_s: float) -> None:
        drained.append(grace_s)

    tokens = TokenService(SECRET)
    app = FastAPI()
    app.include_router(build_admin_router(drain, lambda: exits.append(1)))
    app.add_middleware(AuthGate, verify=tokens.verify, verify_admin=lambda c: verify_admin_credential(SECRET, c))
    with TestClient(app) as client:
        technician = tokens.issue_technician("tech-1", "Tess")
        for headers in ({}, {"Authorization": f"Bearer {technician}"},
                        {"Authorization": f"Bearer {admin_credential('wrong-' + SECRET)}"}):
            refused = client.post("/admin/drain", headers=headers)
            assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
        # never in a URL (logs keep URLs)
        assert client.get("/admin/drain", params={"token": admin_credential(SECRET)}).status_code == 401
        assert drained == [] and exits == []
        ok = client.post("/admin/drain", params={"grace_s": 5},
                         headers={"Authorization": f"Bearer {admin_credential(SECRET)}"})
        assert ok.status_code == 202 and ok.json() == {"draining": True, "grace_s": 5.0}
    assert drained == [5.0] and exits == [1]
