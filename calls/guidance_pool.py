"""Runs the scene tracker and freeze captures in their own worker PROCESS, apart from the OCR workers.

A tracker update must come every ~70 ms while marks exist; an OCR read can take a second. Sharing a process would
starve the tracker, so guidance gets its own worker (started on first use) that decodes a call's video only while
the call has marks or a freeze being captured. Frames are never queued without bound: when the worker is behind,
the call's frames are dropped up to the next keyframe (one is requested).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from media.frames import EncodedFrame

from .guide import CallGuide, FrozenFrame, TrackedPoses, encode_still
from .worker_queue import worker_queue

log = logging.getLogger(__name__)

INBOX_ITEMS = 45  # ~1.5 s of one guided call at 30 fps: beyond this positions would come too late to use
GuideCallback = Callable[[TrackedPoses | FrozenFrame], None]
"""Called on the event loop with the tracker's positions for a frame, or a frame captured for a freeze."""


def _guidance_main(inbox: Any, outbox: Connection, parent_pid: int) -> None:
    """Worker process: decodes each guided call's video and tracks its marks / captures its freezes."""
    from media.analysis_decoder import FrameDecoder

    calls: dict[str, tuple[FrameDecoder, CallGuide]] = {}
    while True:
        try:
            item = inbox.get(timeout=2.0)
        except queue.Empty:
            if os.getppid() != parent_pid:
                return  # the server was killed: do not linger as an orphan
            continue
        if item is None:
            return
        kind, session_id, payload = item
        if kind == "close":
            calls.pop(session_id, None)
            continue
        decoder, guide = calls.get(session_id) or calls.setdefault(session_id, (FrameDecoder(), CallGuide()))
        if kind == "marks":
            guide.set_marks(payload)
        elif kind == "freeze":
            guide.freeze(payload)
        elif kind == "freeze_still":
            outbox.send((session_id, encode_still(*payload)))
        elif kind == "gap":
            decoder.gap()
        elif kind == "frame":
            guide.behind = _waiting(inbox) > 0
            for image, t in decoder.decode(payload, guide.wants):
                try:
                    tracked, frozen = guide.process(image, t)
                except Exception as exc:  # a bad frame must not end the worker
                    log.warning("guidance of a frame failed: %s: %s", type(exc).__name__, exc)
                    continue
                for result in [*([tracked] if tracked is not None else []), *frozen]:
                    outbox.send((session_id, result))


def _waiting(inbox: Any) -> int:
    """Items queued behind the one in hand (0 where the platform cannot count them)."""
    try:
        return int(inbox.qsize())
    except NotImplementedError:  # macOS: sem_getvalue is missing
        return 0


@dataclass
class CallGuidance:
    """One call's link to the guidance worker: marks and freezes in, positions and frames back on the loop."""

    session_id: str
    pool: GuidancePool
    loop: asyncio.AbstractEventLoop
    on_result: GuideCallback
    request_keyframe: Callable[[], None] = lambda: None
    marks: int = 0
    last_marks: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    freezing: int = 0  # freezes waiting for a frame
    dropped: int = 0
    _skipping: bool = True  # the worker's decoder starts at a keyframe

    @property
    def active(self) -> bool:
        """Frames are wanted: marks to follow or a freeze to capture."""
        return self.marks > 0 or self.freezing > 0

    def track(self, marks: dict[str, list[tuple[float, float]]]) -> bool:
        """Follow these live marks (the whole set; empty: stop); False if the worker is too busy."""
        was = self.active
        if not self.pool.submit(self.session_id, "marks", marks):
            return False
        self.marks, self.last_marks = len(marks), marks
        self._started(was)
        return True

    def freeze(self, freeze_id: str) -> bool:
        """Capture the next decoded frame for a freeze; False if the worker is too busy."""
        was = self.active
        if not self.pool.submit(self.session_id, "freeze", freeze_id):
            return False
        self.freezing += 1
        self._started(was)
        return True

    def freeze_still(self, freeze_id: str, data: bytes) -> bool:
        """Turn a full-resolution still into a freeze's frame (decoded in the worker); False if it is too busy."""
        return self.pool.submit(self.session_id, "freeze_still", (freeze_id, data))

    def feed(self, frame: EncodedFrame) -> None:
        """Hand a video frame over while guidance is active (non-blocking; drops to the next keyframe when behind)."""
        if frame.kind != "video" or not self.active:
            return
        if self._skipping:
            if not frame.keyframe:
                return
            self._skipping = False
        if not self.pool.submit(self.session_id, "frame", frame):
            self.dropped += 1
            self._skipping = True
            self.pool.submit(self.session_id, "gap", None)
            self.request_keyframe()

    def close(self) -> None:
        """Forget this call in the worker."""
        self.pool.forget(self.session_id)

    def _started(self, was_active: bool) -> None:
        if not was_active and self.active:
            # frames were not sent while idle: the worker's decoder needs a keyframe to start again
            self._skipping = True
            self.pool.submit(self.session_id, "gap", None)
            self.request_keyframe()

    def _result(self, result: TrackedPoses | FrozenFrame) -> None:
        if isinstance(result, FrozenFrame) and result.source == "frame":
            self.freezing = max(0, self.freezing - 1)
        with contextlib.suppress(RuntimeError):  # the loop closed before the worker stopped
            self.loop.call_soon_threadsafe(self.on_result, result)


@dataclass
class GuidancePool:
    """One guidance worker process (started on first use, restarted if it dies)."""

    _ctx: Any = field(default_factory=lambda: mp.get_context("spawn"))
    _process: Any = None
    _inbox: Any = None
    _results: Connection | None = None
    _calls: dict[str, CallGuidance] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reader: threading.Thread | None = None
    _stopping: bool = False
    restarts: int = 0

    def guidance(self, session_id: str, loop: asyncio.AbstractEventLoop, on_result: GuideCallback,
                 request_keyframe: Callable[[], None] = lambda: None) -> CallGuidance:
        """The guidance link of one call."""
        call = CallGuidance(session_id, self, loop, on_result, request_keyframe)
        with self._lock:
            self._calls[session_id] = call
            if self._process is None:
                self._spawn()
                self._reader = threading.Thread(target=self._read, name="guidance-results", daemon=True)
                self._reader.start()
        return call

    def submit(self, session_id: str, kind: str, payload: Any) -> bool:
        """Queue an item for the worker; False if it is too far behind."""
        try:
            self._inbox.put_nowait((kind, session_id, payload))
            return True
        except queue.Full:
            return False

    def forget(self, session_id: str) -> None:
        """Drop a call's state in the worker."""
        with self._lock:
            self._calls.pop(session_id, None)
        if self._inbox is not None:
            with contextlib.suppress(queue.Full):
                self._inbox.put(("close", session_id, None), timeout=1.0)

    def pid(self) -> int | None:
        """Process id of the worker (for operations and tests)."""
        return None if self._process is None else self._process.pid

    def close(self) -> None:
        """Stop the worker."""
        self._stopping = True
        if self._process is None:
            return
        with contextlib.suppress(OSError, ValueError, queue.Full):
            self._inbox.put(None, timeout=1.0)
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=5)
        self._inbox.close()

    def _spawn(self) -> None:
        if self._inbox is not None:  # a dead worker's queue: its pipe and feeder thread must not outlive it
            self._inbox.close()
        if self._results is not None:
            self._results.close()
        self._inbox = worker_queue(self._ctx, INBOX_ITEMS)
        receive, send = self._ctx.Pipe(duplex=False)
        self._process = self._ctx.Process(target=_guidance_main, args=(self._inbox, send, os.getpid()),
                                          name="lensdesk-guidance", daemon=True)
        self._process.start()
        send.close()
        self._results = receive

    def _deliver(self, session_id: str, result: Any) -> None:
        # In its own frame: a local on the reader loop would keep the last call (its media, peers, recorder)
        # alive after it ended, until the next result arrived.
        call = self._calls.get(session_id)
        if call is not None:
            call._result(result)

    def _read(self) -> None:
        while not self._stopping:
            results, process = self._results, self._process
            assert results is not None
            for ready in wait([results, process.sentinel], timeout=0.5):
                if ready is results:
                    try:
                        self._deliver(*results.recv())
                    except (EOFError, OSError):
                        continue
                elif not self._stopping and not process.is_alive():
                    log.error("guidance worker %s died (exit code %s); restarting it", process.pid, process.exitcode)
                    self.restarts += 1
                    with self._lock:
                        self._spawn()
                    for call in list(self._calls.values()):
                        call.marks = call.freezing = 0  # a waiting freeze fails by its timeout
                        if call.last_marks:  # follow the marks again (anchored afresh), from the event loop
                            with contextlib.suppress(RuntimeError):
                                call.loop.call_soon_threadsafe(call.track, call.last_marks)
                    break
