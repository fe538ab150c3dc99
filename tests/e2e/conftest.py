"""Real Chromium (Debian package) driven by Playwright, against a real lensdesk server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from testkit.servers import CHROMIUM, ServerProcess, chromium_args, running_server
from testkit.synth.y4m import write_y4m

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    # Module scope: Playwright's sync API keeps an event loop running in this thread while it is open, which
    # would break every asyncio test collected after the e2e modules.
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def plain_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short moving test pattern as the fake camera (no error screen)."""
    path = tmp_path_factory.mktemp("cam") / "pattern.y4m"
    h, w = 360, 640
    frames = []
    for i in range(60):
        img = np.zeros((h, w, 3), np.uint8)
        img[:, :, 0] = np.linspace(40, 200, w, dtype=np.uint8)[None, :]
        img[:, :, 1] = 90
        x = (i * 8) % (w - 80)
        img[140:220, x:x + 80] = (20, 220, 250)
        frames.append(img)
    write_y4m(path, frames, fps=30)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server per module: every test makes its own ticket and session, so they need no server of their own."""
    with running_server(tmp_path_factory.mktemp("e2e") / "data") as srv:
        yield srv


def launch(pw: Playwright, camera: Path | None = None) -> Browser:
    """A headless Debian Chromium with fake media devices (and a fake camera file)."""
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=chromium_args(camera))


def _fresh(browser: Browser) -> Iterator[Browser]:
    """The module's browser for one test; the pages and contexts the test opened are closed after it (their calls
    end), so the next test starts from a browser with nothing open."""
    yield browser
    for context in list(browser.contexts):
        context.close()


@pytest.fixture(scope="module")
def _customer_chromium(pw: Playwright, plain_camera: Path) -> Iterator[Browser]:
    browser = launch(pw, plain_camera)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def _technician_chromium(pw: Playwright) -> Iterator[Browser]:
    browser = launch(pw)
    yield browser
    browser.close()


@pytest.fixture
def customer_browser(_customer_chromium: Browser) -> Iterator[Browser]:
    """A Chromium whose fake camera films the plain test pattern (launched once per module)."""
    yield from _fresh(_customer_chromium)


@pytest.fixture
def technician_browser(_technician_chromium: Browser) -> Iterator[Browser]:
    """The technician's Chromium (launched once per module)."""
    yield from _fresh(_technician_chromium)


def open_console(browser: Browser, server: ServerProcess) -> Page:
    """Technician console, signed in with a fresh technician token."""
    page = browser.new_page()
    page.goto(f"{server.url}/console#token={server.technician_token()}")
    page.wait_for_function("() => document.getElementById('who').textContent.includes('Tess')")
    return page


def create_session(console: Page) -> str:
    """Create a ticket + session from the console; returns the customer join link."""
    console.click("#create-session")
    console.wait_for_selector("#link-box:not([hidden])")
    console.wait_for_function("() => window.lensdesk.call && window.lensdesk.call.pc "
                              "&& window.lensdesk.call.pc.connectionState === 'connected'", timeout=20000)
    return str(console.input_value("#join-link"))


def join_as_customer(browser: Browser, link: str) -> Page:
    """Open the join link and join the call."""
    page = browser.new_page()
    page.goto(link)
    page.click("#join")
    page.wait_for_function("() => window.lensdesk.call && window.lensdesk.call.pc "
                           "&& window.lensdesk.call.pc.connectionState === 'connected'", timeout=20000)
    return page


FRAMES_JS = "() => { const v = document.getElementById('remote-video'); " \
            "return v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0; }"


def wait_video_playing(console: Page, timeout_ms: int = 20000) -> int:
    """Wait until the technician's <video> decodes frames; returns the decoded-frame count."""
    console.wait_for_function("() => document.getElementById('remote-video').videoWidth > 0", timeout=timeout_ms)
    first = int(console.evaluate(FRAMES_JS))
    console.wait_for_function(f"() => ({FRAMES_JS})() > {first + 10}", timeout=timeout_ms)
    return int(console.evaluate(FRAMES_JS))
