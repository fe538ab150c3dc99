"""Issue 13 in real Chromium: a reviewer pages through the library by cursor (Next, Previous), finds a recorded
session by its error code, plays it at the finding (the review page seeks to the finding's moment), and downloads
the session's evidence bundle.

The call is made by synthetic aiortc peers through the real server (a small plain clip: this test is about the
library, not about reading screens); the technician attaches the finding with a code during the call, so it has its
moment in the recording like a read one."""

from __future__ import annotations

import asyncio
import io
import json
import time
import zipfile

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser

from signaling.tokens import Role
from testkit.peers import EncodedClip, SyntheticCustomer, SyntheticTechnician, encode_clip
from testkit.servers import ServerProcess
from testkit.session_client import CallPair, start_pair
from tests.e2e.test_review import LoopThread, peers_loop, pw  # noqa: F401 - fixtures
from tests.unit.tickets.factories import make_jpeg

CODE = "SC-542"


@pytest.fixture(scope="module")
def small_clip() -> EncodedClip:
    """3 s of a slowly changing 320x240 picture (VP8, 30 fps, a keyframe every half second)."""
    frames = [np.full((240, 320, 3), (40 + i, 80, 120 - i // 2), np.uint8) for i in range(90)]
    return encode_clip(frames, bitrate=300_000, keyframe_interval=15)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_find_by_code_play_at_the_finding_and_download_the_bundle(
        server: ServerProcess, technician_browser: Browser, small_clip: EncodedClip,
        peers_loop: LoopThread) -> None:  # noqa: F811
    token = server.technician_token()

    async def call() -> CallPair:
        return await start_pair(server.url, token, SyntheticCustomer(small_clip), SyntheticTechnician(),
                                title="Printer in hall B shows an error")

    auth = {"Authorization": f"Bearer {token}"}
    pair = peers_loop.run(call())
    try:
        deadline = time.monotonic() + 60
        while pair.customer.pc.connectionState != "connected":  # the customer's media reaches the server
            assert time.monotonic() < deadline, "the customer's peer never connected"
            peers_loop.run(asyncio.sleep(0.2))
        peers_loop.run(asyncio.sleep(2.0))  # and is recorded for a while
        attached = httpx.post(f"{server.url}/api/sessions/{pair.session.session_id}/snapshots", headers=auth,
                              files={"file": ("screen.jpg", make_jpeg(5), "image/jpeg")},
                              data={"code": CODE, "note": "fuser error on the display"}, timeout=30)
        assert attached.status_code == 201, attached.text
        peers_loop.run(asyncio.sleep(1.0))
    finally:
        peers_loop.run(pair.close(end_session=True))
    ticket_id = pair.session.ticket_id
    deadline = time.monotonic() + 30
    while True:  # the recording is finalised once the call has ended
        recordings = httpx.get(f"{server.url}/api/tickets/{ticket_id}/recordings", headers=auth).json()
        if recordings and recordings[0]["status"] == "finalised":
            break
        assert time.monotonic() < deadline, recordings
        time.sleep(0.2)
    finding = next(f for f in httpx.get(f"{server.url}/api/tickets/{ticket_id}/findings", headers=auth).json()
                   if f["code"] == CODE)
    assert finding["offset_s"] is not None, finding
    offset = float(finding["offset_s"])

    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:  # 26 more: two pages of 25
        for i in range(26):
            made = client.post("/api/tickets", json={"title": f"Filler {i}"}).json()
            assert client.post(f"/api/tickets/{made['id']}/sessions").status_code == 201

    reviewer = server.tokens.issue_staff(Role.REVIEWER, "rita", "Rita Reviewer")
    page = technician_browser.new_page()
    try:
        page.goto(f"{server.url}/library#token={reviewer}")
        page.wait_for_function("() => window.lensdesk.ready && window.lensdesk.items")
        assert reviewer not in page.url
        assert page.inner_text("#count") == "27 sessions" and page.inner_text("#page") == "1–25"
        first_page = page.evaluate("() => window.lensdesk.items.map((r) => r.session_id)")
        page.click("#next")  # by the cursor the first page gave
        page.wait_for_function("() => window.lensdesk.ready && window.lensdesk.items.length === 2")
        assert page.inner_text("#page") == "26–27" and page.is_disabled("#next")
        assert pair.session.session_id in page.evaluate("() => window.lensdesk.items.map((r) => r.session_id)")
        page.click("#prev")
        page.wait_for_function("() => window.lensdesk.ready && window.lensdesk.items.length === 25")
        assert page.evaluate("() => window.lensdesk.items.map((r) => r.session_id)") == first_page
        assert page.inner_text("#page") == "1–25" and page.is_disabled("#prev")
        assert page.inner_text("#count") == "27 sessions"  # kept while paging (count=none)
        page.fill("#code", CODE)
        page.click("#search")
        row = f"tr[data-session='{pair.session.session_id}']"
        page.wait_for_selector(row)
        assert page.locator("#sessions tbody tr").count() == 1  # only the session that showed this code
        assert page.inner_text(f"{row} [data-recording]") == "finalised"

        with page.expect_download() as download_info:
            page.click(f"{row} a.bundle")
        bundle = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))
        names = bundle.namelist()
        assert "index.html" in names and any(n.startswith("recording-") for n in names), names
        assert CODE in [f["code"] for f in json.loads(bundle.read("findings.json"))]
        audit = httpx.get(f"{server.url}/api/tickets/{ticket_id}/audit", headers=auth).json()
        assert ("rita", "bundle_downloaded") in [(a["actor"], a["action"]) for a in audit]

        page.click(f"{row} a.code[data-code='{CODE}']")  # play it at the finding
        page.wait_for_function("() => location.pathname === '/review' && window.lensdesk && window.lensdesk.lastSeek"
                               " && window.lensdesk.lastSeek.seeked", timeout=30000)
        assert page.evaluate("() => window.lensdesk.lastSeek.findingId") == finding["id"]
        current = float(page.evaluate("() => document.querySelector('video[data-recording]').currentTime"))
        assert abs(current - offset) <= 0.5, (current, offset)
        assert page.evaluate("() => window.lensdesk.me.role") == "reviewer"
    finally:
        page.close()
