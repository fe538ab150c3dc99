"""Runs analysis in worker PROCESSES: the relay process only forwards encoded frames (a few KB each); the worker
decodes them and reads the sampled ones, so neither VP8 decoding nor OCR ever holds the relay's GIL.

Each call's analysis is pinned to one worker, where its decoder and consensus state live. If a worker falls
behind, the call's frames are dropped up to the next keyframe (and one is requested), never queued without
bound. A worker that dies is restarted; the calls it served start afresh.

The code catalog can change while calls run: each worker starts with the whole catalog and then gets versioned
deltas on its own unbounded control queue, applied before the next frame it reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import queue
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from diagnostics.catalog import Catalog, CatalogDelta
from diagnostics.config import DiagnosticsConfig
from diagnostics.finding import Finding
from media.frames import EncodedFrame

from .worker_queue import worker_queue

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class ScanReading:
    """What the worker read in a scan's still (error: why nothing could be read)."""

    scan_id: str
    findings: list[Finding]
    error: str | None
    cpu_s: float


FindingCallback = Callable[[Finding, float], None]
"""Called on the event loop with a confirmed finding and the server arrival time of its best frame."""
PendingCallback = Callable[[bool], None]
"""Called on the event loop after each analysed frame: does a code-like read await confirmation?"""
ScanCallback = Callable[[ScanReading], None]
"""Called on the event loop with what a scan's still showed."""

MAX_SCAN_SIDE = 4096  # px; larger stills are scaled down before reading

INBOX_FRAMES = 1024  # ~3 s of 12 calls at 30 fps; beyond this a worker is behind and frames are dropped


@dataclass(frozen=True, slots=True)
class CatalogAck:
    """A worker's word that it reads with this catalog version now."""

    version: int


def _worker_main(config: DiagnosticsConfig, inbox: Any, outbox: Connection, parent_pid: int, control: Any,
                 catalog: Catalog, catalog_version: int) -> None:
    """Worker process: decodes each pinned call's video and analyses the frames its sampling wants."""
    from diagnostics.analyzer import load_models
    from diagnostics.ocr import make_engine
    from diagnostics.session import SessionDiagnostics
    from media.analysis_decoder import FrameDecoder

    engine = make_engine(config.tessdata_path, config.languages)
    load_models(config)  # RapidOCR's models too, before the first frame rather than at the first still view
    calls: dict[str, tuple[FrameDecoder, SessionDiagnostics, dict[float, float]]] = {}
    try:
        outbox.send(CatalogAck(catalog_version))
    except (BrokenPipeError, EOFError, ConnectionResetError):
        return  # the server was killed while this worker started: nobody to work for
    while True:
        try:
            item = inbox.get(timeout=2.0)
        except queue.Empty:
            if os.getppid() != parent_pid:
                return  # the server was killed (SIGKILL skips clean-up): do not linger as an orphan
            continue
        if item is None:
            return
        kind, session_id = item[0], item[1]
        # Catalog changes first. A change's wake-up item carries its version and sits in the inbox ahead of every
        # frame queued after the change, so waiting here for that version means those frames are read with it.
        wanted = item[2] if kind == "catalog" else catalog_version
        changed = False
        while True:
            try:
                delta: CatalogDelta = (control.get(timeout=5.0) if catalog_version < wanted
                                       else control.get_nowait())
            except queue.Empty:
                break
            catalog, catalog_version, changed = catalog.applied(delta), delta.version, True
        if changed:
            for _, diag, _ in calls.values():
                diag.replace_catalog(catalog)
            outbox.send(CatalogAck(catalog_version))
        if kind == "close":
            calls.pop(session_id, None)
            continue
        if kind == "catalog":
            continue
        state = calls.get(session_id)
        if state is None:
            state = calls[session_id] = (FrameDecoder(), SessionDiagnostics(config, engine=engine, catalog=catalog),
                                         {})
        decoder, diag, arrivals = state
        if kind == "gap":
            decoder.gap()
            continue
        if kind == "still":
            scan_id, data = item[2]
            outbox.send(("scan", session_id, _read_scan(diag, scan_id, data)))
            continue
        frame: EncodedFrame = item[2]
        for image, t in decoder.decode(frame, diag.wants):
            arrivals[t] = frame.arrival
            started = time.perf_counter()
            try:
                findings, error = diag.process(image, t), None
            except Exception as exc:  # a bad frame must not end the worker
                findings, error = [], f"{type(exc).__name__}: {exc}"
            busy = time.perf_counter() - started
            found = [(f, arrivals.get(f.frame_time, frame.arrival)) for f in findings]
            if len(arrivals) > 512:
                for key in sorted(arrivals)[:256]:
                    del arrivals[key]
            outbox.send(("frame", session_id, (found, busy, error, diag.code_pending(t))))


def _read_scan(diag: Any, scan_id: str, data: bytes) -> ScanReading:
    """Decode and read a scan's still in the worker (never on the relay's event loop)."""
    import cv2
    import numpy as np

    started = time.process_time()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)  # applies the EXIF orientation
    if image is None:
        return ScanReading(scan_id, [], "The photo could not be decoded.", 0.0)
    side = max(image.shape[:2])
    if side > MAX_SCAN_SIDE:  # beyond this the code is big enough anyway; keeps one read under a second
        scale = MAX_SCAN_SIDE / side
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    try:
        findings = diag.read_scan(image)
    except Exception as exc:
        return ScanReading(scan_id, [], f"{type(exc).__name__}: {exc}", time.process_time() - started)
    return ScanReading(scan_id, findings, None, time.process_time() - started)


@dataclass
class _Worker:
    process: BaseProcess
    inbox: Any
    results: Connection
    control: Any  # catalog deltas, unbounded: never dropped, never blocking the event loop
    catalog_version: int | None = None  # acknowledged by the worker


@dataclass
class CallAnalysis:
    """One call's link to its worker: encoded frames in, findings back on the event loop."""

    session_id: str
    pool: AnalysisPool
    loop: asyncio.AbstractEventLoop
    on_finding: FindingCallback
    request_keyframe: Callable[[], None] = lambda: None
    on_pending: PendingCallback = lambda pending: None
    on_scan: ScanCallback = lambda reading: None
    analysed: int = 0
    dropped: int = 0
    busy_s: float = 0.0
    _skipping: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def feed(self, frame: EncodedFrame) -> None:
        """Hand an encoded video frame to the worker (non-blocking; drops to the next keyframe when behind)."""
        if frame.kind != "video":
            return
        if self._skipping:
            if not frame.keyframe:
                self.dropped += 1
                return
            self._skipping = False
        if not self.pool.submit(self.session_id, frame):
            self.dropped += 1
            self._skipping = True
            self.pool.mark_gap(self.session_id)
            self.request_keyframe()

    def read_still(self, scan_id: str, data: bytes) -> bool:
        """Hand a scan's encoded still to the call's worker (decoded and read there); False if it is too busy."""
        return self.pool.submit_still(self.session_id, scan_id, data)

    def close(self) -> None:
        """Forget this call in its worker."""
        self.pool.forget(self.session_id)

    def _done(self, found: list[tuple[Finding, float]], busy_s: float, error: str | None, pending: bool) -> None:
        self.analysed += 1
        self.busy_s += busy_s
        if error:
            log.warning("session %s: analysis of a frame failed: %s", self.session_id, error)
        for finding, arrival in found:
            self._on_loop(self.on_finding, finding, arrival)
        self._on_loop(self.on_pending, pending)

    def _scanned(self, reading: ScanReading) -> None:
        self._on_loop(self.on_scan, reading)

    def _on_loop(self, callback: Callable[..., None], *args: Any) -> None:
        """Run a callback on the call's event loop (from the results thread); dropped once the loop is closed."""
        with contextlib.suppress(RuntimeError):  # shutting down: the loop closed before the workers stopped
            self.loop.call_soon_threadsafe(callback, *args)


class AnalysisPool:
    """A fixed set of analysis worker processes, started on first use."""

    def __init__(self, config: DiagnosticsConfig, workers: int = 1, catalog: Catalog | None = None) -> None:
        self._config = config
        if catalog is None:
            from diagnostics.catalog import load_catalogs

            catalog = load_catalogs(config.catalog_path, config.extra_catalog_dir).catalog
        self._catalog = catalog
        self._catalog_version = 0
        self._size = max(1, workers)
        self._ctx = mp.get_context("spawn")  # no fork of a threaded, event-looped process
        self._workers: list[_Worker] = []
        self._calls: dict[str, CallAnalysis] = {}
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._stopping = False
        self.restarts = 0

    def analysis(self, session_id: str, loop: asyncio.AbstractEventLoop, on_finding: FindingCallback,
                 request_keyframe: Callable[[], None] = lambda: None,
                 on_pending: PendingCallback = lambda pending: None,
                 on_scan: ScanCallback = lambda reading: None) -> CallAnalysis:
        """The analysis link of one call."""
        self._ensure_started()
        call = CallAnalysis(session_id, self, loop, on_finding, request_keyframe, on_pending, on_scan)
        with self._lock:
            self._calls[session_id] = call
        return call

    def live_sessions(self) -> int:
        """How many calls have an analysis link open (0 once every call has ended)."""
        with self._lock:
            return len(self._calls)

    def start(self) -> None:
        """Start the workers now (otherwise the first call starts them)."""
        self._ensure_started()

    def submit(self, session_id: str, frame: EncodedFrame) -> bool:
        """Queue a frame for the call's worker; False if the worker is too far behind."""
        try:
            self._worker_for(session_id).inbox.put_nowait(("frame", session_id, frame))
            return True
        except queue.Full:
            return False

    def submit_still(self, session_id: str, scan_id: str, data: bytes) -> bool:
        """Queue a scan's still for the call's worker (behind the frames already queued); False if it is full."""
        try:
            self._worker_for(session_id).inbox.put_nowait(("still", session_id, (scan_id, data)))
            return True
        except queue.Full:
            return False

    def backlog(self) -> int:
        """Frames and stills queued for the workers now (published for placing new rooms)."""
        waiting = 0
        for worker in self._workers:
            with contextlib.suppress(NotImplementedError, OSError):  # qsize is not available everywhere
                waiting += worker.inbox.qsize()
        return waiting

    def mark_gap(self, session_id: str) -> None:
        """Tell the worker frames were dropped (its decoder must wait for a keyframe)."""
        with contextlib.suppress(queue.Full):
            self._worker_for(session_id).inbox.put_nowait(("gap", session_id, None))

    def forget(self, session_id: str) -> None:
        """Drop a call's state in its worker."""
        with self._lock:
            self._calls.pop(session_id, None)
        if self._workers:
            with contextlib.suppress(queue.Full):
                self._worker_for(session_id).inbox.put(("close", session_id, None), timeout=1.0)

    def close(self) -> None:
        """Stop the workers."""
        self._stopping = True
        for w in self._workers:
            with contextlib.suppress(OSError, ValueError, queue.Full):
                w.inbox.put(None, timeout=1.0)
        for w in self._workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=5)
            for q in (w.inbox, w.control):
                q.close()
        if self._reader is not None:
            self._reader.join(timeout=5)

    @property
    def catalog(self) -> Catalog:
        """The catalog the workers read with (or are about to)."""
        return self._catalog

    @property
    def catalog_version(self) -> int:
        """Version of that catalog."""
        return self._catalog_version

    def update_catalog(self, catalog: Catalog, version: int) -> None:
        """Ship a new catalog version to every worker (as a delta); they use it from their next frame on."""
        with self._lock:
            delta = self._catalog.diff(catalog, self._catalog_version, version)
            self._catalog, self._catalog_version = catalog, version
            for w in self._workers:
                w.control.put(delta)
                with contextlib.suppress(queue.Full):  # a full inbox means a busy worker: it sees the change soon
                    w.inbox.put_nowait(("catalog", "", version))

    def worker_catalog_versions(self) -> list[int | None]:
        """The catalog version each worker has acknowledged (None: not yet)."""
        return [w.catalog_version for w in self._workers]

    def worker_pids(self) -> list[int | None]:
        """Process ids of the workers (for operations and tests)."""
        return [w.process.pid for w in self._workers]

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
        inbox = worker_queue(self._ctx, INBOX_FRAMES)
        control = worker_queue(self._ctx)  # a dead worker's unread deltas must not hold up the server's exit
        receive, send = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(target=_worker_main, args=(self._config, inbox, send, os.getpid(), control,
                                                               self._catalog, self._catalog_version),
                                    name="lensdesk-analysis", daemon=True)
        process.start()
        send.close()
        return _Worker(process, inbox, receive, control)

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
                        message = worker.results.recv()
                    except (EOFError, OSError):
                        continue
                    if isinstance(message, CatalogAck):
                        worker.catalog_version = message.version
                        continue
                    self._deliver(*message)
                    del message  # the last result (a snapshot) is not kept while this thread waits
                elif not self._stopping and not worker.process.is_alive():
                    self._restart(i)
                    break

    def _deliver(self, kind: str, session_id: str, payload: Any) -> None:
        # In its own frame: a local on the reader loop would keep the last call (its media, peers, recorder)
        # alive after it ended, until the next result arrived.
        call = self._calls.get(session_id)
        if call is None:
            return
        if kind == "scan":
            call._scanned(payload)
        else:
            call._done(*payload)

    def _restart(self, index: int) -> None:
        old = self._workers[index]
        log.error("analysis worker %s died (exit code %s); restarting it", old.process.pid, old.process.exitcode)
        self.restarts += 1
        with self._lock:  # no catalog update may fall between the spawn and the worker being listed
            self._workers[index] = self._spawn()
        old.results.close()
        for q in (old.inbox, old.control):  # their pipes and feeder threads would outlive the dead worker
            q.close()
        for call in list(self._calls.values()):
            if self._worker_for(call.session_id) is self._workers[index]:
                # Its decoder state is gone: start again from the next keyframe.
                call._skipping = True
                call._on_loop(call.request_keyframe)  # media lives on the event loop, not on this reader thread
