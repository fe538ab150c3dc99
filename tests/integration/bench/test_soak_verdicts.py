"""The soak bench's flatness judgement (bench/soak.py): per resource, on samples taken at the same phase."""

from __future__ import annotations

import math

from bench.soak import COLUMNS, verdicts


def rows(minutes: int, **trends: float) -> list[tuple[float, int, dict[str, float]]]:
    """One sample a minute, 10 calls a minute; each column at 100 plus its trend per hour."""
    return [(60.0 * i, 10 * i, {c: 100.0 + trends.get(c, 0.0) * i / 60 for c in COLUMNS}) for i in range(minutes)]


def test_a_steady_resource_is_flat_and_a_growing_one_is_not():
    found = verdicts(rows(30, rss_mb=2.0, fds=0.5))
    assert not found["rss_mb"].flat and 1.5 < found["rss_mb"].percent_per_hour < 2.5
    assert found["fds"].flat and found["tasks"].flat and found["tasks"].percent_per_hour == 0
    assert math.isclose(found["rss_mb"].per_call, 2.0 / 600, rel_tol=0.02)  # 2 per hour over 600 calls an hour
    assert "NOT flat" in found["rss_mb"].line("rss_mb") and ": flat" in found["fds"].line("fds")


def test_the_database_grows_by_design_and_too_few_samples_judge_nothing():
    assert "grows by design" in verdicts(rows(30, db_kb=50.0))["db_kb"].line("db_kb")
    single = verdicts(rows(1, rss_mb=50.0))["rss_mb"]
    assert single.flat and math.isnan(single.percent_per_hour)
