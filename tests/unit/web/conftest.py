"""Fixtures: the ticket API in a FastAPI app over a real SQLite store, driven through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from signaling.tokens import TokenService
from tickets.records import FindingRecord
from tickets.store import TicketStore
from web.problems import install_problem_handlers
from web.tickets_api import build_router

BASE_URL = "https://desk.example"
MAX_UPLOAD = 64 * 1024


@dataclass
class Api:
    client: httpx.AsyncClient
    store: TicketStore
    tokens: TokenService
    tech: dict[str, str]
    attached: list[FindingRecord] = field(default_factory=list)
    dismissed: list[FindingRecord] = field(default_factory=list)

    def customer(self, session_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.issue_customer(session_id)}"}

    async def ticket(self, title: str = "Printer E12", **extra: object) -> dict:
        response = await self.client.post("/api/tickets", json={"title": title, **extra}, headers=self.tech)
        assert response.status_code == 201, response.text
        return response.json()

    async def session(self, ticket_id: str) -> dict:
        response = await self.client.post(f"/api/tickets/{ticket_id}/sessions", headers=self.tech)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'lensdesk.db'}", tmp_path)
    await store.migrate()
    tokens = TokenService("unit-test-secret-unit-test-secret")
    attached: list[FindingRecord] = []
    dismissed: list[FindingRecord] = []

    async def on_attached(f: FindingRecord) -> None:
        attached.append(f)

    async def on_dismissed(f: FindingRecord) -> None:
        dismissed.append(f)

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(build_router(store, tokens, base_url=BASE_URL + "/", join_ttl_s=600,
                                    max_upload_bytes=MAX_UPLOAD, on_finding_attached=on_attached,
                                    on_finding_dismissed=on_dismissed))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        tech = {"Authorization": f"Bearer {tokens.issue_technician('tech-1', 'Tina')}"}
        yield Api(client=client, store=store, tokens=tokens, tech=tech, attached=attached, dismissed=dismissed)
    await store.close()


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:lensdesk:problem:")
    assert body["title"] and isinstance(body["detail"], str)
    return body
