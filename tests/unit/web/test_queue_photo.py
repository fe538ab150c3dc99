"""A help request's photo sealed at rest (LENSDESK_RECORDING_KEY): ciphertext on disk, plaintext to technicians
and supervisors only, a clear problem without the key, gone with the ticket's erasure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from atrest.sealed import AtRestKey, is_sealed
from signaling.tokens import Role, TokenService
from tests.unit.tickets.factories import make_jpeg
from tests.unit.web.conftest import assert_problem
from tickets.store import TicketStore
from web.auth import TokenAuth
from web.problems import install_problem_handlers
from web.queue_api import build_queue_router

KEY = AtRestKey(bytes(range(32)))
TOKENS = TokenService("queue-photo-secret-queue-photo-secret")


class NoDesk:
    """The photo route reads the store only; the live queue is not needed here."""


def client_of(store: TicketStore) -> httpx.AsyncClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(build_queue_router(NoDesk(), store, TokenAuth(TOKENS)))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk.example")


@pytest.fixture
async def sealed_store(tmp_path: Path) -> AsyncIterator[TicketStore]:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path, at_rest_key=KEY)
    await store.migrate()
    yield store
    await store.close()


def bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS.issue_staff(role, 'u1', 'U')}"}


async def test_a_help_photo_is_sealed_served_decrypted_to_allowed_roles_and_erased_with_the_ticket(
        sealed_store: TicketStore, tmp_path: Path) -> None:
    jpeg = make_jpeg(7)
    desk = sealed_store.help_desk
    link = await desk.create_link(family="printer", model="P1", actor="sup1")
    req = await desk.create_request(link, customer_name="Ann", description="E52", media="voice", photo=jpeg)
    on_disk = desk.photos.path_of(str(req.photo))
    assert is_sealed(on_disk) and jpeg[100:140] not in on_disk.read_bytes()
    assert req.id not in on_disk.name  # the name is random, not the request id
    url = f"/api/queue/requests/{req.id}/photo"
    async with client_of(sealed_store) as http:
        for role in (Role.TECHNICIAN, Role.SUPERVISOR):
            reply = await http.get(url, headers=bearer(role))
            assert reply.status_code == 200 and reply.content == jpeg, role
            assert reply.headers["content-type"] == "image/jpeg" and "no-store" in reply.headers["cache-control"]
        assert_problem(await http.get(url, headers=bearer(Role.REVIEWER)), 403)
        customer = {"Authorization": f"Bearer {TOKENS.issue_customer(req.session_id)}"}
        assert_problem(await http.get(url, headers=customer), 403)
        assert_problem(await http.get(url), 401)
    # The same data without the key: a sentence, never ciphertext.
    keyless = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    try:
        async with client_of(keyless) as http:
            body = assert_problem(await http.get(url, headers=bearer(Role.TECHNICIAN)), 503)
            assert "LENSDESK_RECORDING_KEY" in body["detail"]
    finally:
        await keyless.close()
    await sealed_store.lifecycle.erase_ticket(req.ticket_id, actor="sup1", reason="customer asked")
    assert not on_disk.exists()
    async with client_of(sealed_store) as http:
        assert_problem(await http.get(url, headers=bearer(Role.TECHNICIAN)), 404)


async def test_a_request_whose_commit_fails_leaves_no_photo(sealed_store: TicketStore) -> None:
    desk = sealed_store.help_desk
    link = await desk.create_link(family="printer", model="P1", actor="sup1")
    async with sealed_store._engine.begin() as conn:  # the request's commit will fail
        await conn.execute(text("DROP TABLE queue_requests"))
    with pytest.raises(OperationalError):
        await desk.create_request(link, customer_name="Ann", description="", media="voice", photo=make_jpeg(1))
    assert desk.photos.list_files() == []
