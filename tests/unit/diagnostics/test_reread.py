"""The second look at code-like words, with real Tesseract: a better re-read replaces the word, a worse one or
none leaves the first read alone."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from diagnostics.config import DiagnosticsConfig
from diagnostics.ocr import OcrLine, OcrWord, TesserocrEngine
from diagnostics.reread import reread_code_words

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"


@pytest.fixture(scope="module")
def engine() -> TesserocrEngine:
    config = DiagnosticsConfig(languages="eng")
    return TesserocrEngine(config.tessdata_path, config.languages)


def page_with(text: str) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A light page with `text` in dark ink on its left half (the right half stays blank), and the text's box."""
    face = ImageFont.truetype(FONT, 28)
    img = Image.new("L", (640, 120), 245)
    ImageDraw.Draw(img).text((20, 40), text, font=face, fill=25)
    left, top, right, bottom = ImageDraw.Draw(img).textbbox((20, 40), text, font=face)
    return np.array(img), (int(left), int(top), int(right - left), int(bottom - top))


def one_word(text: str, confidence: float, box: tuple[int, int, int, int]) -> list[OcrLine]:
    return [OcrLine(text, confidence, (OcrWord(text, confidence, box),))]


def test_a_garbled_code_is_replaced_by_its_constrained_re_read(engine) -> None:
    page, box = page_with("0x8007045D")
    out = reread_code_words(engine, page, one_word("@x8907045D", 0.5, box))
    assert out[0].words[0].text == "0x8007045D"
    assert out[0].text == "0x8007045D"


def test_a_re_read_showing_no_code_keeps_the_first_read(engine) -> None:
    page, _ = page_with("0x8007045D")
    blank = (420, 40, 180, 34)  # the word's box lies on the blank half: the re-read finds nothing there
    lines = one_word("E-2O4", 0.4, blank)
    assert reread_code_words(engine, page, lines) == lines


def test_a_sure_clean_code_gets_no_second_look(engine) -> None:
    page, box = page_with("E-204")
    lines = one_word("E-204", 0.95, box)
    assert reread_code_words(engine, page, lines) is lines  # nothing to re-read: the same list back
