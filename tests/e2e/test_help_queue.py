"""Issue 12 end to end in Chromium: a device's help link -> the queue -> a technician goes online and gets the
request -> video -> the error screen's finding on the ticket the request created."""

from __future__ import annotations

import httpx
import pytest

from signaling.tokens import Role
from tests.e2e.conftest import launch, open_console, wait_video_playing
from tests.e2e.test_findings import SAMPLE, error_camera  # noqa: F401 - the fixture, reused

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_help_link_to_queue_to_technician_to_finding_on_the_ticket(
        server, pw, technician_browser, error_camera) -> None:  # noqa: F811 - the imported fixture
    supervisor = {"Authorization": f"Bearer {server.tokens.issue_staff(Role.SUPERVISOR, 'sup1', 'Sue')}"}
    link = httpx.post(f"{server.url}/api/help-links", headers=supervisor,
                      json={"family": "windows-pc", "model": "Workstation Z4", "serial": "CZ1234",
                            "site": "ACME Leeds"}).json()
    customer_browser = launch(pw, error_camera)
    try:
        phone = customer_browser.new_page()
        phone.goto(link["url"])
        phone.wait_for_selector("#ask:not([hidden])")
        assert phone.inner_text("#device-model") == "Workstation Z4"
        assert phone.inner_text("#device-serial") == "S/N CZ1234"
        phone.fill("#name", "Ann")
        phone.fill("#description", "Blue dialog after the update")
        phone.click("#ask-video")
        phone.wait_for_function("() => document.getElementById('position').textContent === 'You are next.'")
        assert "not online" in phone.inner_text("#eta")  # nobody online: no estimate rather than a wrong one

        console = open_console(technician_browser, server)
        console.wait_for_selector("#queue-card:not([hidden])")
        console.fill(".queue-families", "windows-pc")
        console.click(".queue-online")
        # The queue hands the request to the technician: the console opens its call, the phone joins it.
        console.wait_for_function("() => window.lensdesk.call && window.lensdesk.call.pc "
                                  "&& window.lensdesk.call.pc.connectionState === 'connected'", timeout=30000)
        phone.wait_for_url("**/join#token=*", timeout=15000)
        phone.wait_for_selector("#join:not([disabled])")
        phone.click("#join")  # the recording notice is agreed to on the join page; video starts by itself
        wait_video_playing(console, timeout_ms=30000)
        console.wait_for_selector(f"#findings li[data-code='{SAMPLE.code}']", timeout=30000)

        ticket_id = console.evaluate("() => window.lensdesk.ticketId")
        tech = {"Authorization": f"Bearer {server.technician_token()}"}
        ticket = httpx.get(f"{server.url}/api/tickets/{ticket_id}", headers=tech).json()
        assert ticket["title"] == "Workstation Z4 S/N CZ1234: Blue dialog after the update"
        assert (ticket["customer"], ticket["external_ref"]) == ("Ann", "ACME Leeds")
        codes = [f["code"] for f in httpx.get(f"{server.url}/api/tickets/{ticket_id}/findings", headers=tech).json()]
        assert SAMPLE.code in codes
        levels = httpx.get(f"{server.url}/api/queue/levels", headers=tech).json()
        assert (levels["answered"], levels["waiting"]) == (1, 0)
    finally:
        customer_browser.close()
