"""Backoff grows exponentially, is capped, and keeps half of each delay as jitter."""

from __future__ import annotations

from tickets.outbox import backoff_delay


def test_delay_doubles_and_is_capped() -> None:
    lows = [backoff_delay(n, 1.0, 60.0, rand=lambda: 0.0) for n in range(1, 9)]
    highs = [backoff_delay(n, 1.0, 60.0, rand=lambda: 1.0) for n in range(1, 9)]
    assert lows == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert highs == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


def test_jitter_spreads_retries() -> None:
    values = {round(backoff_delay(3, 1.0, 60.0), 6) for _ in range(50)}
    assert len(values) > 40 and all(2.0 <= v <= 4.0 for v in values)
