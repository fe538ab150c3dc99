"""Issue 11 items 4-5 in real Chromium: chat both ways (delivery state, safe rendering, the ticket's transcript) and
camera controls from the console (greyed out where the camera cannot, applied with a notice and Undo on the phone).

The customer's browser uses Chromium's built-in fake camera (no file): it offers focus modes and focus points,
no torch and no zoom, which is exactly what the console must show."""

from __future__ import annotations

import time

import httpx
import pytest

from testkit.servers import ServerProcess
from tests.e2e.conftest import create_session, join_as_customer, launch, open_console, wait_video_playing

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOSTILE = 'Serial SN-4411, call +44 20 7946 0000, manual https://example.org/manual. <img src=x onerror="window.pwned=1">'
REPLY = "Thanks! Try javascript:window.pwned=2 no, read http://example.org/reset?step=2 first"


def message(page: object, text_part: str) -> str:
    """Selector of the chat message containing text_part."""
    return f"#chat .chat-message:has-text('{text_part}')"


@pytest.fixture
def fake_camera_browser(pw):
    browser = launch(pw)
    yield browser
    browser.close()


def test_chat_both_ways_lands_in_the_tickets_transcript(server: ServerProcess, technician_browser,
                                                        fake_camera_browser):
    console = open_console(technician_browser, server)
    link = create_session(console)
    customer = join_as_customer(fake_camera_browser, link)
    ticket_id = console.evaluate("() => window.lensdesk.ticketId")
    session_id = console.evaluate("() => window.lensdesk.sessionId")

    # customer -> technician: plain text, the http(s) link clickable, the HTML shown as text and never run
    customer.fill("#chat textarea", HOSTILE)
    customer.press("#chat textarea", "Enter")
    got = console.wait_for_selector(message(console, "SN-4411"))
    assert got.inner_text().count("<img") == 1  # shown as text
    assert console.locator("#chat img").count() == 0
    link_href = console.get_attribute("#chat .chat-message a", "href")
    assert link_href == "https://example.org/manual"  # the sentence's full stop is not part of the link
    assert console.get_attribute("#chat .chat-message a", "rel") == "noopener noreferrer nofollow"
    # the console page is visible, so the message is read there; the customer sees its state move on
    customer.wait_for_selector(f"{message(customer, 'SN-4411')}[data-state='read']", timeout=10000)

    # technician -> customer
    console.fill("#chat textarea", REPLY)
    console.click("#chat button[type=submit]")
    reply = customer.wait_for_selector(message(customer, "Thanks!"))
    hrefs = customer.eval_on_selector_all(f"{message(customer, 'Thanks!')} a", "links => links.map(a => a.href)")
    assert hrefs == ["http://example.org/reset?step=2"]  # javascript: stays text
    assert "technician" in (reply.get_attribute("class") or "")
    console.wait_for_selector(f"{message(console, 'Thanks!')}[data-state='read']", timeout=10000)
    assert customer.evaluate("() => window.pwned") is None and console.evaluate("() => window.pwned") is None

    # the customer's page reconnects (a phone changing networks): the history comes back from the server
    customer.evaluate("() => window.lensdesk.call.ws.close()")
    customer.wait_for_function("() => window.lensdesk.call.received.includes('chat_history')", timeout=20000)
    assert customer.locator("#chat .chat-message").count() == 2

    # camera controls: the phone reports what its camera can do; the console greys out the rest
    customer.click("#video")
    wait_video_playing(console)
    console.wait_for_function("() => document.getElementById('camera-controls').dataset.caps")
    assert console.is_disabled("#camera-controls .cam-torch") and console.is_disabled("#camera-controls .cam-zoom")
    assert "no torch" in str(console.get_attribute("#camera-controls .cam-torch", "title"))
    assert console.is_enabled("#camera-controls .cam-focus")
    console.click("#camera-controls .cam-focus-point")  # a focus hint: the next click on the picture says where
    console.locator("#remote-video").scroll_into_view_if_needed()  # the toolbars push it below the fold
    box = console.locator("#remote-video").bounding_box()
    assert box is not None
    console.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # (marks may lie over the video)
    notice = customer.wait_for_selector("#camera-notice:not([hidden])")
    assert "Tess" in notice.inner_text()
    console.wait_for_function("() => ['applied', 'failed'].includes(document.getElementById('camera-state').dataset.state)")
    outcome = console.get_attribute("#camera-state", "data-state")
    print(f"focus hint on Chromium's fake camera: {outcome}")
    if outcome == "applied":  # the customer can always put it back
        customer.click("#camera-notice .undo")
        console.wait_for_function("() => document.getElementById('camera-state').dataset.state === 'undone'")
    # a torch request the camera cannot do is refused at the server, with a sentence for the technician
    console.evaluate("() => window.lensdesk.call.send({type: 'camera_set', control: 'torch', value: true})")
    console.wait_for_function("() => document.getElementById('camera-state').textContent.includes('no torch')")
    events = httpx.get(f"{server.url}/api/sessions/{session_id}/events?kind=camera_control&kind=camera_capabilities",
                       headers={"Authorization": f"Bearer {server.technician_token()}"}).json()
    steps = [(e["kind"], e["actor_role"], e["payload"].get("state")) for e in events]
    assert steps[0] == ("camera_capabilities", "customer", None)
    assert ("camera_control", "technician", "requested") in steps and ("camera_control", "customer", outcome) in steps
    asked = next(e for e in events if e["payload"].get("state") == "requested")
    assert asked["payload"]["control"] == "focus" and all(abs(v - 0.5) < 0.02 for v in asked["payload"]["value"])
    assert events[0]["payload"]["focus_modes"] and not events[0]["payload"]["torch"]

    console.click("#end")
    auth = {"Authorization": f"Bearer {server.technician_token()}"}

    def transcript_queued() -> list[dict]:
        queued = [e for status in ("pending", "delivered") for e in httpx.get(
            f"{server.url}/api/outbox?status={status}&limit=500", headers=auth).json()["items"]]
        return [e for e in queued if e["type"] == "session.transcript" and e["payload"]["session_id"] == session_id]

    deadline = time.monotonic() + 15
    while not transcript_queued() and time.monotonic() < deadline:  # the end runs after the page's bye
        time.sleep(0.2)
    assert [(m["role"], m["text"], m["state"]) for m in transcript_queued()[0]["payload"]["messages"]] == [
        ("customer", HOSTILE, "read"), ("technician", REPLY, "read")]
    transcript = httpx.get(f"{server.url}/api/tickets/{ticket_id}/transcript", headers=auth).json()
    assert transcript[0]["status"] == "ended"
    assert [m["text"] for m in transcript[0]["messages"]] == [HOSTILE, REPLY]

    # the ticket's review page shows the transcript, safely
    review = technician_browser.new_page()
    review.goto(f"{server.url}/review#ticket={ticket_id}&token={server.technician_token()}")
    review.wait_for_function("() => window.lensdesk.ready")
    review.click("details.transcript summary")
    texts = review.eval_on_selector_all("details.transcript .chat-text", "nodes => nodes.map(n => n.textContent)")
    assert texts == [HOSTILE, REPLY]
    assert review.locator("details.transcript img").count() == 0
