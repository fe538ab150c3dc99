"""What script a word as read is in, and whether it is another script's word read as Latin look-alikes."""

import pytest

from diagnostics.ocr import OcrWord
from diagnostics.script import is_latin_lookalike, script_of


@pytest.mark.parametrize(("text", "script"), [
    ("Error", "latin"), ("E-204", "latin"), ("Störung", "latin"), ("故障", "han"), ("エラー", "kana"),
    ("오류", "hangul"), ("Помилка", "cyrillic"), ("Σφάλμα", "greek"), ("שגיאה", "other"), ("0x1F", "latin"),
    ("12.5", "none"), ("--", "none"), ("Errorа", "mixed"),  # the last a Cyrillic а among Latin letters
])
def test_the_script_of_a_word_is_its_letters(text, script):
    assert script_of(text) == script
    assert OcrWord(text, 0.9, (0, 0, 10, 10)).script == script


@pytest.mark.parametrize("read", [
    "Pa6oTa",  # "Работа" (Russian: running) as a Latin-only recogniser reads it
    "Pa6ota",  # ... with its T read in lower case: the digit between letters still tells
    "OwuKa",   # "Ошибка" with its б lost: a capital after lower-case letters
    "CeTb",    # "Сеть" (network)
    "HaCoc",   # "Насос" (pump)
    "KoTeJl",  # not all twins (J, l): not flagged, see below
])
def test_cyrillic_words_read_as_latin_lookalikes_are_flagged(read):
    assert is_latin_lookalike(read) == (read != "KoTeJl")


@pytest.mark.parametrize("code_or_word", [
    "E-204", "PA607A", "CAM3EXT", "SC542", "0x8007045D", "Error", "ERROR", "Pump", "Heater", "Temp", "M404dn",
    "Err:21", "F3", "TEMP3OK", "Code", "Boiler", "mode", "Alarm", "H20", "kPa", "MPa",
])
def test_codes_and_latin_words_are_not(code_or_word):
    assert not is_latin_lookalike(code_or_word)
    assert not OcrWord(code_or_word, 0.9, (0, 0, 10, 10)).latin_lookalike


def test_a_words_evidence_defaults_to_tesseract_with_no_height_known():
    word = OcrWord("E-204", 0.9, (0, 0, 10, 10))
    assert word.recogniser == "tesseract" and word.height_share == 0.0
