"""Every test's media stays on loopback: host candidates on 127.0.0.1 only, in this process and in the servers it
starts (aioice otherwise gathers on every interface but loopback, so peers on one machine talked over eth0), and
servers talk to loopback peers only (Chromium also offers its eth0 address; that pair is refused)."""

from __future__ import annotations

import os

import pytest

from media.host_addresses import gather_host_candidates_on

LOOPBACK_HOSTS = '["127.0.0.1"]'

# Read by server processes (testkit/servers.py passes os.environ on) and by in-process Settings().
os.environ.setdefault("LENSDESK_ICE_HOST_ADDRESSES", LOOPBACK_HOSTS)
os.environ.setdefault("LENSDESK_ICE_PEER_CIDRS", '["127.0.0.0/8"]')
gather_host_candidates_on(["127.0.0.1"])  # the test's own aiortc peers


@pytest.fixture(autouse=True)
def _peers_gather_on_loopback() -> None:
    """Re-assert loopback gathering before every test, so one test that changes it cannot strand the next ones."""
    gather_host_candidates_on(["127.0.0.1"])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Schedule for `pytest -n 2 --dist loadgroup`: browser tests on one worker in sequence, every other module whole.

    Two Chromium pairs on 2 cores starve each other's video; a module split over two workers would start its
    module-scoped servers twice. Runs before xdist reads the groups (tryfirst)."""
    root = config.rootpath
    for item in items:
        relative = item.path.relative_to(root)
        if relative.parts[:2] == ("tests", "e2e"):
            item.add_marker(pytest.mark.e2e)
            group = "browser"
        else:
            group = relative.as_posix()
        item.add_marker(pytest.mark.xdist_group(group))
