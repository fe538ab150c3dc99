"""The pages' rejoin backoff (web/static/call.js) in real Chromium: a refusal's retry_after_ms (a node's join queue
is full: `busy`) holds the next try back; a final code stops at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright

from testkit.servers import ServerProcess
from tests.e2e.conftest import launch

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# attempt() fails with the given refusals in turn, then succeeds; the times of the tries are returned
RUN = """async (refusals) => {
  const { rejoinWithBackoff } = await import("/static/call.js");
  const tries = [];
  const state = {};
  const finals = [];
  const ok = await rejoinWithBackoff(state, async () => {
    tries.push(performance.now());
    const refusal = refusals[tries.length - 1];
    if (refusal) throw Object.assign(new Error("refused"), refusal);
  }, { onFinal: (e) => finals.push(e.code) });
  return { ok, gaps: tries.slice(1).map((t, i) => t - tries[i]), finals };
}"""


@pytest.fixture(scope="module")
def browser(pw: Playwright) -> Iterator[Browser]:
    chromium = launch(pw)
    yield chromium
    chromium.close()


def test_a_busy_refusal_holds_the_next_try_back_and_a_final_one_stops(browser: Browser, server: ServerProcess):
    page = browser.new_page()
    try:
        page.goto(f"{server.url}/join")
        busy = page.evaluate(RUN, [{"code": "busy", "retryAfterMs": 2500}])
        assert busy["ok"] is True and busy["finals"] == []
        # the backoff alone would wait 1 s before the second try; the server asked for 2.5 s
        assert busy["gaps"][0] >= 2400, busy
        final = page.evaluate(RUN, [{"code": "session_ended"}])
        assert final == {"ok": False, "gaps": [], "finals": ["session_ended"]}
    finally:
        page.close()
