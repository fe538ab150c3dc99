"""Both OCR engines on a clean rendered line, and the code-constrained re-read."""

import cv2
import numpy as np

from diagnostics.ocr import PytesseractEngine, make_engine


def _line(text: str) -> np.ndarray:
    img = np.full((60, 620), 255, np.uint8)
    cv2.putText(img, text, (10, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2, cv2.LINE_AA)
    return img


def test_tesserocr_reads_lines_with_words_and_boxes(engine):
    lines = engine.read(_line("Error code: 0x8007045D"))
    assert len(lines) == 1
    assert lines[0].text.replace(" ", "").endswith("0x8007045D")
    assert 0.5 < lines[0].confidence <= 1.0
    x, y, w, h = lines[0].words[-1].box
    assert w > 50 and h > 10


def test_code_reread_is_restricted_to_code_characters(engine):
    assert engine.read_code(_line("SC899")) == "SC899"
    out = engine.read_code(_line("E:51 fault"))
    assert set(out) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZx:-. ")


def test_pytesseract_fallback_reads_the_same(config):
    fallback = PytesseractEngine(config.tessdata_path, "eng")
    assert fallback.read(_line("Error code: 0x8007045D"))[0].text.replace(" ", "").endswith("0x8007045D")
    assert fallback.read_code(_line("SC899")) == "SC899"


def test_make_engine_prefers_tesserocr(config):
    assert make_engine(config.tessdata_path, "eng").name == "tesserocr"


def test_without_tesserocr_the_pytesseract_fallback_is_used(config, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tesserocr", None)  # what a failed import of the wheel looks like
    engine = make_engine(config.tessdata_path, "eng")
    assert engine.name == "pytesseract"
    assert engine.read(_line("Error E-204"))[0].text.endswith("E-204")


def test_thread_engine_is_one_per_thread_and_reused(config):
    import threading

    from diagnostics.ocr import thread_engine

    mine = thread_engine(config.tessdata_path, "eng")
    assert thread_engine(config.tessdata_path, "eng") is mine
    other: list[object] = []
    t = threading.Thread(target=lambda: other.append(thread_engine(config.tessdata_path, "eng")))
    t.start()
    t.join()
    assert other and other[0] is not mine
