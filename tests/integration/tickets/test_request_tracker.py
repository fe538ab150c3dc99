"""RequestTrackerConnector against a real Request Tracker 5 (installed and started by the fixture)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.servers import free_port
from tests.unit.tickets.factories import new_finding
from tickets.connectors.base import Delivery
from tickets.connectors.rt import MARKER_PREFIX, RequestTrackerConnector
from tickets.outbox import OutboxWorker
from tickets.store import TicketStore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
RT_SERVER = "/usr/share/request-tracker5/libexec/rt-server"
AUTH = ("root", "password")


@pytest.fixture(scope="session")
def rt_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    install = subprocess.run(["bash", str(ROOT / "scripts/install-rt.sh")], capture_output=True, text=True,
                             timeout=600, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if install.returncode != 0:
        pytest.fail(f"scripts/install-rt.sh failed ({install.returncode}):\n{install.stdout}\n{install.stderr}")
    port = free_port()
    log = tmp_path_factory.mktemp("rt") / "rt-server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen([RT_SERVER, "--port", str(port), "--max-workers", "2"], stdout=log_file,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/REST/2.0/queues/all", auth=AUTH, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"rt-server did not answer REST2 on port {port}:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _rt_ticket(url: str, subject: str) -> int:
    response = httpx.post(f"{url}/REST/2.0/ticket", auth=AUTH, json={"Queue": "General", "Subject": subject})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _attachments(url: str, number: int) -> list[dict]:
    listing = httpx.get(f"{url}/REST/2.0/ticket/{number}/attachments", auth=AUTH,
                        params={"fields": "Filename,ContentType", "per_page": 100}).json()
    return [httpx.get(f"{url}/REST/2.0/attachment/{item['id']}", auth=AUTH).json() for item in listing["items"]]


async def test_finding_becomes_comment_with_snapshot(rt_url: str, tmp_path: Path) -> None:
    number = _rt_ticket(rt_url, "Customer printer broken")
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'l.db'}", tmp_path)
    await store.migrate()
    ticket = await store.create_ticket("Printer", external_ref=f"rt:{number}", created_by="tech")
    unlinked = await store.create_ticket("No RT link", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    new = new_finding("E12", seed=7)
    finding = await store.attach_finding(session.id, new)
    await store.end_session(session.id, actor="tech")
    other = await store.create_session(unlinked.id, created_by="tech")
    await store.attach_finding(other.id, new_finding("F01", seed=8))

    rt = RequestTrackerConnector(rt_url, *AUTH)
    assert await OutboxWorker(store, [rt], max_attempts=3).drain_once() == 3
    assert (await store.outbox.counts()) == {"delivered": 3}

    attachments = _attachments(rt_url, number)
    texts = [base64.b64decode(a["Content"]).decode() for a in attachments if a["ContentType"] == "text/plain"]
    finding_texts = [t for t in texts if f"{MARKER_PREFIX} finding.attached:{finding.id}" in t]
    assert len(finding_texts) == 1
    assert "Code: E12" in finding_texts[0] and "Remedy: Open tray 2" in finding_texts[0]
    assert "00:08 into the recording" in finding_texts[0]
    assert any(f"session.ended:{session.id}" in t for t in texts)
    images = [a for a in attachments if a["ContentType"] == "image/jpeg"]
    assert len(images) == 1
    assert images[0]["Filename"].startswith("E12-")
    assert base64.b64decode(images[0]["Content"]) == new.snapshot_jpeg

    # at-least-once: a second delivery of the same event must not add a second comment
    event = next(e for e in await store.outbox.list() if e.type == "finding.attached"
                 and e.payload["finding"]["id"] == finding.id)
    await rt.deliver(Delivery(event=event))
    assert len(_attachments(rt_url, number)) == len(attachments)
    await rt.aclose()
    await store.close()


async def test_missing_rt_ticket_dead_letters(rt_url: str, tmp_path: Path) -> None:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'l.db'}", tmp_path)
    await store.migrate()
    ticket = await store.create_ticket("Printer", external_ref="rt:987654", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    await store.attach_finding(session.id, new_finding())
    rt = RequestTrackerConnector(rt_url, *AUTH)
    await OutboxWorker(store, [rt], max_attempts=5, base_delay_s=0.01).drain_once()
    [event] = await store.outbox.list()
    assert event.status == "dead" and "rt ticket 987654" in str(event.last_error)
    await rt.aclose()
    await store.close()


async def test_wrong_password_is_retried_not_lost(rt_url: str, tmp_path: Path) -> None:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'l.db'}", tmp_path)
    await store.migrate()
    ticket = await store.create_ticket("Printer", external_ref=f"rt:{_rt_ticket(rt_url, 'x')}", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    await store.attach_finding(session.id, new_finding())
    rt = RequestTrackerConnector(rt_url, "root", "wrong")
    await OutboxWorker(store, [rt], max_attempts=5, base_delay_s=0.01).drain_once()
    [event] = await store.outbox.list()
    assert event.status == "pending" and event.attempts == 1 and "401" in str(event.last_error)
    await rt.aclose()
    await store.close()
