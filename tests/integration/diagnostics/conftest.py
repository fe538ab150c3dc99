"""Shared real OCR engine (loading tesseract models once per test session)."""

import pytest

from diagnostics.config import DiagnosticsConfig
from diagnostics.ocr import TesserocrEngine


@pytest.fixture(scope="session")
def config() -> DiagnosticsConfig:
    return DiagnosticsConfig()


@pytest.fixture(scope="session")
def engine(config) -> TesserocrEngine:
    return TesserocrEngine(config.tessdata_path, config.languages)
