"""Issue 5: a session recorded through the server is reviewed in real Chromium; a finding's marker seeks to the
error screen.

The call is made by synthetic aiortc peers (testkit/session_client.py) that go through the real server exactly like
the browsers, sending a pre-encoded clip: 2 s of a plain desk, then 4 s of a phone filming an error dialog, looped.
Knowing the clip lets the test tell the error screen from the neutral scene in the frame the review page shows.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import cv2
import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from diagnostics.analyzer import FrameAnalyzer
from diagnostics.config import DiagnosticsConfig
from diagnostics.ocr import TesserocrEngine
from testkit.peers import EncodedClip, SyntheticCustomer, SyntheticTechnician, encode_clip
from testkit.servers import ServerProcess
from testkit.session_client import CallPair, SignalingClient, create_session, start_pair
from testkit.synth.capture import random_capture_params, render_capture
from testkit.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SAMPLE = next(s for s in SAMPLES if s.code == "0x8007045D")
SIZE = (1280, 720)
NEUTRAL_BGR = (70, 80, 90)
T = TypeVar("T")


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    """This module's own Playwright (overrides the session one): sync Playwright leaves its event loop marked as
    running on the main thread until it stops, which breaks every asyncio test collected after it."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def error_clip() -> EncodedClip:
    """2 s of a plain desk, then 4 s of a hand-held phone filming a Windows-style error dialog (VP8, 30 fps)."""
    style = ScreenStyle(layout="dialog", font="sans", fg=(20, 20, 20), bg=(245, 245, 245))
    screen = render_error_screen(SAMPLE.code, screen_text(SAMPLE), style, (900, 560))
    rng = np.random.default_rng(7)
    params = random_capture_params(rng, SIZE, screen.shape[1] / screen.shape[0], severity=0.5)
    neutral = np.full((SIZE[1], SIZE[0], 3), NEUTRAL_BGR, np.uint8)
    frames = [np.clip(neutral.astype(np.int16) + rng.integers(-3, 4, neutral.shape), 0, 255).astype(np.uint8)
              for _ in range(60)]
    shots = [render_capture(screen, params, SIZE, shake=(2 * np.sin(i / 5), 1.5 * np.cos(i / 7), 0.3 * np.sin(i / 9)),
                            frame_seed=i) for i in range(30)]
    frames += [shots[i % len(shots)] for i in range(120)]  # rendering is the slow part: reuse one second of shake
    # a keyframe where the dialog appears: its first frames are sharp, not smeared by the scene cut
    return encode_clip(frames, bitrate=1_500_000, keyframe_interval=60)


class LoopThread:
    """An asyncio loop on its own thread, so aiortc peers run beside Playwright's sync API."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="peers", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture
def peers_loop() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.stop()


def review_url(server: ServerProcess, ticket_id: str, token: str) -> str:
    return f"{server.url}/review#ticket={ticket_id}&token={token}"


def frame_shown(page: Page, recording_id: str) -> np.ndarray:
    """The <video>'s current frame, drawn onto a canvas in the page, as a BGR image."""
    data_url = page.evaluate("""(id) => {
        const v = document.querySelector(`video[data-recording="${id}"]`);
        const c = document.createElement("canvas");
        c.width = v.videoWidth; c.height = v.videoHeight;
        c.getContext("2d").drawImage(v, 0, 0);
        return c.toDataURL("image/png");
    }""", recording_id)
    png = base64.b64decode(data_url.split(",", 1)[1])
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[:2] == (SIZE[1], SIZE[0]), "no decoded frame in the player"
    return image


def codes_read(image: np.ndarray) -> set[str]:
    """Error codes diagnostics reads in one frame."""
    config = DiagnosticsConfig(languages="eng")
    analysis = FrameAnalyzer(config, TesserocrEngine(config.tessdata_path, config.languages)).analyze(image)
    return {r.code for r in analysis.reads}


def test_review_page_markers_seek_to_the_error_screen(server: ServerProcess, technician_browser: Browser,
                                                      error_clip: EncodedClip, peers_loop: LoopThread) -> None:
    token = server.technician_token()

    async def call() -> CallPair:  # peers are made on the loop that runs them
        return await start_pair(server.url, token, SyntheticCustomer(error_clip), SyntheticTechnician(),
                                title="Printer shows an error")

    pair = peers_loop.run(call())
    ticket_id = pair.session.ticket_id
    page = technician_browser.new_page()
    try:
        peers_loop.run(pair.technician_link.wait_for("finding", 40), timeout_s=45)
        # While the call runs, the review page says the recording is still in progress.
        page.goto(review_url(server, ticket_id, token))
        page.wait_for_function("() => window.lensdesk.ready")
        page.wait_for_selector(".recording[data-status='recording'] .in-progress")
        assert token not in page.url  # the token left the address bar at once
        peers_loop.run(asyncio.sleep(1.0))
        peers_loop.run(pair.close(end_session=True))
    except BaseException:
        peers_loop.run(pair.close(end_session=True))
        raise

    # The page notices the finalised recording by itself and shows the finding's marker.
    marker = page.wait_for_selector(f".marker[data-code='{SAMPLE.code}']", timeout=30000)
    assert marker is not None
    auth = {"Authorization": f"Bearer {token}"}
    findings = httpx.get(f"{server.url}/api/tickets/{ticket_id}/findings", headers=auth).json()
    finding = next(f for f in findings if f["code"] == SAMPLE.code)
    recording = httpx.get(f"{server.url}/api/tickets/{ticket_id}/recordings", headers=auth).json()[0]
    assert recording["status"] == "finalised" and finding["offset_s"] is not None
    offset, duration = float(finding["offset_s"]), float(recording["duration_s"])
    assert 0 < offset < duration
    left = float(page.evaluate("(m) => parseFloat(m.style.left)", marker))
    assert abs(left - 100 * offset / duration) < 0.5

    rec_id = recording["id"]
    page.wait_for_function(f"() => document.querySelector('video[data-recording=\"{rec_id}\"]').readyState >= 1")
    # Before any seek the player sits at 0 s, before the customer's camera: nothing like the error screen.
    marker.click()
    page.wait_for_function("() => window.lensdesk.lastSeek && window.lensdesk.lastSeek.seeked")
    page.wait_for_function(f"() => document.querySelector('video[data-recording=\"{rec_id}\"]').readyState >= 2")
    current = float(page.evaluate(f"() => document.querySelector('video[data-recording=\"{rec_id}\"]').currentTime"))
    assert abs(current - offset) <= 0.5, (current, offset)
    assert page.evaluate("() => window.lensdesk.selected") == finding["id"]
    assert page.locator(f".finding.selected[data-code='{SAMPLE.code}']").count() == 1

    # The finding is usually read in the dialog's very first frame: the marker must land on that frame, not the
    # desk just before it (the moment is the frame's place in the file; the player seeks just inside it).
    shown = frame_shown(page, rec_id)
    grey = cv2.cvtColor(shown, cv2.COLOR_BGR2GRAY)
    neutral_grey = float(cv2.cvtColor(np.array([[NEUTRAL_BGR]], np.uint8), cv2.COLOR_BGR2GRAY)[0, 0])
    print(f"offset {offset:.2f} s of {duration:.2f} s; frame mean {grey.mean():.1f} (neutral {neutral_grey:.0f}), "
          f"std {grey.std():.1f}")
    assert grey.std() > 20 and abs(grey.mean() - neutral_grey) > 10, "the frame at the marker is the plain desk"
    assert SAMPLE.code in codes_read(shown), "diagnostics cannot read the error code in the frame at the marker"

    # A snapshot seeks too, and the gallery images came through the bearer token as blobs.
    page.wait_for_function(f"() => document.querySelector(\"figure[data-finding='{finding['id']}'] img\").naturalWidth > 0")
    assert page.evaluate(f"() => document.querySelector(\"figure[data-finding='{finding['id']}'] img\").src"
                         ).startswith("blob:")
    page.evaluate(f"() => document.querySelector('video[data-recording=\"{rec_id}\"]').currentTime = 0")
    page.click(f"figure[data-finding='{finding['id']}']")
    page.wait_for_function(f"() => Math.abs(document.querySelector('video[data-recording=\"{rec_id}\"]').currentTime"
                           f" - {offset}) < 0.5")
    # The session's audit events, and a download link that works with the token only.
    page.click("details.audit summary")
    actions = page.eval_on_selector_all("details.audit tr[data-action]", "rows => rows.map(r => r.dataset.action)")
    assert "video_active" in actions and "ended" in actions, actions
    page.click("details.audit tr.seekable[data-action='video_active']")  # an event's row seeks to its moment
    page.wait_for_function("() => window.lensdesk.lastSeek.auditId && window.lensdesk.lastSeek.seeked")
    assert 0 < float(page.evaluate("() => window.lensdesk.lastSeek.offset")) < offset
    href = str(page.get_attribute("a.download", "href"))
    assert "/file?token=" in href
    got = httpx.get(href if href.startswith("http") else server.url + href)
    assert got.status_code == 200 and len(got.content) == recording["size_bytes"]
    assert httpx.get(server.url + recording["file_url"]).status_code == 401

    # A dismissed finding stays on the timeline, greyed; a reload works without the token in the address bar.
    dismissed = httpx.post(f"{server.url}/api/findings/{finding['id']}/dismiss", json={"reason": "test"}, headers=auth)
    assert dismissed.status_code == 200, dismissed.text
    page.reload()
    page.wait_for_selector(f".marker.dismissed[data-code='{SAMPLE.code}']")
    assert "Dismissed by" in page.inner_text(f"li.finding[data-finding='{finding['id']}']")
    page.close()


def test_review_page_explains_missing_bad_or_wrong_tokens(server: ServerProcess, technician_browser: Browser) -> None:
    page = technician_browser.new_page()
    page.goto(f"{server.url}/review#ticket=nope")
    page.wait_for_function("() => window.lensdesk.ready")
    assert "No technician token" in page.inner_text("#error")
    assert page.is_visible("#signin")

    page.goto("about:blank")
    page.goto(f"{server.url}/review#ticket=nope&token=not-a-token")
    page.wait_for_function("() => window.lensdesk.ready")
    assert "not valid or has expired" in page.inner_text("#error")

    token = server.technician_token()
    auth = {"Authorization": f"Bearer {token}"}
    ticket = httpx.post(f"{server.url}/api/tickets", json={"title": "no call yet"}, headers=auth).json()
    created = httpx.post(f"{server.url}/api/tickets/{ticket['id']}/sessions", json={}, headers=auth).json()
    page.goto("about:blank")
    page.goto(f"{server.url}/review#ticket={ticket['id']}&token={created['join_token']}")
    page.wait_for_function("() => window.lensdesk.ready")
    assert "technician token" in page.inner_text("#error")

    page.goto("about:blank")
    page.goto(f"{server.url}/review#ticket=does-not-exist&token={token}")
    page.wait_for_function("() => window.lensdesk.ready && window.lensdesk.error")
    assert "does not exist" in page.inner_text("#error")

    page.goto("about:blank")
    page.goto(f"{server.url}/review#ticket={ticket['id']}&token={token}")
    page.wait_for_function("() => window.lensdesk.ready && window.lensdesk.ticket")
    assert "No recordings yet" in page.inner_text("#status")
    assert page.locator(".no-recording").count() == 1
    page.close()



def test_session_ended_with_nothing_recorded_is_not_shown_as_in_progress(
        server: ServerProcess, technician_browser: Browser, peers_loop: LoopThread) -> None:
    token = server.technician_token()

    async def technician_alone() -> str:
        """A technician without a microphone joins and ends the session: the server records nothing."""
        session = await create_session(server.url, token, "nobody showed up")
        link, peer = SignalingClient(server.url, token, session.session_id), SyntheticTechnician()
        await link.connect()
        await link.negotiate(peer)
        await asyncio.sleep(0.5)
        await link.send({"type": "bye", "end_session": True})
        await link.wait_for("ended", 10)
        await peer.close()
        await link.close()
        return session.ticket_id

    ticket_id = peers_loop.run(technician_alone())
    auth = {"Authorization": f"Bearer {token}"}
    rows = httpx.get(f"{server.url}/api/tickets/{ticket_id}/recordings", headers=auth).json()
    # Nothing was captured: the recording is closed as "empty" at once, not left "recording" for ever.
    assert [r["status"] for r in rows] == ["empty"]
    page = technician_browser.new_page()
    page.goto(review_url(server, ticket_id, token))
    page.wait_for_function("() => window.lensdesk.ready && window.lensdesk.ticket")
    assert page.locator(".recording .in-progress").count() == 0
    assert "Nothing was recorded" in page.inner_text(".recording .empty")
    assert page.locator(".recording video").count() == 0
    page.close()
