"""Device error screens from video frames: frames in, findings out (no network, no database).

Entry points: ``SessionDiagnostics`` (one per video stream), ``DiagnosticsConfig``, ``Finding``,
``read_still`` for a single photo, and ``thread_engine`` for the per-worker-thread OCR engine.

The names are loaded on first use (PEP 562): a process that needs only the catalog or the finding record (the
server's event-loop process) does not pay for OpenCV, NumPy and the OCR engines, which only analysis workers use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diagnostics.config import DiagnosticsConfig
    from diagnostics.errors import DiagnosticsError, FrameError, OcrUnavailableError
    from diagnostics.finding import Finding
    from diagnostics.ocr import thread_engine
    from diagnostics.session import SessionDiagnostics
    from diagnostics.still import read_still

_WHERE = {
    "DiagnosticsConfig": "diagnostics.config", "DiagnosticsError": "diagnostics.errors",
    "FrameError": "diagnostics.errors", "OcrUnavailableError": "diagnostics.errors", "Finding": "diagnostics.finding",
    "thread_engine": "diagnostics.ocr", "SessionDiagnostics": "diagnostics.session", "read_still": "diagnostics.still",
}

__all__ = [
    "DiagnosticsConfig", "DiagnosticsError", "Finding", "FrameError", "OcrUnavailableError",
    "SessionDiagnostics", "read_still", "thread_engine",
]


def __getattr__(name: str) -> Any:
    """Import an entry point's module when the name is first asked for."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'diagnostics' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
