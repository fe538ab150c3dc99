"""Relay counters and a latency histogram, kept by media and exported by the root (no metrics library here)."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field

# Upper bounds (seconds) of the relay-delay histogram: frame complete at the server -> handed to the sender.
DELAY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0)


@dataclass
class RelayStats:
    """Process-wide relay figures; updated on the event loop, read by the metrics exporter."""

    frames_in: dict[str, int] = field(default_factory=lambda: {"audio": 0, "video": 0})
    frames_out: dict[str, int] = field(default_factory=lambda: {"audio": 0, "video": 0})
    frames_dropped: dict[str, int] = field(default_factory=lambda: {"audio": 0, "video": 0})
    # relay_mode "packets": RTP packets sent straight to subscribers (media/forward.py)
    packets_forwarded: dict[str, int] = field(default_factory=lambda: {"audio": 0, "video": 0})
    keyframe_requests: int = 0
    delay_counts: list[int] = field(default_factory=lambda: [0] * (len(DELAY_BUCKETS) + 1))
    delay_sum: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe_delay(self, seconds: float) -> None:
        """One video frame's time inside the server before its sender took it."""
        with self._lock:
            self.delay_counts[bisect.bisect_left(DELAY_BUCKETS, seconds)] += 1
            self.delay_sum += seconds



RELAY = RelayStats()
"""The process's relay statistics (one process = one media node)."""
