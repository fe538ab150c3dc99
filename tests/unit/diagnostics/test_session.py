"""Session sampling and garbage handling (with the real OCR engine; no text is read here)."""

import numpy as np
import pytest

from diagnostics.config import DiagnosticsConfig
from diagnostics.errors import FrameError
from diagnostics.session import SessionDiagnostics


@pytest.fixture(scope="module")
def session_factory():
    from diagnostics.ocr import make_engine

    cfg = DiagnosticsConfig(languages="eng")
    engine = make_engine(cfg.tessdata_path, cfg.languages)
    return lambda **kw: SessionDiagnostics(DiagnosticsConfig(languages="eng", **kw), engine)


def test_wants_samples_at_the_configured_rate(session_factory):
    s = session_factory(sample_fps=3.0)
    black = np.zeros((360, 640, 3), np.uint8)
    assert s.wants(0.0) and s.next_due == float("-inf")
    s.process(black, 0.0)
    assert s.next_due == pytest.approx(1 / 9)
    # A rejected (dark) frame is retried sooner, a third of the interval.
    assert not s.wants(0.05)
    assert s.wants(0.12)
    grey = np.full((360, 640, 3), 128, np.uint8)  # exposure fine, but blurry (no detail)
    s.process(grey, 0.12)
    assert not s.wants(0.2)


def test_stream_clock_going_back_restarts_sampling(session_factory):
    s = session_factory()
    s.process(np.zeros((360, 640, 3), np.uint8), 50.0)
    assert not s.wants(50.01)
    assert s.wants(1.0)


def test_garbage_frames_raise_and_change_nothing(session_factory):
    s = session_factory()
    for bad in (np.zeros((0, 0, 3), np.uint8), np.zeros((360, 640, 3), np.float64), "frame", None):
        with pytest.raises(FrameError):
            s.process(bad, 0.0)
    assert s.stats.offered == 0 and s.stats.analysed == 0


def test_all_black_stream_gives_no_findings(session_factory):
    s = session_factory()
    black = np.zeros((720, 1280, 3), np.uint8)
    out = [f for i in range(30) for f in s.process(black, i / 10)]
    assert out == []
    assert s.stats.skipped["dark"] == 30 and s.stats.analysed == 0


def test_config_is_validated():
    with pytest.raises(ValueError):
        DiagnosticsConfig(sample_fps=0)
    with pytest.raises(ValueError):
        DiagnosticsConfig(languages=" ")
    assert DiagnosticsConfig().language_list == ["eng", "chi_sim"]


def test_missing_language_data_is_a_clear_error(tmp_path):
    from diagnostics.errors import OcrUnavailableError
    from diagnostics.ocr import TesserocrEngine

    with pytest.raises(OcrUnavailableError):
        TesserocrEngine(str(tmp_path / "nowhere"), "eng")
    with pytest.raises(OcrUnavailableError):
        TesserocrEngine(DiagnosticsConfig().tessdata_path, "klingon")


def _error_screen(code: str) -> np.ndarray:
    """A Windows-style dialog with an HRESULT, placed on a 1280x720 desk (readable straight away)."""
    from testkit.synth.screens import ScreenStyle, render_error_screen

    style = ScreenStyle("dialog", "sans", (20, 20, 20), (245, 245, 245), accent=(200, 120, 0))
    screen = render_error_screen(code, f"Error code: {code}\nThe update could not be installed.", style, (960, 600))
    frame = np.full((720, 1280, 3), (70, 80, 90), np.uint8)
    frame[60:660, 160:1120] = screen
    return frame


def test_a_replaced_catalog_is_used_from_the_next_frame(session_factory):
    from diagnostics.catalog import Catalog, CatalogEntry

    code = "0x8047A2C6"  # HRESULT-shaped, made up: in no catalog file
    s = session_factory(strong_read_margin=9.0)  # no single strong read: the first read leaves the code pending
    assert s.catalog.lookup(code) is None
    frame = _error_screen(code)
    assert s.process(frame, 0.0) == []  # an uncatalogued code needs a second read: it is pending
    found: list = []
    entry = CatalogEntry("windows", code, "Component store corrupted", "Servicing files are damaged.",
                         "Run DISM /RestoreHealth, then retry the update.", "error", origin="technician")
    s.replace_catalog(s.catalog.overlaid([entry]))
    t = 0.0
    while not found and t < 3.0:
        t += 0.4
        found = s.process(frame, t)
    [finding] = found
    assert finding.code == code
    assert finding.known and finding.title == "Component store corrupted" and finding.severity == "error"
    s.replace_catalog(Catalog([]))
    assert s.catalog.lookup(code) is None
