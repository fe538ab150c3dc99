"""Codes kept as printed (issue 10, recognition, third round): separators the device shows stay in the code,
leading zeros stay, and the catalog does not pull a printed spelling to a twin without its dot. Text level."""

import pytest

from diagnostics.extract import extract_codes
from diagnostics.known import NO_CODES, KnownCodes
from diagnostics.ocr import OcrLine, OcrWord, join_rows

BOILER_CATALOG = KnownCodes(["F37", "F28", "FE", "E-204", "SC990-01", "LE", "ALM55"])


def screen(*texts: str, known: KnownCodes = NO_CODES) -> list[str]:
    return sorted(r.code for r in extract_codes([OcrLine(t, 0.9) for t in texts], known))


@pytest.mark.parametrize(("lines", "expected"), [
    # letter-dot-letter and letter-dot-digit codes of segment panels and LCDs keep their dot
    (["F.E"], ["F.E"]), (["A.P"], ["A.P"]), (["L.H"], ["L.H"]), (["Fault", "E.A"], ["E.A"]),
    (["F.37"], ["F.37"]), (["Störung F.28"], ["F.28"]), (["Er.05", "Overheat"], ["ER.05"]),
    # ... and other separators as printed
    (["E:A"], ["E:A"]), (["Err:21", "Card read failed"], ["ERR:21"]),
    # three-three dash groups and dotted numbers after a keyword or under an error title
    (["Error 105-977", "Paper jam in tray 2"], ["105-977"]), (["Fault code 016-720"], ["016-720"]),
    (["Service error", "968.70", "Scanner fault"], ["968.70"]), (["Error: 307.68"], ["307.68"]),
    # leading zeros and prefixes written apart
    (["ALM 055", "Overheat"], ["ALM 055"]), (["ERR 996", "Communication error"], ["ERR 996"]),
    (["Error 0042"], ["0042"]),
])
def test_codes_keep_the_spelling_the_device_prints(lines, expected):
    assert screen(*lines) == expected
    assert screen(*lines, known=BOILER_CATALOG) == expected


@pytest.mark.parametrize("lines", [
    ["Firmware 307.68"], ["Total 968.70 EUR"], ["Printed 12.03.25"], ["Version 2.1.4"], ["Page 105-977"],
    ["Temp 21.5C"], ["Ready", "Tray 2: Letter"], ["Ready at 10.30"],
])
def test_dotted_and_grouped_numbers_with_an_ordinary_label_are_no_codes(lines):
    assert screen(*lines) == []


def test_the_catalog_keeps_a_dot_or_colon_it_lacks_but_adds_a_separator_ocr_lost():
    assert BOILER_CATALOG.match("F.37") is None  # the device printed the dot: a different code than F37
    assert BOILER_CATALOG.match("F37") == "F37"
    assert BOILER_CATALOG.match("F.E") is None
    assert BOILER_CATALOG.match("E204") == "E-204"  # a dash lost by OCR is restored
    assert BOILER_CATALOG.match("5C99O-01") == "SC990-01"
    assert BOILER_CATALOG.match("E:204") is None  # a colon where the catalog has a dash: kept as read


def test_a_dotted_read_and_its_undotted_catalog_twin_are_both_found_as_themselves():
    assert screen("F.37", known=BOILER_CATALOG) == ["F.37"]
    assert screen("F37", known=BOILER_CATALOG) == ["F37"]
    assert screen("Fault", "L.E", known=BOILER_CATALOG) == ["L.E"]


# ------------------------------------------------------------------------------------ rows split by tesseract

def _piece(x: int, y: int, h: int, *texts: str) -> list[OcrWord]:
    out, at = [], x
    for t in texts:
        out.append(OcrWord(t, 0.9, (at, y, 12 * len(t), h)))
        at += 12 * len(t) + 10
    return out


def test_a_label_and_its_value_in_two_blocks_of_one_row_are_one_line():
    rows = join_rows([_piece(40, 100, 20, "Error", "code:"), _piece(40, 140, 20, "Model:"),
                      _piece(300, 102, 19, "307.68"), _piece(300, 141, 20, "CX825de")])
    assert [" ".join(w.text for w in r) for r in rows] == ["Error code: 307.68", "Model: CX825de"]
    lines = [OcrLine(" ".join(w.text for w in r), 0.9, tuple(r)) for r in rows]
    assert [r.code for r in extract_codes(lines)] == ["307.68"]


@pytest.mark.parametrize("pieces", [
    [_piece(40, 100, 20, "Ready"), _piece(40, 125, 20, "E-204")],  # the next line down
    [_piece(40, 100, 20, "Tray"), _piece(40, 96, 60, "E5")],  # a much taller glyph row beside small print
    [_piece(40, 100, 20, "Left"), _piece(900, 100, 20, "column")],  # a far column (gap over 12 heights)
])
def test_pieces_of_different_rows_stay_apart(pieces):
    assert len(join_rows(pieces)) == 2


def test_three_and_three_digit_groups_are_codes_beside_a_service_line_but_not_as_part_numbers():
    assert screen("016-720 Call service", "Toner: 45%") == ["016-720"]
    assert screen("Part 016-720", "Toner: 45%") == []
    assert screen("Ready", "Tel 555-0199") == []
    assert screen("Ready", "016-720") == []  # no error context at all: a bare number pair on a status screen
