"""Device error screens from video frames: frames in, findings out (no network, no database).

Entry points: ``SessionDiagnostics`` (one per video stream), ``DiagnosticsConfig``, ``Finding``,
``read_still`` for a single photo, and ``thread_engine`` for the per-worker-thread OCR engine.
"""

from diagnostics.config import DiagnosticsConfig
from diagnostics.errors import DiagnosticsError, FrameError, OcrUnavailableError
from diagnostics.finding import Finding
from diagnostics.ocr import thread_engine
from diagnostics.session import SessionDiagnostics
from diagnostics.still import read_still

__all__ = [
    "DiagnosticsConfig", "DiagnosticsError", "Finding", "FrameError", "OcrUnavailableError",
    "SessionDiagnostics", "read_still", "thread_engine",
]
