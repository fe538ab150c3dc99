"""Reading a single still image: no consensus possible, so every code read in it is reported once."""

from __future__ import annotations

import numpy as np

from diagnostics.analyzer import FrameAnalyzer
from diagnostics.catalog import Catalog, load_catalogs
from diagnostics.config import DiagnosticsConfig
from diagnostics.extract import screen_text
from diagnostics.finding import Finding
from diagnostics.known import KnownCodes
from diagnostics.ocr import OcrEngine, make_engine
from diagnostics.snapshot import encode_jpeg


def read_still(image: np.ndarray, config: DiagnosticsConfig, engine: OcrEngine | None = None,
               catalog: Catalog | None = None) -> list[Finding]:
    """Findings of one photo (quality gates do not apply: the user chose this picture)."""
    engine = engine if engine is not None else make_engine(config.tessdata_path, config.languages)
    if catalog is None:
        catalog = load_catalogs(config.catalog_path, config.extra_catalog_dir).catalog
    analyzer = FrameAnalyzer(config, engine, known=KnownCodes(catalog.codes()))
    analysis = analyzer.analyze(image)
    reads = [r for r in analysis.reads if r.confidence >= config.min_read_confidence]
    if not reads:
        return []
    text = screen_text(analyzer.read_text(analysis.ocr_input)) if analysis.ocr_input is not None else ""
    snapshot = encode_jpeg(image, config.snapshot_quality)
    findings = []
    for read in reads:
        entry = catalog.lookup(read.code, read.family)
        findings.append(Finding(
            code=read.code, family=entry.family if entry else read.family,
            title=entry.title if entry else None, cause=entry.cause if entry else None,
            remedy=entry.remedy if entry else None, severity=entry.severity if entry else "unknown",
            known=entry is not None, text=text or read.text, confidence=round(read.confidence, 4),
            frame_time=0.0, snapshot_jpeg=snapshot, frames_seen=1, shown=read.shown or read.code,
        ))
    return findings
