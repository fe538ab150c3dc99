"""Issue 13's evidence and lifecycle controls in real Chromium, one server and one browser for the module: a
supervisor shares a session's bundle (downloaded through the link without a token), revokes it (the link is then
refused), exports a clip chosen on the player and plays it, puts the ticket on legal hold (erasing is refused),
releases it and erases the ticket (the recording is gone and the library no longer finds the session), and erases a
customer from the library page. One real call (synthetic peers) makes the recording, hence ~90 s. A reviewer
sees the evidence controls but none of the lifecycle ones (the policy table: export yes, retention.manage no)."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page

from signaling.tokens import Role
from testkit.peers import EncodedClip, SyntheticCustomer, SyntheticTechnician, encode_clip
from testkit.servers import ServerProcess, running_server
from testkit.session_client import start_pair
from tests.e2e.conftest import launch
from tests.e2e.test_review import LoopThread, pw  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
WORD = "quokka"  # in the ticket's title: the library finds the session by it until it is erased


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("evidence") / "data", env={"LENSDESK_RETENTION_DAYS": "30"}) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser(pw) -> Iterator[Browser]:  # noqa: F811
    b = launch(pw)
    yield b
    b.close()


@pytest.fixture(scope="module")
def recorded(server: ServerProcess) -> tuple[str, str]:
    """(ticket id, session id) of a short recorded call made by synthetic peers (3 s, a keyframe every 0.5 s)."""
    frames = [np.full((240, 320, 3), (40 + i, 80, 120 - i // 2), np.uint8) for i in range(90)]
    clip: EncodedClip = encode_clip(frames, bitrate=300_000, keyframe_interval=15)
    token = server.technician_token()
    loop = LoopThread()
    try:
        pair = loop.run(start_pair(server.url, token, SyntheticCustomer(clip), SyntheticTechnician(),
                                   title=f"Printer {WORD} in hall C"))
        try:
            deadline = time.monotonic() + 60
            while pair.customer.pc.connectionState != "connected":
                assert time.monotonic() < deadline, "the customer's peer never connected"
                loop.run(asyncio.sleep(0.2))
            loop.run(asyncio.sleep(3.5))  # recorded for a while
        finally:
            loop.run(pair.close(end_session=True))
    finally:
        loop.stop()
    ticket_id = pair.session.ticket_id
    auth = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 30
    while True:
        recordings = httpx.get(f"{server.url}/api/tickets/{ticket_id}/recordings", headers=auth).json()
        if recordings and recordings[0]["status"] == "finalised":
            return ticket_id, pair.session.session_id
        assert time.monotonic() < deadline, recordings
        time.sleep(0.2)


def open_review(browser: Browser, server: ServerProcess, ticket_id: str, token: str) -> Page:
    page = browser.new_page()
    page.goto(f"{server.url}/review#ticket={ticket_id}&token={token}")
    page.wait_for_function("() => window.lensdesk.ready && window.lensdesk.ticket")
    return page


def test_reviewer_gets_evidence_but_no_lifecycle_controls(browser: Browser, server: ServerProcess,
                                                          recorded: tuple[str, str]) -> None:
    ticket_id, session_id = recorded
    page = open_review(browser, server, ticket_id, server.tokens.issue_staff(Role.REVIEWER, "rita", "Rita"))
    try:
        assert page.locator(f".evidence[data-session='{session_id}']").count() == 1
        assert page.locator(".clip .clip-export").count() == 1
        assert page.locator(".lifecycle").count() == 0 and page.locator(".hold-toggle").count() == 0
    finally:
        page.close()


def test_share_clip_hold_and_erase(browser: Browser, server: ServerProcess, recorded: tuple[str, str],
                                   tmp_path: Path) -> None:
    ticket_id, session_id = recorded
    page = open_review(browser, server, ticket_id, server.tokens.issue_staff(Role.SUPERVISOR, "sam", "Sam Super"))
    try:
        # share the bundle; a vendor downloads it through the link, without any token
        evidence = page.locator(f".evidence[data-session='{session_id}']")
        evidence.locator("summary").click()
        evidence.locator(".share-note").fill("vendor case 1234")
        evidence.locator(".share-create").click()
        url = evidence.locator(".share-url").input_value()
        assert url.startswith(f"{server.url}/api/public/shares/")
        row = evidence.locator("tr[data-usable='true']")
        row.wait_for()
        assert "expires" in row.locator(".share-state").inner_text()
        vendor = browser.new_context()
        try:
            got = vendor.request.get(url)
            assert got.status == 200, got.text()
            assert "index.html" in zipfile.ZipFile(io.BytesIO(got.body())).namelist()
            # revoke it: the row says so and the link is refused
            row.locator(".share-revoke").click()
            evidence.locator("tr[data-usable='false'] .share-state").filter(has_text="revoked").wait_for()
            refused = vendor.request.get(url)
            assert refused.status == 410 and "revoked" in refused.json()["detail"]
        finally:
            vendor.close()

        # a clip of the call's last two seconds (on a busy machine video may reach the recording late), chosen on
        # the player, exported, played and downloadable
        page.wait_for_function("() => document.querySelector('video[data-recording]').readyState >= 1")
        duration = float(page.evaluate("() => window.lensdesk.recordings[0].duration_s"))
        ends = (round(duration - 2.0, 1), round(duration - 0.1, 1))
        for at, button in zip(ends, (".clip-set-start", ".clip-set-end"), strict=True):
            page.evaluate(f"() => {{ document.querySelector('video[data-recording]').currentTime = {at}; }}")
            page.wait_for_function(f"() => Math.abs(document.querySelector('video[data-recording]').currentTime - {at}) < 0.05")
            page.click(button)
        assert (float(page.input_value(".clip-start")), float(page.input_value(".clip-end"))) == ends
        assert page.locator(".clip-range").is_visible()
        page.click(".clip-export")
        page.wait_for_selector(".clip-video")
        page.evaluate("() => { const v = document.querySelector('.clip-video'); v.muted = true; return v.play(); }")
        clip_state = "() => { const v = document.querySelector('.clip-video'); return {ready: v.readyState, " \
                     "duration: String(v.duration), t: v.currentTime, paused: v.paused, error: v.error && v.error.message, " \
                     "frames: v.getVideoPlaybackQuality().totalVideoFrames}; }"
        try:
            page.wait_for_function("() => { const v = document.querySelector('.clip-video'); "
                                   "return v.currentTime > 0.3 && v.getVideoPlaybackQuality().totalVideoFrames > 5; }",
                                   timeout=15000)
        except Exception:
            raise AssertionError(page.evaluate(clip_state)) from None
        with page.expect_download() as download:
            page.click(".clip-download")
        assert download.value.suggested_filename.endswith(".webm") and download.value.path().stat().st_size > 1000

        # legal hold: erasing is refused with a sentence
        page.fill(".hold-reason", "warranty dispute")
        page.click(".hold-toggle")
        page.wait_for_selector(".hold-state.held")
        page.fill(".erase-reason", "customer request")
        page.click(".erase-ticket")
        assert "cannot be undone" in page.inner_text(".erase-ticket-confirm")
        page.click(".erase-ticket-yes")
        page.wait_for_function("() => window.lensdesk.error.includes('legal hold')")
        assert page.inner_text("#error").startswith("Could not erase the ticket:")
        assert page.locator("video[data-recording]").count() == 1  # nothing was deleted

        # released, then erased: the recording is gone
        page.click(".hold-toggle")
        page.wait_for_selector(".hold-state:not(.held)")
        page.fill(".erase-reason", "customer request")
        page.click(".erase-ticket")
        page.click(".erase-ticket-yes")
        page.wait_for_selector(".notice.erased")
        assert page.locator("video[data-recording]").count() == 0 and page.inner_text("#error") == ""

        # and the library no longer finds the session by its title; the retention policy is shown
        page.goto(f"{server.url}/library")
        page.wait_for_function("() => window.lensdesk.ready && window.lensdesk.items")
        page.wait_for_selector("#lifecycle:not([hidden])")
        assert "older than 30 days are deleted" in page.inner_text("#retention-rule")
        page.fill("#q", WORD)
        page.click("#search")
        page.wait_for_function("() => window.lensdesk.ready && document.getElementById('count').textContent === '0 sessions'")
        assert page.locator(f"tr[data-session='{session_id}']").count() == 0

        # erase a customer on request from the library page, after the confirmation step
        tech = {"Authorization": f"Bearer {server.technician_token()}"}
        other = httpx.post(f"{server.url}/api/tickets", headers=tech,
                           json={"title": "Copier on floor 2", "customer": "Dora Example"}).json()
        page.fill("#erase-customer-name", "Dora Example")
        page.fill("#erase-customer-reason", "request of today")
        page.click(".erase-customer")
        assert "Dora Example" in page.inner_text(".erase-customer-confirm")
        page.click(".erase-customer-yes")
        page.wait_for_function("() => (window.lensdesk.message || '').startsWith('Customer erased') || window.lensdesk.error")
        assert page.inner_text("#error") == "", page.inner_text("#error")
        assert httpx.get(f"{server.url}/api/tickets/{other['id']}", headers=tech).json()["customer"] == "[erased]"
    finally:
        page.close()
