"""The catalog page in real Chromium: a code read on a call but not catalogued is catalogued from the page."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from playwright.sync_api import Browser

from testkit.servers import ServerProcess
from tests.unit.tickets.factories import new_finding
from tickets.store import TicketStore

pytestmark = [pytest.mark.e2e]

CODE = "7Q"  # in no catalog


def _seed_uncatalogued_finding(server: ServerProcess) -> None:
    """A live finding of an unknown code on a ticket, written through the store into the server's database."""

    async def seed() -> None:
        data_dir = server.data_dir.resolve()
        store = TicketStore(f"sqlite+aiosqlite:///{data_dir / 'lensdesk.db'}", data_dir)
        try:
            ticket = await store.create_ticket("Washer shows 7Q", created_by="tech-test")
            session = await store.create_session(ticket.id, created_by="tech-test")
            await store.attach_finding(session.id, new_finding(CODE, known=False, family="", title="", cause="",
                                                               remedy="", severity="unknown"))
        finally:
            await store.close()

    # Playwright's sync API runs its own event loop in this thread
    worker = threading.Thread(target=asyncio.run, args=(seed(),))
    worker.start()
    worker.join()


def test_an_uncatalogued_code_is_catalogued_from_the_page(server: ServerProcess, technician_browser: Browser):
    _seed_uncatalogued_finding(server)
    token = server.technician_token()
    page = technician_browser.new_page()
    page.goto(f"{server.url}/catalog#token={token}")
    row = page.locator(f'#uncatalogued tr[data-code="{CODE}"]')
    row.wait_for()
    assert page.url.endswith("/catalog")  # the token left the address bar
    page.wait_for_function("() => document.querySelector('#uncatalogued img').src.startsWith('blob:')")
    row.locator("button.catalogue-it").click()
    form = page.locator("#entry-form")
    assert form.locator("[name=code]").input_value() == CODE
    form.locator("[name=family]").fill("acme-washer")
    form.locator("[name=vendor]").fill("Acme")
    form.locator("[name=device]").fill("washer")
    form.locator("[name=title]").fill("Motor overheated")
    form.locator("[name=cause]").fill("The drum motor ran too hot, often from an overloaded drum.")
    form.locator("[name=remedy]").fill("Unload half of the laundry, wait 30 minutes, start again.")
    form.locator("[name=severity]").select_option("warning")
    page.click("#save")
    page.locator("#uncatalogued-empty:not([hidden])").wait_for()
    page.fill("#search", "overheated")
    entry = page.locator(f'#entries tr[data-code="{CODE}"]')
    entry.wait_for()
    assert "Motor overheated" in entry.inner_text() and "tech-test" in entry.inner_text()
    assert page.locator("#error").is_hidden()
    # the server has it: the API serves the entry
    saved = httpx.get(f"{server.url}/api/catalog/acme-washer/{CODE}", headers={"Authorization": f"Bearer {token}"})
    assert saved.status_code == 200 and saved.json()["severity"] == "warning"
