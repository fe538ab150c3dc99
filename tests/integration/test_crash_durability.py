"""SIGKILL the server right after a live finding was attached: after a restart the finding, its snapshot and the
undelivered webhook event are all there (issue 4)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from testkit.peers import SyntheticCustomer, SyntheticTechnician
from testkit.servers import start_server
from testkit.session_client import start_pair
from testkit.synth.desk_clip import make_clip
from tests.integration.tickets.receiver import RunningReceiver, WebhookReceiver

pytestmark = pytest.mark.slow

SECRET = "hook-secret-" + "h" * 20


async def test_sigkill_after_a_finding_loses_nothing(tmp_path: Path):
    # Short and at 15 fps: what is tested is durability across the kill; encoding a longer 720p clip was most of the time
    clip, code, _ = make_clip(12, neutral_s=0.5, screen_s=2.0, fps=15)
    receiver = WebhookReceiver(SECRET, fail_always=True)  # the ticket system is down while the call runs
    running = RunningReceiver(receiver)
    await running.start()
    # Short retries and lease: what is tested is that the event survives the kill, not the production back-off.
    env = {"LENSDESK_WEBHOOK_URL": receiver.url, "LENSDESK_WEBHOOK_SECRET": SECRET,
           "LENSDESK_OUTBOX_RETRY_BASE_S": "0.2", "LENSDESK_OUTBOX_RETRY_MAX_S": "1", "LENSDESK_OUTBOX_LEASE_S": "2"}
    data = tmp_path / "data"
    server = await asyncio.to_thread(start_server, data, env=env)
    restarted = None
    try:
        pair = await start_pair(server.url, server.technician_token(), SyntheticCustomer(clip), SyntheticTechnician())
        finding = (await pair.technician_link.wait_for("finding", 30))["finding"]
        assert finding["code"] == code
        server.kill(signal.SIGKILL)  # right after the commit the console was told about
        await pair.close()
        assert not any(key.startswith("finding.attached") for key in receiver.processed)

        receiver.fail_always = False  # the ticket system is back
        restarted = await asyncio.to_thread(start_server, data, env=env, secret=server.secret)
        auth = {"Authorization": f"Bearer {restarted.technician_token()}"}
        async with httpx.AsyncClient(base_url=restarted.url, headers=auth) as http:
            rows = (await http.get(f"/api/tickets/{finding['ticket_id']}/findings")).json()
            assert [r["id"] for r in rows] == [finding["id"]]
            snapshot = await http.get(rows[0]["snapshot_url"])
            assert snapshot.status_code == 200 and snapshot.content[:2] == b"\xff\xd8"
        for _ in range(600):  # the outbox worker delivers what was pending before the kill (after its backoff)
            if f"finding.attached:{finding['id']}" in receiver.processed:
                break
            await asyncio.sleep(0.1)
        event = receiver.processed[f"finding.attached:{finding['id']}"]
        assert code in str(event) and not receiver.rejected
    finally:
        for srv in (server, restarted):
            if srv is not None and srv.proc.poll() is None:
                # Off the loop: the receiver in this loop must keep answering while the server shuts down (a
                # blocking wait here held a shutting-down delivery until its HTTP timeout, ~30 s).
                await asyncio.to_thread(srv.kill, signal.SIGTERM)
        await running.stop()
