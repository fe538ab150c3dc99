"""Code patterns and pattern-aware confusion repair."""

import pytest

from diagnostics.extract import extract_codes, lacks_context
from diagnostics.ocr import OcrLine
from diagnostics.patterns import find_codes


def codes(line: str) -> list[str]:
    return [m.code for m in find_codes(line)]


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("Error code: 0x8007045D", ["0x8007045D"]),
        ("Error code: @x8007045D", ["0x8007045D"]),  # @ where the pattern expects the digit 0
        ("Error code: Ox800FO81F", ["0x800F081F"]),  # O -> 0 in hex slots
        ("Stop code: 0XC000021A", ["0xC000021A"]),
        ("Error code: 0x8OO7O45d", ["0x8007045D"]),
        ("$c990-01", ["SC990-01"]),
        ("SC542 Call service", ["SC542"]),
        ("5C899", ["SC899"]),
        ("Error E-2O4", ["E-204"]),
        ("E:5l", ["E:51"]),
        ("49.4CO2 SERVICE ERROR", ["49.4C02"]),
        ("Error E2l", ["E21"]),
        ("错误代码 ES", ["E5"]),  # S read for 5 in the digit slot after an error keyword
        ("故障 EO4", ["E04"]),
        ("£:46 Ink absorber full", ["E:46"]),  # an E with a blurred middle bar reads as a pound sign
        ("Error €-204", ["E-204"]),
        ("Error E-00e", ["E-000"]),  # a barred zero (θ) read as e, in a digit slot
    ],
)
def test_codes_are_found_and_repaired(read, expected):
    assert codes(read) == expected


def test_repair_only_touches_digit_slots():
    # Letters that spell words stay letters: nothing here has the shape of a code.
    assert codes("SERVICE ERROR BOOT LOOP") == []
    assert codes("CO LO HI") == []  # appliance shape, but no real digit and no keyword before
    assert codes("ES") == []


def test_the_reported_misread_keeps_its_wrong_digit():
    # "@x8907045D": the @ is repaired, the 9 is a valid hex digit and is left alone (consensus handles it).
    assert codes("@x8907045D") == ["0x8907045D"]


def test_repairs_are_counted():
    (m,) = find_codes("Ox800FO81F")
    assert m.repairs == 2
    (clean,) = find_codes("0x800F081F")
    assert clean.repairs == 0


def _lines(*texts: str, conf: float = 0.9) -> list[OcrLine]:
    return [OcrLine(t, conf) for t in texts]


def test_context_rules():
    # A bare number like 79.04 or 10.5 is only a code on a screen that talks about an error.
    assert extract_codes(_lines("Software version 10.5", "Temperature 23.5 C")) == []
    assert [r.code for r in extract_codes(_lines("79.04", "SERVICE ERROR"))] == ["79.04"]
    # A specific shape needs no keyword.
    assert [r.code for r in extract_codes(_lines("49.4C02", "Turn off then on"))] == ["49.4C02"]
    # A seven-segment panel showing nothing but the code.
    assert [r.code for r in extract_codes(_lines("E5"))] == ["E5"]
    assert extract_codes(_lines("Cotton 40", "Eco mode ON", "Time left 0:45")) == []


def test_confidence_drops_with_repairs_and_text_is_kept():
    (clean,) = extract_codes(_lines("Error code: 0x8007045D", "The request could not be performed"))
    (repaired,) = extract_codes(_lines("Error code: @x8OO7045D", "The request could not be performed"))
    assert repaired.confidence < clean.confidence
    assert "The request could not be performed" in clean.text


def test_lacks_context_asks_for_the_other_language_pass():
    assert lacks_context(_lines("IR AHS E5", "WE BHKE"))  # garbled Chinese keyword before an appliance code
    assert not lacks_context(_lines("Error E5"))
    assert not lacks_context(_lines("Hello world"))
