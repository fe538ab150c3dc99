"""Prometheus metrics at /metrics: calls, relay throughput and delay, analysis, findings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from calls.manager import CallManager
from helpqueue.engine import ANSWER_BUCKETS, HANDLE_BUCKETS
from helpqueue.front import QueueFront
from media.stats import DELAY_BUCKETS, RelayStats
from media.udp_guard import DroppedDatagrams
from signaling import queue_messages as qm

from .loop_lag import LAG_BUCKETS, LoopLagMonitor


class LensdeskCollector(Collector):
    """Reads live figures at scrape time (nothing is double-counted or kept twice)."""

    def __init__(self, calls: CallManager, relay: RelayStats, loop_lag: LoopLagMonitor | None = None) -> None:
        self._calls = calls
        self._relay = relay
        self._loop_lag = loop_lag

    def collect(self) -> Iterator[Metric]:
        """Metric families for one scrape."""
        calls = list(self._calls.calls.values())
        yield GaugeMetricFamily("lensdesk_calls", "Calls running on this node.", value=len(calls))
        # Collected on the event loop, so all_tasks() sees the server's own loop (the soak bench watches it).
        yield GaugeMetricFamily("lensdesk_asyncio_tasks", "asyncio tasks alive on the server's event loop.",
                                value=len(asyncio.all_tasks()))
        participants = GaugeMetricFamily("lensdesk_participants", "Participants in calls.", labels=["role"])
        for role in ("customer", "technician"):
            participants.add_metric([role], sum(1 for c in calls for r in c.roles.values() if r == role))
        yield participants
        for name, doc, values in (
            ("lensdesk_relay_frames_in", "Encoded frames received for relaying.", self._relay.frames_in),
            ("lensdesk_relay_frames_out", "Encoded frames handed to senders (relay_mode frames) or whose last "
             "packet was forwarded (packets), per viewer.", self._relay.frames_out),
            ("lensdesk_relay_packets_forwarded", "RTP packets forwarded as they arrived (relay_mode packets), per "
             "viewer.", self._relay.packets_forwarded),
            ("lensdesk_relay_frames_dropped", "Frames dropped for slow viewers or before a keyframe.",
             self._relay.frames_dropped),
        ):
            family = CounterMetricFamily(name, doc, labels=["kind"])
            for kind, count in values.items():
                family.add_metric([kind], count)
            yield family
        # Per running call (the label set ends with the call), so one call's relay can be told from another's.
        per_call_in = CounterMetricFamily("lensdesk_call_relay_frames_in", "Encoded frames received for relaying "
                                          "in one running call.", labels=["session", "kind"])
        per_call_out = CounterMetricFamily("lensdesk_call_relay_frames_out", "Encoded frames taken by one running "
                                           "call's passthrough senders.", labels=["session", "kind"])
        for call in calls:
            for kind, (frames_in, frames_out) in call.media.relay_frames().items():
                per_call_in.add_metric([call.session_id, kind], frames_in)
                per_call_out.add_metric([call.session_id, kind], frames_out)
        yield per_call_in
        yield per_call_out
        yield CounterMetricFamily("lensdesk_keyframe_requests", "PLIs sent to customers' encoders.",
                                  value=self._relay.keyframe_requests)
        cumulative, buckets = 0, []
        for bound, count in zip((*DELAY_BUCKETS, float("inf")), self._relay.delay_counts, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
        yield HistogramMetricFamily("lensdesk_relay_delay_seconds",
                                    "Video frame complete at the server until its sender took it (relay_mode frames; "
                                    "packets are forwarded inside the receive call, with no queue).",
                                    buckets=buckets, sum_value=self._relay.delay_sum)
        analysed = CounterMetricFamily("lensdesk_analysis_frames", "Frames handed to diagnostics in live calls.",
                                       labels=["outcome"])
        analysed.add_metric(["analysed"], sum(c.analysis.analysed for c in calls if c.analysis))
        analysed.add_metric(["dropped_busy"], sum(c.analysis.dropped for c in calls if c.analysis))
        yield analysed
        yield CounterMetricFamily("lensdesk_media_datagrams_dropped",
                                  "Hostile datagrams dropped at media sockets (empty, oversize SRTP, unparsable).",
                                  value=DroppedDatagrams.count)
        yield CounterMetricFamily("lensdesk_findings_committed", "Findings attached to tickets by live analysis.",
                                  value=self._calls.findings_total)
        if self._loop_lag is not None:
            yield from _loop_lag_metrics(self._loop_lag)


class QueueCollector(Collector):
    """Service levels of the help queue: time to answer, abandonment, handle time, first-contact resolution.

    The counters and histograms count every request in the store, so every node reports the same cluster-wide
    values, unchanged by a failover of the node running the queue (aggregate over nodes with max, not sum)."""

    def __init__(self, queue: QueueFront) -> None:
        self._queue = queue

    def collect(self) -> Iterator[Metric]:
        """Metric families for one scrape."""
        figures = self._queue.figures
        totals = figures.totals
        levels = self._queue.levels()
        yield GaugeMetricFamily("lensdesk_queue_waiting", "Help requests waiting for a technician.",
                                value=levels.waiting)
        yield GaugeMetricFamily("lensdesk_queue_target_answer_seconds", "Target time to answer a help request.",
                                value=levels.target_answer_s)
        yield CounterMetricFamily("lensdesk_queue_answered", "Help requests answered by a technician (cluster-wide).",
                                  value=totals.answered)
        yield CounterMetricFamily("lensdesk_queue_answered_within_target", "Help requests answered within the "
                                  "target time (cluster-wide).", value=totals.answered_within_target)
        yield CounterMetricFamily("lensdesk_queue_abandoned", "Help requests given up before an answer "
                                  "(cluster-wide).", value=totals.abandoned)
        yield CounterMetricFamily("lensdesk_queue_breaches", "Help requests that waited past the target time "
                                  "(cluster-wide).", value=totals.breached)
        for name, doc, bounds, le, total in (
            ("lensdesk_queue_answer_seconds", "Time from a help request to its answer (cluster-wide).",
             ANSWER_BUCKETS, totals.answer_le, totals.answer_sum_s),
            ("lensdesk_queue_handle_seconds", "Time from answering a help request to its session's end "
             "(cluster-wide).", HANDLE_BUCKETS, totals.handle_le, totals.handle_sum_s),
        ):
            buckets = [("+Inf" if bound == float("inf") else repr(bound), count)
                       for bound, count in zip((*bounds, float("inf")), le, strict=True)]
            yield HistogramMetricFamily(name, doc, buckets=buckets, sum_value=total)
        yield from _family_levels(levels)
        closed, single = figures.first_contact
        yield GaugeMetricFamily("lensdesk_queue_help_tickets_closed", "Closed tickets that came from help requests.",
                                value=closed)
        yield GaugeMetricFamily("lensdesk_queue_first_contact_resolved", "Closed help tickets that needed a single "
                                "session (first-contact resolution = this / lensdesk_queue_help_tickets_closed).",
                                value=single)


def _family_levels(levels: qm.ServiceLevels) -> Iterator[Metric]:
    """Per queue (device family), the service levels of the window's requests: the same on every node (gauges)."""
    for name, doc, pick in (
        ("waiting", "Help requests waiting now.", lambda f: f.waiting),
        ("answer_within_target_ratio", "Share of the window's answered requests answered within the target.",
         lambda f: f.answered_within_target),
        ("abandonment_ratio", "Share of the window's decided requests given up before an answer.",
         lambda f: f.abandonment_rate),
        ("mean_answer_seconds", "Mean time to answer over the window.", lambda f: f.mean_answer_s),
        ("mean_handle_seconds", "Mean handle time (answer to session end) over the window.",
         lambda f: f.mean_handle_s),
        ("first_contact_resolution_ratio", "Share of the window's closed help tickets closed after one session.",
         lambda f: f.first_contact_resolution),
    ):
        gauge = GaugeMetricFamily(f"lensdesk_queue_family_{name}", f"{doc} Window: LENSDESK_QUEUE_LEVELS_WINDOW_S.",
                                  labels=["family"])
        for family in levels.families:
            value = pick(family)
            if value is not None:
                gauge.add_metric([family.family], float(value))
        yield gauge


def _loop_lag_metrics(lag: LoopLagMonitor) -> Iterator[Metric]:
    cumulative, buckets = 0, []
    for bound, count in zip((*LAG_BUCKETS, float("inf")), lag.counts, strict=True):
        cumulative += count
        buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
    yield HistogramMetricFamily("lensdesk_event_loop_lag_seconds",
                                f"How late a wake-up every {lag.interval_s} s ran (the loop was blocked that long).",
                                buckets=buckets, sum_value=lag.total_s)
    yield GaugeMetricFamily("lensdesk_event_loop_lag_last_seconds", "Lag of the latest wake-up.", value=lag.last_s)
    yield GaugeMetricFamily("lensdesk_event_loop_lag_max_seconds", "Largest lag since start.", value=lag.max_s)


def build_metrics_router(calls: CallManager, relay: RelayStats, extra: Iterable[Collector] = (),
                         loop_lag: LoopLagMonitor | None = None) -> APIRouter:
    """GET /metrics in the Prometheus text format (extra: collectors of other parts, e.g. the catalog; access is
    checked by the auth gate)."""
    registry = CollectorRegistry()
    registry.register(LensdeskCollector(calls, relay, loop_lag))
    for collector in extra:
        registry.register(collector)
    router = APIRouter()

    @router.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        # On the loop on purpose: the collector reads live call state that only the loop may touch (it is small).
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
