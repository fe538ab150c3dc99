"""When the server asks for a full-resolution scan by itself: a code-like read the live video cannot confirm.

Pure logic (times in, yes/no out), so the throttling is tested without sockets or clocks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class AutoScanPolicy:
    """At most one automatic scan per `interval_s`, none while a scan runs, and only for a code that stayed
    unconfirmed for `pending_for_s` (the live analysis usually confirms a readable code within a second)."""

    interval_s: float = 15.0  # 0 or less: never ask automatically
    pending_for_s: float = 2.0
    _pending_since: float | None = None
    _last_scan: float | None = None

    def observe(self, pending: bool, now: float, *, scan_running: bool) -> bool:
        """One analysed frame's verdict (a code awaits confirmation or not); True when a scan should be asked now."""
        if not pending:
            self._pending_since = None
            return False
        if self._pending_since is None:
            self._pending_since = now
        if self.interval_s <= 0 or scan_running or now - self._pending_since < self.pending_for_s:
            return False
        if self._last_scan is not None and now - self._last_scan < self.interval_s:
            return False
        self._last_scan = now
        return True

    def scan_started(self, now: float) -> None:
        """Any scan (a technician's too) restarts the interval: the customer is not asked twice in a row."""
        self._last_scan = now
