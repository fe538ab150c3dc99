"""Runs diagnostics in worker PROCESSES, so OCR never holds the relay's GIL; findings come back to the loop.

Each call's analysis is pinned to one worker (its consensus state lives there); a call has at most one frame
in flight, so a busy worker makes the call skip frames instead of queueing them. A worker that dies is
restarted; the calls it served start their consensus afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

import numpy as np

from diagnostics.config import DiagnosticsConfig
from diagnostics.finding import Finding

log = logging.getLogger(__name__)

FindingCallback = Callable[[Finding, float], None]
"""Called on the event loop with a confirmed finding and the server arrival time of its best frame."""


def _worker_main(config: DiagnosticsConfig, inbox: Any, outbox: Connection) -> None:
    """Worker process: one OCR engine shared by the calls pinned here."""
    from diagnostics.ocr import make_engine
    from diagnostics.session import SessionDiagnostics

    engine = make_engine(config.tessdata_path, config.languages)
    sessions: dict[str, SessionDiagnostics] = {}
    arrivals: dict[str, dict[float, float]] = {}
    while True:
        item = inbox.get()
        if item is None:
            return
        kind, session_id = item[0], item[1]
        if kind == "close":
            sessions.pop(session_id, None)
            arrivals.pop(session_id, None)
            continue
        _, _, image, t, arrival = item
        diag = sessions.get(session_id)
        if diag is None:
            diag = sessions[session_id] = SessionDiagnostics(config, engine=engine)
        seen = arrivals.setdefault(session_id, {})
        seen[t] = arrival
        started = time.perf_counter()
        try:
            findings = diag.process(image, t)
            error = None
        except Exception as exc:  # a bad frame must not end the worker
            findings, error = [], f"{type(exc).__name__}: {exc}"
        busy = time.perf_counter() - started
        found = [(f, seen.get(f.frame_time, arrival)) for f in findings]
        if len(seen) > 512:
            for key in sorted(seen)[:256]:
                del seen[key]
        outbox.send((session_id, diag.next_due, found, busy, error))


@dataclass
class _Worker:
    process: BaseProcess
    inbox: Any
    results: Connection


@dataclass
class CallAnalysis:
    """media's FrameSink for one call: mirrors the worker's sampling, one frame in flight at most."""

    session_id: str
    pool: DiagnosisPool
    loop: asyncio.AbstractEventLoop
    on_finding: FindingCallback
    next_due: float = float("-inf")
    busy: bool = False
    analysed: int = 0
    dropped: int = 0
    busy_s: float = 0.0
    last_t: float = float("-inf")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wants(self, t: float) -> bool:
        """Yes when the worker is free for this call and the sampling interval has passed."""
        if t < self.last_t:  # the stream clock went back (new source): sample afresh
            self.next_due = float("-inf")
        self.last_t = t
        return not self.busy and t >= self.next_due

    def put(self, image: np.ndarray, t: float, arrival: float) -> None:
        """Send the frame to the call's worker (called from the decoder thread)."""
        with self._lock:
            if self.busy:
                self.dropped += 1
                return
            self.busy = True
        self.pool.submit(self.session_id, image, t, arrival)

    def close(self) -> None:
        """Forget this call in its worker."""
        self.pool.forget(self.session_id)

    def _done(self, next_due: float, found: list[tuple[Finding, float]], busy_s: float, error: str | None) -> None:
        self.analysed += 1
        self.busy_s += busy_s
        self.next_due = next_due
        self.busy = False
        if error:
            log.warning("session %s: analysis of a frame failed: %s", self.session_id, error)
        for finding, arrival in found:
            self.loop.call_soon_threadsafe(self.on_finding, finding, arrival)


class DiagnosisPool:
    """A fixed set of diagnostics worker processes, started on first use."""

    def __init__(self, config: DiagnosticsConfig, workers: int = 1) -> None:
        self._config = config
        self._size = max(1, workers)
        self._ctx = mp.get_context("spawn")  # no fork of a threaded, event-looped process
        self._workers: list[_Worker] = []
        self._calls: dict[str, CallAnalysis] = {}
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._stopping = False
        self.restarts = 0

    def analysis(self, session_id: str, loop: asyncio.AbstractEventLoop, on_finding: FindingCallback) -> CallAnalysis:
        """The frame sink of one call."""
        self._ensure_started()
        call = CallAnalysis(session_id, self, loop, on_finding)
        with self._lock:
            self._calls[session_id] = call
        return call

    def submit(self, session_id: str, image: np.ndarray, t: float, arrival: float) -> None:
        """Queue a frame for the call's worker."""
        self._worker_for(session_id).inbox.put(("frame", session_id, image, t, arrival))

    def forget(self, session_id: str) -> None:
        """Drop a call's state in its worker."""
        with self._lock:
            self._calls.pop(session_id, None)
        if self._workers:
            self._worker_for(session_id).inbox.put(("close", session_id))

    def close(self) -> None:
        """Stop the workers."""
        self._stopping = True
        for w in self._workers:
            with contextlib.suppress(OSError, ValueError):
                w.inbox.put(None, timeout=1.0)
        for w in self._workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
        if self._reader is not None:
            self._reader.join(timeout=5)

    def _worker_for(self, session_id: str) -> _Worker:
        return self._workers[zlib.crc32(session_id.encode()) % len(self._workers)]

    def _ensure_started(self) -> None:
        with self._lock:
            if self._workers:
                return
            self._workers = [self._spawn() for _ in range(self._size)]
            self._reader = threading.Thread(target=self._read, name="diagnosis-results", daemon=True)
            self._reader.start()

    def _spawn(self) -> _Worker:
        inbox = self._ctx.Queue(maxsize=64)
        receive, send = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(target=_worker_main, args=(self._config, inbox, send), name="lensdesk-diagnosis",
                                    daemon=True)
        process.start()
        send.close()
        return _Worker(process, inbox, receive)

    def _read(self) -> None:
        while not self._stopping:
            by_handle: dict[Any, int] = {}
            for i, w in enumerate(self._workers):
                by_handle[w.results] = i
                by_handle[w.process.sentinel] = i
            for ready in wait(list(by_handle), timeout=0.5):
                i = by_handle[ready]
                worker = self._workers[i]
                if ready is worker.results:
                    try:
                        session_id, next_due, found, busy_s, error = worker.results.recv()
                    except (EOFError, OSError):
                        continue
                    call = self._calls.get(session_id)
                    if call is not None:
                        call._done(next_due, found, busy_s, error)
                elif not self._stopping and not worker.process.is_alive():
                    self._restart(i)
                    break

    def _restart(self, index: int) -> None:
        old = self._workers[index]
        log.error("diagnosis worker %s died (exit code %s); restarting it", old.process.pid, old.process.exitcode)
        self.restarts += 1
        self._workers[index] = self._spawn()
        for call in list(self._calls.values()):
            if self._worker_for(call.session_id) is self._workers[index]:
                call.busy = False  # its frame in flight is lost; the call samples again
