"""Issue 6 in real Chromium: passthrough to an invited expert, and recovery from packet loss at the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

from testkit.servers import ServerProcess, running_server
from tests.e2e.conftest import (
    FRAMES_JS,
    create_session,
    join_as_customer,
    launch,
    open_console,
    wait_video_playing,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STATS_JS = """async () => {
  const stats = await window.lensdesk.call.pc.getStats();
  const out = {nack: 0, pli: 0, lost: 0, decoded: 0, audio: 0};
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.nack += s.nackCount || 0; out.pli += s.pliCount || 0; out.lost += s.packetsLost || 0;
      out.decoded += s.framesDecoded || 0;
    }
    if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audio += s.packetsReceived || 0;
  });
  return out;
}"""

CUSTOMER_SENT_JS = """async () => {
  const stats = await window.lensdesk.call.pc.getStats();
  const out = {nack: 0, pli: 0, retransmitted: 0};
  stats.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.nack += s.nackCount || 0; out.pli += s.pliCount || 0; out.retransmitted += s.retransmittedPacketsSent || 0;
    }
  });
  return out;
}"""


@pytest.fixture
def lossy_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server that drops 5% of the RTP packets it receives (test mode)."""
    with running_server(tmp_path / "data", env={"LENSDESK_TEST_DROP_RATE": "0.05"}) as srv:
        yield srv


@pytest.mark.serial  # a timing assertion: runs after the parallel phase, alone
def test_picture_recovers_from_packet_loss_at_the_server(lossy_server, technician_browser, customer_browser):
    console = open_console(technician_browser, lossy_server)
    customer = join_as_customer(customer_browser, create_session(console))
    customer.click("#video")
    wait_video_playing(console)
    start = int(console.evaluate(FRAMES_JS))
    console.wait_for_timeout(6000)
    played = int(console.evaluate(FRAMES_JS)) - start
    # 6 s at ~30 fps with 5% of packets dropped on the customer->server leg: the picture keeps moving
    assert played >= 90, played
    sent = customer.evaluate(CUSTOMER_SENT_JS)
    # the server asked the customer's browser to resend (NACK) and it did
    assert sent["nack"] > 0 and sent["retransmitted"] > 0, sent
    assert console.evaluate("() => document.getElementById('remote-video').videoWidth") > 0


def test_invited_expert_sees_and_hears_the_call(server, pw: Playwright, technician_browser, customer_browser):
    console = open_console(technician_browser, server)
    customer = join_as_customer(customer_browser, create_session(console))
    customer.click("#video")
    wait_video_playing(console)
    session_id = console.evaluate("() => window.lensdesk.sessionId")
    expert_browser: Browser = launch(pw)
    try:
        expert = expert_browser.new_page()
        expert.goto(f"{server.url}/console#token={server.tokens.issue_technician('expert-1', 'Erin Expert')}")
        expert.wait_for_function("() => document.getElementById('who').textContent.includes('Erin')")
        expert.fill("#join-session-id", session_id)
        expert.click("#join-session")
        expert.wait_for_function("() => window.lensdesk.call && window.lensdesk.call.pc "
                                 "&& window.lensdesk.call.pc.connectionState === 'connected'", timeout=20000)
        # a keyframe is requested for the new viewer, so the picture shows without waiting for the encoder
        wait_video_playing(expert, timeout_ms=10000)
        expert.wait_for_function(f"async () => (await ({STATS_JS})()).audio > 20", timeout=15000)
        # the first technician's picture keeps flowing
        before = int(console.evaluate(FRAMES_JS))
        console.wait_for_function(f"() => ({FRAMES_JS})() > {before + 20}", timeout=10000)
    finally:
        expert_browser.close()
