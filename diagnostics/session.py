"""One video stream's analysis: sampling, quality gates, per-frame reading and consensus."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from diagnostics.analyzer import FrameAnalysis, FrameAnalyzer
from diagnostics.catalog import Catalog, load_catalogs
from diagnostics.config import DiagnosticsConfig
from diagnostics.consensus import Confirmation, Consensus
from diagnostics.extract import screen_text
from diagnostics.finding import Finding
from diagnostics.follow import QuietView, StillScreen
from diagnostics.frames import to_gray, validate_frame
from diagnostics.gates import QualityGate, measure
from diagnostics.grammar import find_codes
from diagnostics.known import KnownCodes
from diagnostics.ocr import OcrEngine, thread_engine
from diagnostics.snapshot import encode_jpeg
from diagnostics.still import read_still


@dataclass(slots=True)
class SessionStats:
    """Counters of one session, for logs and benches."""

    offered: int = 0  # frames handed to process()
    analysed: int = 0  # frames that passed the gates and were read
    skipped: Counter[str] = field(default_factory=Counter)  # gate reason -> count
    analysis_ms: list[float] = field(default_factory=list)  # wall-clock per analysed frame
    analysis_cpu_ms: list[float] = field(default_factory=list)  # CPU time per analysed frame


class SessionDiagnostics:
    """State of one video stream's analysis (sampling + consensus). Not thread-safe: one worker calls process()."""

    def __init__(self, config: DiagnosticsConfig, engine: OcrEngine | None = None,
                 catalog: Catalog | None = None) -> None:
        self._c = config
        self._engine = engine
        self._analyzer_: FrameAnalyzer | None = None
        self._catalog = catalog if catalog is not None else load_catalogs(config.catalog_path,
                                                                          config.extra_catalog_dir).catalog
        self._known = KnownCodes(self._catalog.codes())
        self._gate = QualityGate(config)
        self._consensus = Consensus(config, self._known.codes)
        self._interval = 1.0 / config.sample_fps
        self._next_t = float("-inf")
        self._last_t = float("-inf")
        self.stats = SessionStats()
        self.last_analysis: FrameAnalysis | None = None
        self._settled = False
        self._still: StillScreen | QuietView | None = None  # the last read view, for a cheap read of the next frame

    @property
    def catalog(self) -> Catalog:
        """The catalog findings are looked up in."""
        return self._catalog

    def replace_catalog(self, catalog: Catalog) -> None:
        """Use this catalog from the next frame on; codes read so far and findings already made are kept.

        Its codes teach the reader (catalogued spellings in any shape): the matcher is rebuilt, which is cheap."""
        self._catalog = catalog
        self._known = KnownCodes(catalog.codes())
        self._consensus.replace_known_codes(self._known.codes)
        if self._analyzer_ is not None:
            self._analyzer_.known = self._known

    @property
    def _analyzer(self) -> FrameAnalyzer:
        # Resolved on first use, i.e. on the worker thread that calls process(): without an explicit
        # engine, that thread's own tesseract engine is used (they are not thread-safe).
        if self._analyzer_ is None:
            engine = self._engine or thread_engine(self._c.tessdata_path, self._c.languages)
            self._analyzer_ = FrameAnalyzer(self._c, engine, known=self._known)
        return self._analyzer_

    def wants(self, t: float) -> bool:
        """Cheap: should the caller decode/convert the frame at stream time t (s)?"""
        if t < self._last_t:  # the stream's clock went back (restart): start sampling afresh
            self._next_t = float("-inf")
        return t >= self._next_t

    @property
    def next_due(self) -> float:
        """Stream time from which wants() says yes again (lets another process mirror the sampling)."""
        return self._next_t

    def process(self, image: np.ndarray, t: float) -> list[Finding]:
        """Analyse one frame taken at stream time t; returns newly CONFIRMED findings only (blocking)."""
        frame = validate_frame(image)
        self.stats.offered += 1
        self._last_t = t
        self._next_t = t + self._interval
        pending = self._consensus.pending(t)
        if pending:
            # A code awaits its confirming read: a still screen must be read again now, not in seconds.
            self._gate.forget()
            self._settled = False
        verdict = self._gate.check(measure(to_gray(frame), self._c.gate_width), t, settled=self._settled)
        if not verdict.ok:
            self.stats.skipped[verdict.reason] += 1
            if verdict.reason in ("blurry", "dark", "overexposed"):
                self._next_t = t + self._interval / 3  # a better frame may come soon; gates are cheap
            return []
        analysis = self._analyzer.analyze(frame, self._still)
        self._still = analysis.still
        self.last_analysis = analysis
        self.stats.analysed += 1
        self.stats.analysis_ms.append(analysis.ms)
        self.stats.analysis_cpu_ms.append(analysis.cpu_ms)
        confirmations = self._consensus.add(analysis.reads, frame, t, analysis.ocr_input)
        # Settled: this frame showed codes and every one of them is reported now; re-reading the same screen on
        # every wobble of the hand would only burn CPU (steady-state cost per call), so wait for a real change.
        reported = self._consensus.confirmed_codes
        self._settled = (bool(analysis.reads) and all(r.code in reported for r in analysis.reads)
                         and not self._consensus.pending(t))
        return [self._finding(c) for c in confirmations]

    def _finding(self, conf: Confirmation) -> Finding:
        text = conf.text
        if conf.ocr_input is not None and "+" in self._c.languages:
            # Once per finding: re-read the best frame with every language for the message text.
            full_lines = self._analyzer.read_text(conf.ocr_input)
            # Only a read that saw the code itself is trusted for the message (not for segment panels).
            if any(m.code == conf.code for ln in full_lines
                   for m in find_codes(ln.text, assume_keyword=True, known=self._known)):
                text = screen_text(full_lines)
        entry = self._catalog.lookup(conf.code, conf.family)
        return Finding(
            code=conf.code,
            family=entry.family if entry else conf.family,
            title=entry.title if entry else None,
            cause=entry.cause if entry else None,
            remedy=entry.remedy if entry else None,
            severity=entry.severity if entry else "unknown",
            known=entry is not None,
            text=text,
            confidence=round(conf.confidence, 4),
            frame_time=conf.frame_time,
            snapshot_jpeg=encode_jpeg(conf.frame, self._c.snapshot_quality),
            frames_seen=conf.frames_seen,
            shown=conf.shown or conf.code,
        )

    def code_pending(self, t: float) -> bool:
        """A code-like read at stream time t awaits confirmation (a closer look would settle it)."""
        return self._consensus.pending(t)

    def read_scan(self, image: np.ndarray) -> list[Finding]:
        """Findings of a full-resolution still of this stream's scene (blocking); their codes count as reported."""
        engine = self._engine or thread_engine(self._c.tessdata_path, self._c.languages)
        findings = read_still(validate_frame(image), self._c, engine=engine, catalog=self._catalog)
        for f in findings:
            self._consensus.mark_reported(f.code, self._last_t)
        return findings
