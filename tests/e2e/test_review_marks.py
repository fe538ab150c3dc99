"""Issue 11 item 6: a technician's mark, put on the record through the real signaling path during a recorded call,
is drawn over the review page's playback at its moment (and gone before it and after it was cleared).

Synthetic aiortc peers (testkit/session_client.py) make the call through the real server, as in test_review.py.
"""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from playwright.sync_api import Browser

from testkit.peers import EncodedClip, SyntheticCustomer, SyntheticTechnician, encode_clip
from testkit.servers import ServerProcess
from testkit.session_client import CallPair, start_pair
from testkit.synth.scenes import textured_scene
from tests.e2e.test_review import LoopThread, peers_loop, review_url  # noqa: F401 - peers_loop is a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GREEN = (0x34, 0xC7, 0x59)  # the palette's "green" as record.js draws it
BOX = [[0.25, 0.3], [0.75, 0.7]]


@pytest.fixture(scope="module")
def desk_clip() -> EncodedClip:
    """One second of a still, textured desk (320x240, VP8), looped by the synthetic customer: texture, so the scene
    tracker keeps the mark in view (on a bare grey desk it records that the marked spot left the view); small,
    since encoding is most of this test's set-up."""
    desk = textured_scene(seed=11, size=(320, 240), labels=False)
    frames = [desk.copy() for _ in range(30)]
    return encode_clip(frames, bitrate=300_000, keyframe_interval=30)


def canvas_pixel(page, rec_id: str, fx: float, fy: float) -> tuple[int, int, int]:
    """The overlay's colour at a point of the shown frame (fractions of its width and height)."""
    rgb = page.evaluate("""([id, fx, fy]) => {
        const v = document.querySelector(`video[data-recording="${id}"]`);
        const c = document.querySelector(`canvas.marks-overlay[data-recording="${id}"]`);
        const scale = Math.min(v.clientWidth / v.videoWidth, v.clientHeight / v.videoHeight);
        const x = (v.clientWidth - v.videoWidth * scale) / 2 + fx * v.videoWidth * scale;
        const y = (v.clientHeight - v.videoHeight * scale) / 2 + fy * v.videoHeight * scale;
        const r = c.width / v.clientWidth;
        return Array.from(c.getContext("2d").getImageData(Math.round(x * r), Math.round(y * r), 1, 1).data.slice(0, 3));
    }""", [rec_id, fx, fy])
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


def seek_and_wait(page, rec_id: str, seconds: float) -> list[dict]:
    """Seek the player, wait until the overlay was drawn for that time; returns what it drew."""
    page.evaluate(f"() => {{ document.querySelector('video[data-recording=\"{rec_id}\"]').currentTime = {seconds}; }}")
    page.wait_for_function(f"() => window.lensdesk.drawn['{rec_id}'] && "
                           f"Math.abs(window.lensdesk.drawn['{rec_id}'].time - {seconds}) < 0.05")
    return list(page.evaluate(f"() => window.lensdesk.drawn['{rec_id}'].map(d => ({{id: d.id, shape: d.shape}}))"))


def test_review_draws_a_mark_at_its_moment(server: ServerProcess, technician_browser: Browser, desk_clip: EncodedClip,
                                           peers_loop: LoopThread) -> None:  # noqa: F811
    token = server.technician_token()

    async def call() -> CallPair:
        return await start_pair(server.url, token, SyntheticCustomer(desk_clip), SyntheticTechnician(),
                                title="Marks on the record")

    pair = peers_loop.run(call())
    try:
        peers_loop.run(asyncio.sleep(1.5))
        mark = {"id": "m1", "shape": "box", "points": BOX, "colour": "green"}
        peers_loop.run(pair.technician_link.send({"type": "mark_add", "mark": mark}))
        peers_loop.run(pair.technician_link.wait_for("mark_added", 10))
        peers_loop.run(asyncio.sleep(1.5))
        peers_loop.run(pair.technician_link.send({"type": "marks_clear"}))
        peers_loop.run(pair.technician_link.wait_for("marks_cleared", 10))
        peers_loop.run(asyncio.sleep(1.0))
    finally:
        peers_loop.run(pair.close(end_session=True))

    auth = {"Authorization": f"Bearer {token}"}
    events = httpx.get(f"{server.url}/api/sessions/{pair.session.session_id}/events", headers=auth).json()
    added = next(e for e in events if e["kind"] == "annotation")
    cleared = next(e for e in events if e["kind"] == "annotation_clear")
    assert added["actor_role"] == "technician" and added["payload"]["points"] == BOX
    shown_at, gone_at = added["offset_ms"] / 1000, cleared["offset_ms"] / 1000
    assert 1.0 < shown_at < gone_at - 1.0, (shown_at, gone_at)

    page = technician_browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(review_url(server, pair.session.ticket_id, token))
    marker = page.wait_for_selector(".event-marker[data-kind='annotation']", timeout=30000)  # once finalised
    rec_id = str(page.get_attribute("video[data-recording]", "data-recording"))
    page.wait_for_function(f"() => document.querySelector('video[data-recording=\"{rec_id}\"]').readyState >= 2")

    assert seek_and_wait(page, rec_id, max(0.0, shown_at - 0.5)) == []  # not yet drawn
    assert marker is not None
    marker.click()  # the timeline's marker seeks to the mark's moment
    page.wait_for_function("() => window.lensdesk.lastSeek && window.lensdesk.lastSeek.seeked")
    page.wait_for_function(f"() => (window.lensdesk.drawn['{rec_id}'] || []).some(d => d.id === 'm1')")
    assert canvas_pixel(page, rec_id, 0.5, 0.3) == GREEN  # on the box's top edge, where it was drawn on the video
    assert canvas_pixel(page, rec_id, 0.5, 0.5) != GREEN  # a box is an outline: its inside shows the video
    assert seek_and_wait(page, rec_id, (shown_at + gone_at) / 2) == [{"id": "m1", "shape": "box"}]
    assert seek_and_wait(page, rec_id, gone_at + 0.3) == []  # cleared
    assert canvas_pixel(page, rec_id, 0.5, 0.3) != GREEN
    # the events list names the mark and seeks to it; the audit has a line for it
    assert page.locator("details.record-events li[data-kind='annotation']").count() == 1
    audit = httpx.get(f"{server.url}/api/tickets/{pair.session.ticket_id}/audit", headers=auth).json()
    assert any(a["action"] == "annotation" and a["target"] == f"event:{added['id']}" for a in audit)
    page.close()


def test_review_shows_a_freezes_stored_still_with_its_marks(server: ServerProcess, technician_browser: Browser,
                                                            desk_clip: EncodedClip,
                                                            peers_loop: LoopThread) -> None:  # noqa: F811
    token = server.technician_token()

    async def call() -> CallPair:
        return await start_pair(server.url, token, SyntheticCustomer(desk_clip), SyntheticTechnician(),
                                title="A freeze on the record")

    pair = peers_loop.run(call())
    try:
        peers_loop.run(asyncio.sleep(1.5))
        peers_loop.run(pair.technician_link.send({"type": "freeze"}))
        shown = peers_loop.run(pair.technician_link.wait_for("freeze_state", 20))
        assert shown["frozen"] and shown["image_jpeg_b64"]
        mark = {"id": "s1", "shape": "box", "points": BOX, "colour": "green"}
        peers_loop.run(pair.technician_link.send({"type": "mark_add", "mark": mark}))  # on the still
        peers_loop.run(pair.technician_link.wait_for("mark_added", 10))
        peers_loop.run(asyncio.sleep(1.5))
        peers_loop.run(pair.technician_link.send({"type": "resume"}))
        peers_loop.run(asyncio.sleep(1.5))
    finally:
        peers_loop.run(pair.close(end_session=True))

    auth = {"Authorization": f"Bearer {token}"}
    session_id = pair.session.session_id
    events = httpx.get(f"{server.url}/api/sessions/{session_id}/events", headers=auth).json()
    freeze = next(e for e in events if e["kind"] == "freeze")
    resume = next(e for e in events if e["kind"] == "resume")
    drawn = next(e for e in events if e["kind"] == "annotation")
    assert drawn["payload"]["freeze_id"] == freeze["payload"]["freeze_id"] and freeze["payload"]["image_file"]
    image = httpx.get(f"{server.url}/api/sessions/{session_id}/freezes/{freeze['payload']['freeze_id']}/image",
                      headers=auth)
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    assert image.content == base64.b64decode(shown["image_jpeg_b64"])  # the very image the call showed
    assert httpx.get(f"{server.url}/api/sessions/{session_id}/freezes/f99/image", headers=auth).status_code == 404
    frozen_at, resumed_at = freeze["offset_ms"] / 1000, resume["offset_ms"] / 1000
    # 1.5 s passed between the mark and the resume (wall time); recording offsets follow media time, which a busy
    # machine stretches: the resume must come clearly after the freeze, not by an exact amount
    assert resumed_at - frozen_at > 1.0, (frozen_at, resumed_at)

    page = technician_browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(review_url(server, pair.session.ticket_id, token))
    page.wait_for_selector(".event-marker[data-kind='freeze']", timeout=30000)
    rec_id = str(page.get_attribute("video[data-recording]", "data-recording"))
    page.wait_for_function(f"() => document.querySelector('video[data-recording=\"{rec_id}\"]').readyState >= 2")
    still = f"img.frozen-still[data-recording='{rec_id}']"
    # during the freeze: the stored still over the video, the box drawn on it
    middle = (frozen_at + resumed_at) / 2 + 0.3
    page.evaluate(f"() => {{ document.querySelector('video[data-recording=\"{rec_id}\"]').currentTime = {middle}; }}")
    page.wait_for_function(f"() => window.lensdesk.drawn['{rec_id}'] && window.lensdesk.drawn['{rec_id}'].still "
                           f"&& window.lensdesk.drawn['{rec_id}'].some(d => d.id === 's1' && d.onStill)", timeout=15000)
    assert page.is_visible(still)
    assert page.evaluate(f"() => document.querySelector(\"{still}\").naturalWidth") == 320
    assert canvas_pixel(page, rec_id, 0.5, 0.3) == GREEN  # the box's top edge, on the still (same frame box here)
    # after the resume: live video again, neither the still nor its marks
    assert seek_and_wait(page, rec_id, resumed_at + 0.5) == []
    assert page.is_hidden(still)
    audit = httpx.get(f"{server.url}/api/tickets/{pair.session.ticket_id}/audit", headers=auth).json()
    assert any(a["target"] == f"freeze:{session_id}/{freeze['payload']['freeze_id']}" for a in audit)
    page.close()
