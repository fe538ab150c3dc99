"""Issue 11 items 1-3 in real Chromium: a technician's arrow shows on the customer's own camera preview at the
right place (overlay pixels), the server's tracker keeps sending its position, and a freeze-annotate-resume cycle
returns both pages to live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Playwright

from testkit.servers import ServerProcess, running_server
from testkit.synth.scenes import VIEW, Camera, render, textured_scene
from testkit.synth.y4m import write_y4m
from tests.e2e.conftest import create_session, join_as_customer, launch, open_console, wait_video_playing

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARROW = ((0.30, 0.62), (0.56, 0.36))  # normalised tail, head
GREEN = (52, 199, 89)  # annotate.js PALETTE.green

RECT_JS = """(id) => { const v = document.getElementById(id), b = v.getBoundingClientRect();
  const vw = v.videoWidth || v.naturalWidth, vh = v.videoHeight || v.naturalHeight;
  const s = Math.min(b.width / vw, b.height / vh), w = vw * s, h = vh * s;
  return { left: b.left + (b.width - w) / 2, top: b.top + (b.height - h) / 2, width: w, height: h,
           stageLeft: b.left, stageTop: b.top }; }"""


@pytest.fixture(scope="module")
def desk_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A still, textured desk scene (the tracker anchors on it and finds the arrow's region in place)."""
    path = tmp_path_factory.mktemp("cam") / "desk.y4m"
    # no letters and one frame repeated: the OCR worker has nothing to read and skips unchanged frames
    frame = render(textured_scene(seed=3, labels=False), Camera(1200, 800), VIEW)
    write_y4m(path, [frame] * 30, fps=30)
    return path


@pytest.fixture(scope="module")
def call(pw: Playwright, desk_camera: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Page, Page]]:
    """One server, one technician console and one customer page with the camera on, shared by this module."""
    with running_server(tmp_path_factory.mktemp("marks") / "data") as server:
        technician, customer_browser = launch(pw), launch(pw, desk_camera)
        try:
            console = open_console(technician, server)
            customer = join_as_customer(customer_browser, create_session(console))
            customer.click("#video")
            wait_video_playing(console)
            console.wait_for_selector("#freeze:not([disabled])")
            yield server, console, customer
        finally:
            technician.close()
            customer_browser.close()


def drag(page: Page, video_id: str, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press at start, move to end in steps, release (normalised positions over the shown picture)."""
    r = page.evaluate(RECT_JS, video_id)
    to_px = lambda p: (r["left"] + p[0] * r["width"], r["top"] + p[1] * r["height"])  # noqa: E731
    page.mouse.move(*to_px(start))
    page.mouse.down()
    for i in range(1, 9):
        t = i / 8
        page.mouse.move(*to_px((start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)))
    page.mouse.up()


def drawn(page: Page, shape: str, layer: str) -> list[dict]:
    return page.evaluate("([s, l]) => window.lensdesk.overlay.drawn.filter((d) => d.shape === s && d.layer === l)",
                         [shape, layer])


def events(server: ServerProcess, session_id: str) -> list[dict]:
    auth = {"Authorization": f"Bearer {server.technician_token()}"}
    return httpx.get(f"{server.url}/api/sessions/{session_id}/events", headers=auth, timeout=30).json()


def test_technicians_arrow_appears_on_the_customers_preview_at_its_place(call):
    server, console, customer = call
    console.click("[data-tool=arrow]")
    console.click("[data-colour=green]")
    drag(console, "remote-video", *ARROW)
    customer.wait_for_function("() => window.lensdesk.overlay.drawn.some((d) => d.shape === 'arrow' && d.alpha >= 1)",
                               timeout=5000)
    # where the customer's page drew it: the same place of its own picture (letterboxing accounted for)
    r = customer.evaluate(RECT_JS, "preview")
    [arrow] = drawn(customer, "arrow", "live")
    for (x, y), (nx, ny) in zip([arrow["points"][0], arrow["points"][-1]], ARROW, strict=True):
        want = (r["left"] - r["stageLeft"] + nx * r["width"], r["top"] - r["stageTop"] + ny * r["height"])
        assert abs(x - want[0]) < 0.03 * r["width"] and abs(y - want[1]) < 0.03 * r["height"], (x, y, want)
    # and the overlay's pixels there are the arrow's green
    mid = ((arrow["points"][0][0] + arrow["points"][-1][0]) / 2, (arrow["points"][0][1] + arrow["points"][-1][1]) / 2)
    pixels = customer.evaluate("""([x, y]) => { const c = document.querySelector('#stage canvas.mark-overlay');
      const d = window.devicePixelRatio || 1;
      return Array.from(c.getContext('2d').getImageData(Math.round(x * d) - 3, Math.round(y * d) - 3, 7, 7).data); }""",
                               list(mid))
    rgba = [tuple(pixels[i:i + 4]) for i in range(0, len(pixels), 4)]
    assert any(abs(p[0] - GREEN[0]) < 30 and abs(p[1] - GREEN[1]) < 30 and abs(p[2] - GREEN[2]) < 30 and p[3] > 200
               for p in rgba), rgba
    # the server's tracker follows it (positions keep coming) and the mark stays in view on the still scene
    customer.wait_for_function("() => window.lensdesk.call.received.filter((t) => t === 'mark_positions').length >= 5",
                               timeout=30000)
    [arrow] = drawn(customer, "arrow", "live")
    assert arrow["alpha"] == 1
    session_id = console.evaluate("() => window.lensdesk.sessionId")
    [added] = [e for e in events(server, session_id) if e["kind"] == "annotation"]
    assert added["payload"]["shape"] == "arrow" and added["payload"]["colour"] == "green"
    assert added["actor_role"] == "technician"


def test_freeze_annotate_resume(call):
    server, console, customer = call
    console.click("#freeze")
    for page in (console, customer):
        page.wait_for_function("() => document.getElementById('stage').dataset.frozen === 'true' "
                               "&& document.getElementById('frozen-frame').naturalWidth > 0", timeout=20000)
    assert customer.is_visible("#frozen-note") and customer.is_visible("#frozen-frame")
    assert console.inner_text("#freeze") == "Back to live"
    assert not drawn(customer, "arrow", "live")  # the live marks wait while the still shows
    # draw a box on the frozen frame: the customer sees it on the still
    console.click("[data-tool=box]")
    drag(console, "frozen-frame", (0.2, 0.2), (0.45, 0.5))
    customer.wait_for_function("() => window.lensdesk.overlay.drawn.some((d) => d.shape === 'box' && d.layer === 'still')",
                               timeout=10000)
    # one click returns both sides to live: the still and its marks go, the live arrow is kept (drawn again
    # wherever the tracker sees its region)
    console.click("#freeze")
    for page in (console, customer):
        page.wait_for_function("() => document.getElementById('stage').dataset.frozen === 'false'", timeout=15000)
        page.wait_for_function("() => !window.lensdesk.overlay.drawn.some((d) => d.layer === 'still')", timeout=5000)
        assert page.evaluate("() => [...window.lensdesk.overlay.live.values()].map((e) => e.mark.shape)") == ["arrow"]
        assert page.evaluate("() => window.lensdesk.overlay.still.size") == 0
        assert page.is_hidden("#frozen-frame")
    assert customer.is_hidden("#frozen-note")
    assert console.inner_text("#freeze") == "Freeze"
    session_id = console.evaluate("() => window.lensdesk.sessionId")
    recorded = events(server, session_id)
    kinds = [e["kind"] for e in recorded]
    # one freeze: recorded with the video frame, then again when the phone's full-resolution still replaced it
    frozen = [e["payload"] for e in recorded if e["kind"] == "freeze"]
    assert len({f["freeze_id"] for f in frozen}) == 1 and kinds.count("resume") == 1
    assert kinds.index("freeze") < kinds.index("resume") and all(f["image_file"] for f in frozen)
    image = httpx.get(f"{server.url}/api/sessions/{session_id}/freezes/{frozen[0]['freeze_id']}/image",
                      headers={"Authorization": f"Bearer {server.technician_token()}"})
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    if frozen[-1]["source"] == "still":  # the stored image is the full-resolution one
        assert frozen[-1]["width"] >= frozen[0]["width"]
    box = [e for e in events(server, session_id) if e["kind"] == "annotation" and e["payload"]["shape"] == "box"]
    assert box and box[0]["payload"]["freeze_id"]
