"""Analysis worker processes follow catalog changes: versioned deltas, acknowledged, kept across a restart."""

from __future__ import annotations

import os
import signal

import pytest

from calls.analysis_pool import AnalysisPool
from diagnostics.catalog import CatalogEntry, load_catalog
from diagnostics.config import DEFAULT_CATALOG, DiagnosticsConfig
from testkit.polling import wait_until

pytestmark = pytest.mark.slow



def test_workers_acknowledge_each_catalog_version_and_a_restarted_worker_starts_with_the_newest():
    core = load_catalog(DEFAULT_CATALOG / "core.yaml")
    pool = AnalysisPool(DiagnosticsConfig(languages="eng"), workers=2, catalog=core)
    try:
        pool.start()
        wait_until(lambda: pool.worker_catalog_versions() == [0, 0], within_s=120)  # spawning is slow on a busy machine
        catalog = core
        for version in (1, 2, 3):  # idle workers: each change wakes them
            catalog = catalog.overlaid([CatalogEntry("site", f"S-{version}", "t", "c", "r", "info")])
            pool.update_catalog(catalog, version)

            def caught_up(v: int = version) -> bool:
                return pool.worker_catalog_versions() == [v, v]

            took = wait_until(caught_up, within_s=5, interval_s=0.005)
            assert took < 1.0, f"version {version} took {took:.2f} s"
        removed = catalog.overlaid(removed=[("site", "S-1")])
        pool.update_catalog(removed, 4)
        wait_until(lambda: pool.worker_catalog_versions() == [4, 4], within_s=5)
        assert pool.catalog is removed and pool.catalog_version == 4
        victim = pool.worker_pids()[0]
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: pool.worker_pids()[0] != victim and pool.worker_catalog_versions()[0] == 4, within_s=120)
        assert pool.restarts == 1
    finally:
        pool.close()
