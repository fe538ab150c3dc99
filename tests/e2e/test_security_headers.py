"""Issue 15 item 9 in real Chromium: a foreign page cannot frame the console; the pages work under the CSP."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage

from testkit.servers import ServerProcess, free_port
from tests.e2e.conftest import create_session

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@contextlib.contextmanager
def foreign_site(html: str) -> Iterator[str]:
    """Another origin (another loopback port) serving one page."""
    body = html.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def collect_refusals(found: list[str]) -> Callable[[ConsoleMessage], None]:
    """A console listener keeping Chromium's CSP and framing refusals."""
    def on_console(msg: ConsoleMessage) -> None:
        if "Content Security Policy" in msg.text or "Refused to" in msg.text:
            found.append(msg.text)
    return on_console


def test_a_foreign_page_cannot_frame_the_console(server: ServerProcess, technician_browser: Browser):
    with foreign_site(f'<html><body><iframe id="f" src="{server.url}/console"></iframe></body></html>') as url:
        refusals: list[str] = []
        page = technician_browser.new_page()
        page.on("console", collect_refusals(refusals))
        page.goto(url)
        page.wait_for_timeout(1500)
        frames = [f for f in page.frames if f is not page.main_frame]
        assert frames, "the iframe was not created"
        assert not frames[0].url.startswith(server.url), frames[0].url  # Chromium shows its error page instead
        assert any("frame" in text for text in refusals), refusals


def test_console_and_join_pages_work_under_the_policy(server: ServerProcess, technician_browser: Browser,
                                                      customer_browser: Browser):
    refusals: list[str] = []
    tech = technician_browser.new_context()
    tech.on("console", collect_refusals(refusals))
    console = tech.new_page()
    console.goto(f"{server.url}/console#token={server.technician_token()}")
    console.wait_for_function("() => document.getElementById('who').textContent.includes('Tess')")
    link = create_session(console)
    # The QR code is fetched with the token (POST) and shown from a blob: URL.
    console.wait_for_function("() => document.getElementById('qr').src.startsWith('blob:') "
                              "&& document.getElementById('qr').naturalWidth > 0")
    cust = customer_browser.new_context()
    cust.on("console", collect_refusals(refusals))
    customer = cust.new_page()
    customer.goto(link)
    customer.click("#join")
    customer.wait_for_function("() => window.lensdesk.call && window.lensdesk.call.pc "
                               "&& window.lensdesk.call.pc.connectionState === 'connected'", timeout=20000)
    console.wait_for_function("() => document.getElementById('peer-info').textContent.includes('in the call')")
    review = tech.new_page()
    review.goto(f"{server.url}/review#token={server.technician_token()}")
    review.wait_for_load_state("load")
    assert refusals == []
