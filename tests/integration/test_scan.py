"""Full-resolution scans through the real call manager, store and analysis worker (no browser, no sockets):
the upload endpoint's refusals, a still read into a finding, the server asking by itself, timeouts."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from calls.analysis_pool import AnalysisPool
from calls.autoscan import AutoScanPolicy
from calls.live import CallOptions
from calls.manager import CallManager
from diagnostics.config import DiagnosticsConfig
from signaling import messages as m
from signaling.tokens import TokenService
from tests.scan_scene import SMALL_CODE, small_code_frames
from tickets.store import TicketStore
from web.auth import TokenAuth
from web.problems import install_problem_handlers
from web.scans_api import build_scans_router

MAX_BYTES = 3 * 1024 * 1024


@dataclass
class Link:
    """The server's view of one browser connection, recording what it was sent."""

    messages: list[m.ServerMessage] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, message: m.ServerMessage) -> None:
        self.messages.append(message)
        self.arrived.set()

    async def close(self, reason: str) -> None:
        pass

    def of(self, kind: type) -> list[Any]:
        return [msg for msg in self.messages if isinstance(msg, kind)]

    async def wait_for(self, kind: type, test=lambda msg: True, timeout_s: float = 60.0) -> Any:
        async def scan() -> Any:
            while True:
                found = [msg for msg in self.of(kind) if test(msg)]
                if found:
                    return found[0]
                self.arrived.clear()
                await self.arrived.wait()
        return await asyncio.wait_for(scan(), timeout_s)


@dataclass
class Rig:
    client: httpx.AsyncClient
    store: TicketStore
    calls: CallManager
    tokens: TokenService
    session_id: str
    ticket_id: str
    customer_token: str
    tech: Link
    customer: Link

    def upload(self, scan_id: str, data: bytes, content_type: str = "image/jpeg", token: str | None = None,
               **params: Any) -> Any:
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {token or self.customer_token}"}
        return self.client.post(f"/api/sessions/{self.session_id}/scans/{scan_id}/still", content=data,
                                headers=headers, params=params)


@pytest.fixture(scope="module")
def still_jpeg() -> bytes:
    ok, buf = cv2.imencode(".jpg", small_code_frames(1)[0], [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    await store.migrate()
    tokens = TokenService("scan-test-secret-scan-test-secret")
    pool = AnalysisPool(DiagnosticsConfig(), workers=1)
    timeout_s = getattr(request, "param", 30.0)
    calls = CallManager(store, CallOptions(recordings_dir=tmp_path / "rec", recording_enabled=False,
                                           scan_timeout_s=timeout_s), pool)
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(build_scans_router(TokenAuth(tokens), calls, max_bytes=MAX_BYTES))
    ticket = await store.create_ticket("Printer shows an error", created_by="tech-1")
    session = await store.create_session(ticket.id, created_by="tech-1")
    customer_token = tokens.issue_customer(session.id)
    tech, customer = Link(), Link()
    tech_id = await calls.join(tech, tokens.verify(tokens.issue_technician("tech-1", "Tess")),
                               m.Join(token="t", session_id=session.id))
    cust_id = await calls.join(customer, tokens.verify(customer_token), m.Join(token="c", session_id=session.id))
    await calls.handle(session.id, cust_id, m.VideoStarted(facing="environment"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        rig = Rig(client, store, calls, tokens, session.id, ticket.id, customer_token, tech, customer)
        rig.tech_id = tech_id  # type: ignore[attr-defined]
        yield rig
    await calls.close()
    await asyncio.to_thread(pool.close)
    await store.close()


async def ask(rig: Rig) -> m.TakeStill:
    before = len(rig.customer.of(m.TakeStill))
    await rig.calls.handle(rig.session_id, rig.tech_id, m.ScanRequest())  # type: ignore[attr-defined]
    asked = rig.customer.of(m.TakeStill)
    assert len(asked) == before + 1
    return asked[-1]


def problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == f"urn:lensdesk:problem:{slug}" and response.json()["detail"]


@pytest.mark.slow
async def test_a_scan_reads_the_full_resolution_still_into_a_finding(rig: Rig, still_jpeg: bytes) -> None:
    take = await ask(rig)
    assert take.reason == "technician"
    response = await rig.upload(take.scan_id, still_jpeg, delay_ms=350, source="takePhoto")
    assert response.status_code == 202, response.text
    assert response.json() == {"scan_id": take.scan_id, "status": "reading", "width": 1920, "height": 1080}
    problem(await rig.upload(take.scan_id, still_jpeg), 409, "still-already-received")
    done = await rig.tech.wait_for(m.ScanStatus, lambda s: s.state not in ("requested", "reading"))
    assert done.state == "found" and done.codes == [SMALL_CODE] and done.message == f"Scan read {SMALL_CODE}."
    pushed = rig.tech.of(m.FindingMessage)[-1].finding
    assert pushed.code == SMALL_CODE and pushed.source == "scan"
    [finding] = await rig.store.list_findings(rig.ticket_id)
    assert finding.code == SMALL_CODE and finding.source == "scan" and finding.known
    found = await rig.store.find_snapshot(finding.snapshot_id)
    assert found is not None
    path = found[1]
    assert path.read_bytes() == still_jpeg  # the still itself is the finding's snapshot
    assert os.stat(path).st_mode & 0o777 == 0o600
    actions = [a.action for a in await rig.store.list_audit(session_id=rig.session_id)]
    assert {"scan_requested", "scan_uploaded", "scan_result", "attached"} <= set(actions)
    assert not rig.customer.of(m.FindingMessage) and not rig.customer.of(m.ScanStatus)
    # the same code again in this session is not reported twice
    again = await ask(rig)
    assert (await rig.upload(again.scan_id, still_jpeg)).status_code == 202
    second = await rig.tech.wait_for(m.ScanStatus, lambda s: s.scan_id == again.scan_id and s.state == "already_reported")
    assert second.codes == [SMALL_CODE]
    assert len(await rig.store.list_findings(rig.ticket_id)) == 1


@pytest.mark.slow
async def test_a_still_without_a_code_is_reported_as_such(rig: Rig) -> None:
    take = await ask(rig)
    blank = np.full((720, 1280, 3), 90, np.uint8)
    ok, png = cv2.imencode(".png", blank)
    assert ok
    assert (await rig.upload(take.scan_id, png.tobytes(), "image/png", source="grabFrame")).status_code == 202
    done = await rig.tech.wait_for(m.ScanStatus, lambda s: s.state not in ("requested", "reading"))
    assert done.state == "no_code" and done.message == "Scan found no code."
    assert await rig.store.list_findings(rig.ticket_id) == []


async def test_upload_refusals(rig: Rig, still_jpeg: bytes) -> None:
    problem(await rig.upload("nothing-asked", still_jpeg), 409, "no-scan-requested")  # decided: refuse, not read
    take = await ask(rig)
    url = f"/api/sessions/{rig.session_id}/scans/{take.scan_id}/still"
    problem(await rig.client.post(url, content=still_jpeg, headers={"Content-Type": "image/jpeg"}), 401,
            "token-missing")
    tech = rig.tokens.issue_technician("tech-1")
    problem(await rig.upload(take.scan_id, still_jpeg, token=tech), 403, "role-not-allowed")  # customers' photos only
    other = await rig.store.create_session(rig.ticket_id, created_by="tech-1")
    problem(await rig.upload(take.scan_id, still_jpeg, token=rig.tokens.issue_customer(other.id)), 403,
            "not-this-session")
    problem(await rig.upload(take.scan_id, b"x" * (MAX_BYTES + 1)), 413, "upload-too-large")
    problem(await rig.upload(take.scan_id, b"hello", "text/plain"), 415, "unsupported-media-type")
    problem(await rig.upload(take.scan_id, b"not a picture at all"), 422, "not-an-image")
    problem(await rig.upload(take.scan_id, b"\xff\xd8\xff" + b"\0" * 100), 422, "not-an-image")
    problem(await rig.upload(take.scan_id, still_jpeg, delay_ms=-1), 422, "invalid-input")
    # none of that ended the scan: the right photo is still taken
    assert (await rig.upload(take.scan_id, still_jpeg)).status_code == 202


async def test_the_server_asks_the_page_when_a_code_stays_unconfirmed(rig: Rig) -> None:
    call = rig.calls.calls[rig.session_id]
    call.auto_scan = AutoScanPolicy(interval_s=15.0, pending_for_s=0.0)
    rig.calls._pending(call, False)  # what the analysis worker reports after each analysed frame
    await asyncio.sleep(0.05)
    assert not rig.customer.of(m.TakeStill)
    rig.calls._pending(call, True)
    take = await rig.customer.wait_for(m.TakeStill)
    assert take.reason == "automatic" and take.upload_path.endswith(f"/scans/{take.scan_id}/still")
    status = await rig.tech.wait_for(m.ScanStatus)
    assert status.reason == "automatic" and status.state == "requested"
    rig.calls._pending(call, True)  # a scan runs (and the interval holds): no second request
    await asyncio.sleep(0.05)
    assert len(rig.customer.of(m.TakeStill)) == 1


@pytest.mark.parametrize("rig", [0.3], indirect=True)
async def test_a_scan_whose_photo_never_comes_fails_and_frees_the_next(rig: Rig, still_jpeg: bytes) -> None:
    take = await ask(rig)
    failed = await rig.tech.wait_for(m.ScanStatus, lambda s: s.state == "failed", timeout_s=5)
    assert "no photo in time" in failed.message
    problem(await rig.upload(take.scan_id, still_jpeg), 409, "no-scan-requested")
    await ask(rig)  # the room takes a new scan
