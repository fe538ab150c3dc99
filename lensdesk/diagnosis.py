"""Bridges media's frame sink to diagnostics: one analysis thread per call, a one-slot mailbox, findings back on the loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from diagnostics.config import DiagnosticsConfig
from diagnostics.finding import Finding
from diagnostics.session import SessionDiagnostics

log = logging.getLogger(__name__)

FindingCallback = Callable[[Finding, float], None]
"""Called on the event loop with a confirmed finding and the server arrival time of its best frame."""


class DiagnosisWorker:
    """Implements media's FrameSink: latest frame wins; a busy analyser never queues frames up."""

    def __init__(self, session_id: str, config: DiagnosticsConfig, loop: asyncio.AbstractEventLoop,
                 on_finding: FindingCallback) -> None:
        self.session_id = session_id
        self._diag = SessionDiagnostics(config)
        self._loop = loop
        self._on_finding = on_finding
        self._cond = threading.Condition()
        self._slot: tuple[np.ndarray, float, float] | None = None
        self._busy = False
        self._stopped = False
        self._arrivals: dict[float, float] = {}
        self.analysed = 0
        self.dropped = 0
        self.busy_s = 0.0
        self._thread = threading.Thread(target=self._run, name=f"diagnose-{session_id[:8]}", daemon=True)
        self._thread.start()

    def wants(self, t: float) -> bool:
        """Sampling decision, delegated to diagnostics; never while the analyser is still busy."""
        if self._busy:
            return False
        return self._diag.wants(t)

    def put(self, image: np.ndarray, t: float, arrival: float) -> None:
        """Hand over a frame; replaces an unanalysed older one."""
        with self._cond:
            if self._slot is not None:
                self.dropped += 1
            self._slot = (image, t, arrival)
            self._cond.notify()

    def close(self) -> None:
        """Stop the analysis thread."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=10.0)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._slot is None and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                assert self._slot is not None
                image, t, arrival = self._slot
                self._slot = None
                self._busy = True
            started = time.perf_counter()
            try:
                self._arrivals[t] = arrival
                findings = self._diag.process(image, t)
            except Exception:
                log.exception("session %s: analysis of frame at %.2fs failed", self.session_id, t)
                findings = []
            finally:
                self.analysed += 1
                self.busy_s += time.perf_counter() - started
                self._busy = False
            for finding in findings:
                when = self._arrivals.get(finding.frame_time, arrival)
                self._loop.call_soon_threadsafe(self._on_finding, finding, when)
            if len(self._arrivals) > 512:
                for key in sorted(self._arrivals)[:256]:
                    del self._arrivals[key]
