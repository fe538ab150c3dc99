"""Reading a still screen again cheaply (follow.py): the view's shift, the code's band, and a session that
confirms a code from a full read and a band read of the next frame (real Tesseract)."""

import cv2
import numpy as np
import pytest

from diagnostics.config import DiagnosticsConfig
from diagnostics.follow import QuietView, StillScreen, code_bands, outside_bands, shift_of, small_copy
from diagnostics.ocr import OcrLine, OcrWord


def _screen(dx: int = 0, dy: int = 0, code: str = "E-204", size: tuple[int, int] = (1280, 720),
            second: str | None = None) -> np.ndarray:
    """A printer-like dialog on a textured desk, shifted by (dx, dy) pixels."""
    w, h = size
    rng = np.random.default_rng(5)
    desk = rng.integers(60, 140, (h // 8, w // 8, 3), dtype=np.uint8)
    frame = cv2.resize(desk, (w, h), interpolation=cv2.INTER_LINEAR)
    x0, y0 = 220 + dx, 110 + dy
    cv2.rectangle(frame, (x0 - 20, y0 - 20), (x0 + 860, y0 + 520), (25, 25, 25), -1)
    cv2.rectangle(frame, (x0, y0), (x0 + 840, y0 + 500), (235, 235, 235), -1)
    texts = ["Printer status", f"Error {code}", "Paper jam in tray 2", "Open cover A"]
    if second is not None:  # a screen without an error keyword
        texts[1:3] = [second, "Paper loaded in tray 2"]
    for i, text in enumerate(texts):
        cv2.putText(frame, text, (x0 + 50, y0 + 100 + 100 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (20, 20, 20), 3,
                    cv2.LINE_AA)
    return frame


def _gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


@pytest.mark.parametrize(("dx", "dy"), [(0, 0), (6, -4), (-12, 9), (20, 0)])
def test_the_shift_of_a_view_is_found(dx, dy):
    moved = shift_of(small_copy(_gray(_screen())), small_copy(_gray(_screen(dx, dy))))
    assert moved is not None
    assert abs(moved[0] - dx) <= 4 and abs(moved[1] - dy) <= 4


def test_another_view_is_no_shift():
    other = np.random.default_rng(1).integers(0, 255, (720, 1280), dtype=np.uint8)
    assert shift_of(small_copy(_gray(_screen())), small_copy(other)) is None
    assert shift_of(small_copy(_gray(_screen())), small_copy(_gray(_screen(size=(640, 360))))) is None


def test_a_code_band_covers_its_line_and_the_other_lines_stay():
    lines = [OcrLine("Printer status", 0.9, (OcrWord("Printer", 0.9, (40, 20, 80, 18)),
                                             OcrWord("status", 0.9, (130, 20, 60, 18)))),
             OcrLine("Error E-204", 0.9, (OcrWord("Error", 0.9, (40, 60, 60, 18)), OcrWord("E-204", 0.9, (110, 60, 60, 18)))),
             OcrLine("Open cover", 0.9, (OcrWord("Open", 0.9, (40, 100, 50, 18)),))]
    bands = code_bands(lines, {"Error E-204"}, (140, 400))
    assert len(bands) == 1
    x0, y0, x1, y1 = bands[0]
    assert x0 <= 40 and x1 >= 170 and y0 < 60 and y1 > 78 and y0 > 20 and y1 < 118
    assert [ln.text for ln in outside_bands(lines, bands)] == ["Printer status", "Open cover"]


@pytest.fixture(scope="module")
def engine():
    from diagnostics.ocr import make_engine

    cfg = DiagnosticsConfig(languages="eng")
    return make_engine(cfg.tessdata_path, cfg.languages)


def test_a_still_screen_is_confirmed_from_a_full_read_and_a_band_read(engine):
    from diagnostics.session import SessionDiagnostics

    s = SessionDiagnostics(DiagnosticsConfig(languages="eng"), engine)
    assert s.process(_screen(), 0.0) == []
    first = s.last_analysis
    assert first is not None and [r.code for r in first.reads] == ["E-204"]
    assert isinstance(first.still, StillScreen) and first.passes[0] == "eng"
    found = s.process(_screen(5, 3), 0.4)
    second = s.last_analysis
    assert second is not None and second.passes == ["still:eng"]
    assert [f.code for f in found] == ["E-204"]
    assert second.cpu_ms < first.cpu_ms  # only the code's band was read again


def test_a_band_that_shows_no_code_falls_back_to_a_full_read(engine):
    from diagnostics.analyzer import FrameAnalyzer

    analyzer = FrameAnalyzer(DiagnosticsConfig(languages="eng"), engine)
    first = analyzer.analyze(_screen())
    assert isinstance(first.still, StillScreen)
    # Same layout, the code line now says something else: the band read finds no code, the whole screen is read.
    blank = _screen(code="")
    again = analyzer.analyze(blank, first.still)
    assert not again.passes[0].startswith("still:") and again.reads == []


def test_a_quiet_view_skips_the_slow_passes_once():
    from diagnostics.analyzer import FrameAnalyzer
    from diagnostics.ocr import make_engine

    cfg = DiagnosticsConfig(languages="eng+chi_sim")
    analyzer = FrameAnalyzer(cfg, make_engine(cfg.tessdata_path, cfg.languages))
    # A code-shaped token without a keyword: the all-language pass looks for one in Chinese, in vain.
    frame = _screen(second="Program E5 set")
    full = analyzer.analyze(frame)
    assert "eng+chi_sim" in full.passes and full.reads == [] and isinstance(full.still, QuietView)
    skipped = analyzer.analyze(_screen(4, 2, second="Program E5 set"), full.still)
    assert "eng+chi_sim" not in skipped.passes
    assert isinstance(skipped.still, QuietView) and not skipped.still.fast_next
    assert len(skipped.regions_read) == 1
    assert "eng+chi_sim" in analyzer.analyze(frame, skipped.still).passes  # and the frame after reads all again
