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


SHARED_SCOPES = frozenset({"module", "package", "class"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Schedule for `pytest -n 2 --dist loadgroup`: browser tests on one worker in sequence; a test that shares a
    module-scoped fixture stays with its module; any other test is scheduled on its own.

    Two Chromium pairs on 2 cores starve each other's video; a module split over two workers would start its
    module-scoped servers twice; a long module of independent tests (test_multinode) is better spread.
    Runs before xdist reads the groups (tryfirst)."""
    root = config.rootpath
    for item in items:
        relative = item.path.relative_to(root)
        if relative.parts[:2] == ("tests", "e2e"):
            item.add_marker(pytest.mark.e2e)
            group = "browser"
        else:
            info = getattr(item, "_fixtureinfo", None)
            defs = info.name2fixturedefs.values() if info is not None else []
            shared = any(d[-1].scope in SHARED_SCOPES for d in defs if d)
            group = relative.as_posix() if shared else item.nodeid.replace("@", "_")
        item.add_marker(pytest.mark.xdist_group(group))
