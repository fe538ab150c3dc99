"""Typed errors of the diagnostics pipeline."""

from __future__ import annotations


class DiagnosticsError(Exception):
    """Base class of every error diagnostics raises on purpose."""


class FrameError(DiagnosticsError, ValueError):
    """A frame is not something the pipeline can analyse (empty, wrong dtype or shape)."""


class OcrUnavailableError(DiagnosticsError, RuntimeError):
    """Neither tesserocr nor a tesseract binary (pytesseract) can be used, or language data is missing."""


class CatalogError(DiagnosticsError, ValueError):
    """The code catalog file is missing or malformed."""


class MediaError(DiagnosticsError, ValueError):
    """A file given for analysis cannot be read as an image or a video."""
