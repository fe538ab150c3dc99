"""Placing one track's frames on the session timeline.

RTP timestamps of different senders (and of one sender after a camera switch / new SSRC) are
unrelated, so the common timeline is the server's arrival clock relative to the recording start.
Within a run of continuous RTP time, the RTP deltas give smooth spacing; the anchor drifts towards
the quickest arrival seen (the least-delayed frame), so network jitter does not shake the picture
and a late first frame (big keyframe, jitter-buffer prefetch) does not delay the whole track.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a frame lands: seconds into the recording, and whether its RTP time broke continuity."""

    seconds: float
    rtp_jump: bool  # RTP time jumped ahead or back: a new stream, decoder state cannot carry over
    resynced: bool  # timing re-anchored to arrival (gap, jump, or first frame)


class TrackClock:
    """Maps (RTP timestamp, arrival offset) of one track to recording seconds."""

    def __init__(self, clock_rate: int, *, max_lag: float = 1.0, max_lead: float = 5.0) -> None:
        self._rate = float(clock_rate)
        self._max_lag = max_lag  # RTP time running this far behind arrival => paused sender, re-anchor
        # RTP time this far ahead of arrival => timestamps jumped (new SSRC: random, usually hours).
        # Less than that is a late first frame (big keyframe, jitter buffer start): just tighten.
        self._max_lead = max_lead
        self._anchor_ts: int | None = None
        self._base = 0.0  # recording seconds of the anchor timestamp
        self._last_ts = 0

    def place(self, timestamp: int, arrival_offset: float) -> Placement:
        """Place a frame with RTP `timestamp` that arrived `arrival_offset` s after the recording start."""
        if self._anchor_ts is None:
            return self._anchor(timestamp, arrival_offset, rtp_jump=False)
        elapsed = (timestamp - self._anchor_ts) / self._rate
        predicted = self._base + elapsed
        if timestamp < self._last_ts or predicted > arrival_offset + self._max_lead:
            return self._anchor(timestamp, arrival_offset, rtp_jump=True)
        if predicted < arrival_offset - self._max_lag:
            return self._anchor(timestamp, arrival_offset, rtp_jump=False)
        if predicted > arrival_offset:
            # This frame came through quicker than the anchor frame did: move towards the smaller
            # delay, by at most a quarter of the frame interval per frame, so frames never bunch up.
            step = min(predicted - arrival_offset, 0.25 * (timestamp - self._last_ts) / self._rate)
            self._base -= step
            predicted -= step
        self._last_ts = timestamp
        return Placement(seconds=predicted, rtp_jump=False, resynced=False)

    def _anchor(self, timestamp: int, arrival_offset: float, *, rtp_jump: bool) -> Placement:
        self._anchor_ts = timestamp
        self._last_ts = timestamp
        self._base = arrival_offset
        return Placement(seconds=arrival_offset, rtp_jump=rtp_jump, resynced=True)
