"""Issue 10 part 3: a code too small to read in the 640x360 live video is read from a full-resolution scan."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from testkit.servers import ServerProcess, running_server
from testkit.synth.y4m import write_y4m
from tests.e2e.conftest import create_session, join_as_customer, launch, open_console, wait_video_playing
from tests.scan_scene import SMALL_CODE, small_code_frames

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIVE_WATCH_S = 12.0  # the live analysis samples 3 frames/s: ~36 looks at the screen without confirming the code


@pytest.fixture(scope="module")
def small_code_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1080p camera (looped by Chromium) filming a printer dialog whose code is small."""
    path = tmp_path_factory.mktemp("cam") / "small-code-1080p.y4m"
    write_y4m(path, small_code_frames(12), fps=30)
    return path


@pytest.fixture
def capped_server(tmp_path: Path) -> Iterator[ServerProcess]:
    # Live video capped at 360 lines, as Chromium sends it until its bandwidth estimate grows; no automatic
    # scans, so the only scan is the technician's.
    env = {"LENSDESK_TEST_MAX_SEND_HEIGHT": "360", "LENSDESK_AUTO_SCAN_INTERVAL_S": "0"}
    with running_server(tmp_path / "data", env=env, timeout_s=90.0) as srv:
        yield srv


def analysed_frames(server: ServerProcess) -> float:
    """Frames the live analysis of this server has read so far (from /metrics)."""
    for line in httpx.get(f"{server.url}/metrics", timeout=30,
                             headers={"Authorization": f"Bearer {server.technician_token()}"}).text.splitlines():
        if line.startswith('lensdesk_analysis_frames_total{outcome="analysed"}'):
            return float(line.split()[-1])
    raise AssertionError("no analysed-frames metric")


def test_scan_confirms_a_code_the_live_video_could_not(capped_server, pw, technician_browser, small_code_camera):
    server = capped_server
    customer_browser = launch(pw, small_code_camera)
    try:
        console = open_console(technician_browser, server)
        customer = join_as_customer(customer_browser, create_session(console))
        customer.click("#video")
        wait_video_playing(console)
        assert console.evaluate("() => document.getElementById('remote-video').videoHeight") <= 360
        ticket_id = console.evaluate("() => window.lensdesk.ticketId")
        auth = {"Authorization": f"Bearer {server.technician_token()}"}
        # The live analysis watches the screen and does not confirm the code at this size.
        time.sleep(LIVE_WATCH_S)
        assert httpx.get(f"{server.url}/api/tickets/{ticket_id}/findings", headers=auth, timeout=30).json() == []
        assert analysed_frames(server) >= 10  # it did look: frames reached the analysis and were read
        customer.evaluate("""() => { window.hintShown = false;
            new MutationObserver(() => { if (!document.getElementById('scan-hint').hidden) window.hintShown = true; })
              .observe(document.getElementById('scan-hint'), { attributes: true }); }""")
        console.click("#scan")
        console.wait_for_function("() => ['found', 'no_code', 'failed', 'already_reported']"
                                  ".includes(document.getElementById('scan-state').dataset.state)", timeout=30000)
        assert console.get_attribute("#scan-state", "data-state") == "found", console.inner_text("#scan-state")
        assert console.inner_text("#scan-state") == f"Scan read {SMALL_CODE}."
        console.wait_for_selector(f"#findings li[data-code='{SMALL_CODE}']", timeout=10000)
        assert customer.evaluate("() => window.hintShown"), "the customer saw no 'hold still' hint"
        last = customer.evaluate("() => window.lensdesk.lastScan")
        assert last["source"] == "takePhoto" and last["status"] == 202
        [row] = httpx.get(f"{server.url}/api/tickets/{ticket_id}/findings", headers=auth, timeout=30).json()
        assert row["code"] == SMALL_CODE and row["source"] == "scan" and row["offset_s"] is not None
        snap = httpx.get(server.url + row["snapshot_url"], headers=auth, timeout=30)
        assert snap.status_code == 200
        still = cv2.imdecode(np.frombuffer(snap.content, np.uint8), cv2.IMREAD_COLOR)
        assert still.shape[:2] == (1080, 1920)  # the camera's full resolution, not the 360-line live video
        assert "finding" not in customer.evaluate("() => window.lensdesk.call.received")  # nothing leaks
        assert "Hold still" in customer.inner_text("#scan-hint")
    finally:
        customer_browser.close()
