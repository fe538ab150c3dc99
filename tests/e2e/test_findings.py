"""Issue 4: an error screen in the customer's camera becomes a finding on the ticket and in the console, live."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest

from testkit.synth.capture import random_capture_params, render_capture
from testkit.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text
from testkit.synth.y4m import write_y4m
from tests.e2e.conftest import create_session, join_as_customer, launch, open_console, wait_video_playing

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SAMPLE = next(s for s in SAMPLES if s.code == "0x8007045D")


@pytest.fixture(scope="module")
def error_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 s (looped by Chromium) of a hand-held phone filming a Windows-style error dialog."""
    style = ScreenStyle(layout="dialog", font="sans", fg=(20, 20, 20), bg=(245, 245, 245))
    screen = render_error_screen(SAMPLE.code, screen_text(SAMPLE), style, (900, 560))
    rng = np.random.default_rng(7)
    out = (1280, 720)
    params = random_capture_params(rng, out, screen.shape[1] / screen.shape[0], severity=0.5)
    frames = [render_capture(screen, params, out, shake=(2 * np.sin(i / 5), 1.5 * np.cos(i / 7), 0.3 * np.sin(i / 9)),
                             frame_seed=i) for i in range(30)]
    path = tmp_path_factory.mktemp("cam") / "error-screen.y4m"
    write_y4m(path, frames, fps=30)
    return path


def test_error_screen_becomes_a_finding_on_ticket_and_console(server, pw, technician_browser, error_camera):
    customer_browser = launch(pw, error_camera)
    try:
        console = open_console(technician_browser, server)
        link = create_session(console)
        customer = join_as_customer(customer_browser, link)
        customer.click("#video")
        wait_video_playing(console)
        item = console.wait_for_selector(f"#findings li[data-code='{SAMPLE.code}']", timeout=30000)
        assert item is not None
        console.wait_for_function(
            f"() => document.querySelector(\"#findings li[data-code='{SAMPLE.code}'] img\").naturalWidth > 0")
        ticket_id = console.evaluate("() => window.lensdesk.ticketId")
        auth = {"Authorization": f"Bearer {server.technician_token()}"}
        rows = httpx.get(f"{server.url}/api/tickets/{ticket_id}/findings", headers=auth).json()
        codes = [f["code"] for f in rows]
        assert codes.count(SAMPLE.code) == 1, codes  # reported once, however long the screen stays in view
        snapshot_url = server.url + rows[0]["snapshot_url"]
        snap = httpx.get(snapshot_url, headers=auth)
        assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"
        # the snapshot is not public, and a customer's token cannot read it
        assert httpx.get(snapshot_url).status_code == 401
        join_token = link.split("#token=", 1)[1]
        assert httpx.get(snapshot_url, headers={"Authorization": f"Bearer {join_token}"}).status_code in (403, 404)
        # nothing about the finding reached the customer's page ...
        assert "finding" not in customer.evaluate("() => window.lensdesk.call.received")
        assert customer.is_hidden("#shared")
        # ... until the technician shares it: then only the code, title and what to do
        console.click(f"#findings li[data-code='{SAMPLE.code}'] button.share")
        customer.wait_for_selector("#shared:not([hidden])")
        assert SAMPLE.code in customer.inner_text("#shared-code")
        assert "I/O device error" in customer.inner_text("#shared-title")
        assert "confidence" not in customer.inner_text("#shared")
        # Dismissing it from the console, with the code the technician says is really shown, keeps the snapshot
        # as a labelled example (the dialog asks for the reason, then for the optional correct code).
        console.on("dialog", lambda d: d.accept("0x8007045E" if "Correct code" in d.message else "wrong digit"))
        console.click(f"#findings li[data-code='{SAMPLE.code}'] button:has-text('Dismiss')")
        console.wait_for_selector(f"#findings li.dismissed[data-code='{SAMPLE.code}']")
        examples = httpx.get(f"{server.url}/api/examples", headers=auth).json()["items"]
        [example] = [e for e in examples if e["source"] == "dismissed"]
        assert (example["truth"], example["not_code"]) == ("0x8007045E", SAMPLE.code)
        assert httpx.get(server.url + example["image_url"], headers=auth).content == snap.content
    finally:
        customer_browser.close()


def test_technician_snapshot_with_a_note_lands_on_the_ticket_live(server, technician_browser, customer_browser):
    console = open_console(technician_browser, server)
    customer = join_as_customer(customer_browser, create_session(console))
    customer.click("#video")
    wait_video_playing(console)
    # The note, then the optional code shown (which makes the snapshot a labelled example).
    console.on("dialog", lambda dialog: dialog.accept(
        "SC542" if "Code shown" in dialog.message else "Cable to the tray looks loose"))
    console.click("#snapshot")
    item = console.wait_for_selector("#findings li .title:has-text('Cable to the tray looks loose')", timeout=15000)
    assert item is not None
    ticket_id = console.evaluate("() => window.lensdesk.ticketId")
    auth = {"Authorization": f"Bearer {server.technician_token()}"}
    [row] = httpx.get(f"{server.url}/api/tickets/{ticket_id}/findings", headers=auth).json()
    assert row["source"] == "manual" and row["note"] == "Cable to the tray looks loose" and row["code"] == "SC542"
    examples = httpx.get(f"{server.url}/api/examples", headers=auth).json()["items"]  # the module's server: others' too
    [example] = [e for e in examples if e["finding_id"] == row["id"]]
    assert (example["source"], example["truth"]) == ("manual", "SC542")
    assert row["offset_s"] is not None and row["offset_s"] > 0  # placed on the recording's timeline
    snap = httpx.get(server.url + row["snapshot_url"], headers=auth)
    assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"
    assert "finding" not in customer.evaluate("() => window.lensdesk.call.received")
