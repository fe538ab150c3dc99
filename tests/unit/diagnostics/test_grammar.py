"""The open code grammar: shapes, context, ordinary numbers, confusion repair on any shape, catalogued spellings."""

import random
import re

import pytest

from diagnostics.context import has_keyword, keyword_before
from diagnostics.extract import extract_codes, lacks_context
from diagnostics.grammar import find_codes, parse
from diagnostics.known import NO_CODES, KnownCodes, skeleton
from diagnostics.ocr import OcrLine, OcrWord
from diagnostics.ordinary import ordinary_spans

CATALOG = KnownCodes(["0x8007045D", "0x80070005", "0x80004005", "0xC000021A", "0x800F081F", "0x80240034",
                      "0x8024402C", "0x80070057", "49.4C02", "79.04", "50.2", "13.20.00", "E-204", "E-000",
                      "SC542", "SC899", "SC990-01", "E:51", "E:46", "E5", "F3", "E21", "E04"])


def codes(line: str, **kw) -> list[str]:
    return [m.code for m in find_codes(line, **kw)]


def _lines(*texts: str, conf: float = 0.9) -> list[OcrLine]:
    return [OcrLine(t, conf) for t in texts]


def screen(*texts: str, known: KnownCodes = NO_CODES) -> list[str]:
    return sorted(r.code for r in extract_codes(_lines(*texts), known))


# ----------------------------------------------------------------------------------------- shapes, by hand

@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # hex
        (["Error code: 0x8007045D"], ["0x8007045D"]),
        (["Your PC ran into a problem", "STOP 0x0000007B"], ["0x0000007B"]),
        (["Stop code: 0XC000021A"], ["0xC000021A"]),
        (["Something went wrong (0x80072EE7)"], ["0x80072EE7"]),
        # letter prefixes with and without separators
        (["Error E-204", "Paper jam"], ["E-204"]),
        (["SC542 Call service"], ["SC542"]),
        (["Service call", "SC-542"], ["SC-542"]),
        (["ERR-1024", "Restart the unit"], ["ERR-1024"]),
        (["ALARM", "ALM 021"], ["ALM 021"]),
        (["Alarm AL-12 spindle overload"], ["AL-12"]),
        (["Fault F0002"], ["F0002"]),
        (["DTC: P0420", "Catalyst efficiency below threshold"], ["P0420"]),
        (["Fault code U0100 lost communication"], ["U0100"]),
        (["Error CH05"], ["CH05"]),
        (["Printer error", "E:15"], ["E:15"]),
        (["Check engine", "DTC: P0301"], ["P0301"]),
        # dotted service codes
        (["49.4C02 SERVICE ERROR"], ["49.4C02"]),
        (["13.B2.D2", "Jam in tray 2"], ["13.B2.D2"]),
        (["79.04 ERROR"], ["79.04"]),
        (["SERVICE ERROR", "79.04"], ["79.04"]),
        # two dash groups, never cut after the first
        (["Error U4-01"], ["U4-01"]),
        (["Error code 024-371"], ["024-371"]),
        (["SC990-01", "Call service"], ["SC990-01"]),
        (["Error E000007-0001"], ["E000007-0001"]),
        # numbers after an error keyword
        (["Error 1602"], ["1602"]),
        (["Machine Error 2A"], ["2A"]),
        (["Code 46", "Drain pump blocked"], ["46"]),
        (["Fehler 12", "Tür offen"], ["12"]),
        # bare segment displays
        (["E5"], ["E5"]),
        (["5E"], ["5E"]),
        (["dE"], ["DE"]),
        (["OE"], ["OE"]),
        (["LE"], ["LE"]),
        (["H6"], ["H6"]),
        (["A5"], ["A5"]),
        (["L.E"], ["L.E"]),  # the dot is part of the code (F.E is not FE)
        (["F.E"], ["F.E"]),
        (["Error", "A.P"], ["A.P"]),
        # labels in other languages
        (["错误代码 E5"], ["E5"]),
        (["故障代码：F21"], ["F21"]),
        (["Fehlercode: F0002"], ["F0002"]),
        (["Código de error: E-204"], ["E-204"]),
        (["Code erreur : E:51"], ["E:51"]),
        (["エラーコード U4-01"], ["U4-01"]),
        (["Avería E21"], ["E21"]),
        (["Störung F05"], ["F05"]),
        (["Panne F3 - contactez le service"], ["F3"]),
        (["异常 A5"], ["A5"]),
    ],
)
def test_codes_are_found_by_shape_and_context(lines, expected):
    assert screen(*lines) == expected


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("Error code: @x8007045D", ["0x8007045D"]),  # @ where 0x expects the digit 0
        ("Error code: Ox800FO81F", ["0x800F081F"]),  # O -> 0 in hex
        ("Error code: 0x8OO7O45d", ["0x8007045D"]),
        ("$c990-01", ["SC990-01"]),
        ("Error E-2O4", ["E-204"]),
        ("E:5l", ["E:51"]),
        ("49.4CO2 SERVICE ERROR", ["49.4C02"]),  # hex after the dot: O -> 0, C stays
        ("13.B2.D2", ["13.B2.D2"]),  # B and D are hex digits there, not 8 and 0
        ("Error E2l", ["E21"]),
        ("错误代码 ES", ["E5"]),  # S read for 5 after an error keyword
        ("故障 EO4", ["E04"]),  # border letter O before a digit is a zero
        ("Fault CHO5", ["CH05"]),
        ("£:46 Ink absorber full", ["E:46"]),  # an E with a blurred middle bar
        ("Error €-204", ["E-204"]),
        ("Error E-00e", ["E-000"]),  # a barred zero read as e
        ("Error U4-Ol", ["U4-01"]),
        ("DTC: PO42O", ["P0420"]),
        ("Error 16O2", ["1602"]),
        ("ERR-1O24", ["ERR-1024"]),
        ("Error E0000O7-OO01", ["E000007-0001"]),
    ],
)
def test_confusion_repair_on_any_shape(read, expected):
    assert codes(read) == expected


def test_repairs_are_counted():
    (m,) = find_codes("Ox800FO81F")
    assert m.repairs == 2
    (clean,) = find_codes("0x800F081F")
    assert clean.repairs == 0


def test_the_reported_misread_keeps_its_wrong_digit():
    # "@x8907045D": the @ is repaired, the 9 is a valid hex digit and is left alone (consensus handles it).
    assert codes("@x8907045D") == ["0x8907045D"]


def test_words_are_not_codes():
    assert codes("SERVICE ERROR BOOT LOOP") == []
    assert codes("CO LO HI") == []  # prefix-and-digit shape only by repair, and no keyword before
    assert codes("ES") == []
    assert screen("Cotton 40", "Eco mode ON", "Time left 0:45") == []
    assert screen("ON") == [] and screen("OK") == [] and screen("HI") == []


def test_context_rules():
    # A bare number like 79.04 is a code only when the screen talks about an error.
    assert screen("Software version 10.5", "Temperature 23.5 C") == []
    assert screen("Weight 79.04") == []
    assert screen("49.4C02", "Turn off then on") == ["49.4C02"]  # a hex letter after the dot is specific
    assert screen("1602") == [] and screen("Press 1602 to continue") == []
    assert screen("Channel CH05", "Volume 12") == []  # a short prefixed number needs an error keyword
    assert screen("ECO 40", "Cotton") == []


def test_confidence_drops_with_repairs_and_text_is_kept():
    (clean,) = extract_codes(_lines("Error code: 0x8007045D", "The request could not be performed"))
    (repaired,) = extract_codes(_lines("Error code: @x8OO7045D", "The request could not be performed"))
    assert repaired.confidence < clean.confidence
    assert "The request could not be performed" in clean.text


def test_lacks_context_asks_for_the_other_language_pass():
    assert lacks_context(_lines("IR AHS E5", "WE BHKE"))  # garbled Chinese keyword before an appliance code
    assert not lacks_context(_lines("Error E5"))
    assert lacks_context(_lines("SHIRTS ES", "KAS"))  # ES is E5 only with a keyword: the other language may show it
    assert not lacks_context(_lines("Hello world"))


def _word_line(*words: tuple[str, int]) -> OcrLine:
    ws = tuple(OcrWord(t, 0.9, (10 * i, 0, 10 * len(t), h)) for i, (t, h) in enumerate(words))
    return OcrLine(" ".join(w.text for w in ws), 0.9, ws)


def test_large_glyphs_make_a_code_prominent():
    message = [_word_line(("Program", 12), ("stopped", 12), ("with", 12)), _word_line(("an", 12), ("error", 12))]
    small = [*message, _word_line(("Code", 12), ("shown", 12), ("dE", 12))]
    large = [*message, _word_line(("dE", 40))]
    assert [r.code for r in extract_codes(large)] == ["DE"]
    assert extract_codes([*message, _word_line(("dE", 12), ("mode", 12), ("on", 12))]) == []
    assert extract_codes(small) == []  # "Code shown dE": no label right before, small, inside a sentence


# --------------------------------------------------------------------------------------- generated shapes

_RNG = random.Random(20261129)
_HEX = "0123456789ABCDEF"
_PREFIXES = ["E", "F", "H", "C", "P", "U", "B", "SC", "AL", "CH", "ERR", "ALM", "FLT", "EC", "LC", "HE", "A"]


def _digits(n: int) -> str:
    return "".join(_RNG.choice("0123456789") for _ in range(n))


def _generated_codes() -> list[str]:
    out: list[str] = []
    for _ in range(12):
        out.append("0x" + _RNG.choice("8C") + "".join(_RNG.choice(_HEX) for _ in range(7)))
        out.append(_RNG.choice(_PREFIXES) + _RNG.choice("-:") + _digits(_RNG.randint(2, 4)))
        out.append(_RNG.choice(["SC", "ALM", "F", "P", "U", "B", "C"]) + _digits(_RNG.randint(3, 4)))
        out.append(_digits(2) + "." + _RNG.choice("ABCDEF") + _digits(1) + "." + _RNG.choice("ABCDEF") + _digits(1))
        out.append(_digits(2) + "." + _digits(1) + _RNG.choice("ABCDEF") + _digits(2))
        out.append(_RNG.choice(_PREFIXES) + _digits(_RNG.randint(1, 3)) + "-" + _digits(2))
        out.append(_digits(3) + "-" + _digits(3))
        out.append(_RNG.choice("EFHCL") + _digits(_RNG.randint(1, 2)))
    return list(dict.fromkeys(out))


GENERATED = _generated_codes()
KEYWORD_LABELS = ["Error code:", "Error", "Fault", "Alarm", "DTC:", "Stop code:", "Code", "错误代码", "故障",
                  "报警", "Fehlercode:", "Störung", "Fehler", "Código de error:", "Avería", "Falla", "Erreur",
                  "Défaut", "Code erreur :", "Panne", "エラー", "エラーコード:", "異常", "故障コード"]


@pytest.mark.parametrize("code", GENERATED)
def test_generated_codes_after_every_keyword(code):
    for label in KEYWORD_LABELS:
        assert screen(f"{label} {code}", "Please contact your service partner") == [code], label


@pytest.mark.parametrize("code", GENERATED)
def test_generated_codes_alone_under_an_error_title(code):
    assert screen("SYSTEM ERROR", code, "Turn the power off and on again") == [code]


_CONFUSE = {"0": "O", "1": "l", "5": "S", "8": "B", "2": "Z", "6": "G"}


def _garble(code: str, rng: random.Random) -> str:
    """Replace up to half of a code's plain-digit positions by their look-alike letters."""
    hexed = code.startswith("0x")
    letters = "" if hexed else code[:len(code) - len(code.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]
    positions = [i for i, c in enumerate(code) if c in _CONFUSE and i >= max(len(letters), 2 * hexed)]
    if hexed:  # B is a hex digit itself: an 8 read as B cannot be told from a real B
        positions = [i for i in positions if code[i] != "8"]
    if "." in code:  # dotted: after the dot the groups are hex, so only the decimal group is repaired as digits
        positions = [i for i in positions if i < code.index(".")]
    if letters and len(code) > len(letters) + 1 and not code[len(letters) + 1].isdigit():
        # a prefix's last letter and a lone digit before a separator (LC6-47 read LCG-47) are ambiguous
        positions = [i for i in positions if i != len(letters)]
    body = re.match(r"\d+", code[len(letters):])
    if letters and not hexed and body and len(body.group()) == 3:
        # S, Z, B, G right after a prefix and before two digits stay letters (SS11, HS01 are vending codes as printed):
        # only glyphs drawn like a digit (O, l) are repaired there
        positions = [i for i in positions if i != len(letters) or code[i] not in "5286"]
    rng.shuffle(positions)
    out = list(code)
    for i in positions[:max(1, len(positions) // 2)]:
        out[i] = _CONFUSE[out[i]]
    return "".join(out)


@pytest.mark.parametrize("code", [c for c in GENERATED if "-" not in c or not c[0].isdigit()])
def test_generated_garbled_codes_are_repaired(code):
    rng = random.Random(code)
    for _ in range(4):
        garbled = _garble(code, rng)
        assert codes(f"Error code: {garbled}") == [code], garbled


# ------------------------------------------------------------------------------------------ ordinary numbers

ORDINARY = {
    "time": ["12:45", "08:30:15", "9:05 PM", "23:59", "7:30am", "14h30", "Time left 0:45", "Start at 6:00"],
    "date": ["12.03.2025", "2025-03-12", "03/12/25", "31.12.24", "2024/01/05", "1.3.2025", "12 Mar 2025",
             "March 12, 2025", "Jan 5", "2025年3月12日", "05-11-2026", "Date: 12.03"],
    "temperature": ["23.5 C", "45°C", "-4 °F", "Water 60°", "38℃", "Temp 21.5", "Temperature 40 C", "90.5°F"],
    "percent": ["45%", "Ink 12 %", "Battery 87%", "Humidity 55.5%", "Toner level 3%"],
    "price": ["$12.99", "12.50 EUR", "€ 9,99", "Total 149.00", "£5", "Price 19.95", "¥1200", "99 元"],
    "page": ["Page 3 of 12", "3/12", "Page 12", "Seite 2 von 5", "Pages 40"],
    "model": ["Model M404dn", "WM14T790", "HL2270DW", "Model No. WM14T790", "LaserJet M404dn", "Type MFC9340cdw"],
    "version": ["v2.14.3", "FW 4.10.22", "Firmware 2.1", "Version 10.5", "Ver. 3.2.1", "Build 2024.11", "v12",
                "Software 5.0.1", "BIOS 1.18.0", "Rev 2.3"],
    "ip": ["192.168.1.10", "IP 10.0.0.254", "Gateway 172.16.0.1", "10.1.2.3:8080"],
    "mac": ["00:1A:2B:3C:4D:5E", "MAC a4-5e-60-c2-11-0f", "F0:9F:C2:12:34:56"],
    "serial": ["S/N ABC12345", "SN: CN12B3456", "Serial No. 4K2F-99X1", "Serial number 24-1155-09"],
    "phone": ["Tel +49 30 1234567", "1-800-555-0199", "(555) 123-4567", "Call 555-0199", "+1 415 555 2671",
              "Hotline 0800 123 4567"],
    "order": ["Order 12345", "Order No. 2024-5521", "Invoice 88412", "Job ID 4471", "Ticket 20251"],
    "quantity": ["1200 rpm", "Spin 800 rpm", "230 V", "50Hz", "3 kg", "Copies 2", "600 dpi", "1,200 sheets",
                 "12 min", "Tray 2", "Counter 128450"],
}


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, ts in ORDINARY.items() for t in ts])
def test_ordinary_numbers_never_become_codes(kind, text):
    assert screen(text) == [], kind
    assert screen("Status", text, "Ready") == [], kind
    # ... not even on a screen that shows an error elsewhere, nor with the catalog's codes in mind
    assert screen("ERROR", text, known=CATALOG) == [], kind


@pytest.mark.parametrize("text", ["12.03.2025", "2025-03-12", "12:45", "45%", "192.168.1.10", "v2.14.3", "$12.99"])
def test_ordinary_spans_cover_the_number(text):
    line = f"Updated {text} ok"
    assert any(s.start <= line.index(text) and s.end >= line.index(text) + len(text) for s in ordinary_spans(line))


def test_an_error_screen_full_of_ordinary_numbers_reports_only_its_code():
    lines = ["Printer error 12:45 03/12/25", "Error code: E-204", "Toner 45%  Page 3 of 12", "FW 4.10.22",
             "IP 192.168.1.10", "S/N CN12B3456", "Model M404dn", "Call 1-800-555-0199"]
    assert screen(*lines) == ["E-204"]


def test_a_dotted_date_is_not_a_service_code():
    assert screen("SERVICE", "12.03.2025") == []
    assert screen("SERVICE", "13.20.00") == ["13.20.00"]  # no month 13 or 20: the HP code


# --------------------------------------------------------------------------------------------- keywords

@pytest.mark.parametrize("text", ["Error", "FAULT", "failure", "alarm", "Service", "code", "STOP", "DTC", "错误",
                                  "故障", "代码", "报警", "异常", "Fehler", "Störung", "Fehlercode", "falla",
                                  "código", "avería", "erreur", "défaut", "panne", "エラー", "故障", "異常", "コード",
                                  "错 误 代 码"])
def test_error_keywords_in_several_languages(text):
    assert has_keyword(f"xx {text} yy")


@pytest.mark.parametrize("text", ["Errand boy", "Codex", "Welcome", "Stoppage", "Panneau", "Ready to print"])
def test_words_containing_a_keyword_are_not_keywords(text):
    assert not has_keyword(text)


def test_labels_right_before_a_token():
    for label in ("Error code: ", "DTC: ", "Stop code: ", "Error No. ", "Fehlercode: ", "故障代码：", "Machine Error "):
        assert keyword_before(label + "X1", len(label)), label
    for label in ("Product code: ", "Zip code ", "Welcome ", "Error was cleared at "):
        assert not keyword_before(label + "X1", len(label)), label


# -------------------------------------------------------------------------------------------- catalogued

def test_catalogued_codes_are_read_in_whatever_shape_they_have():
    assert codes("5C899", known=CATALOG) == ["SC899"]
    assert codes("Error E204", known=CATALOG) == ["E-204"]
    assert codes("SC 990-01", known=CATALOG) == ["SC990-01"]
    assert codes("Error 0x8OO7O45D", known=CATALOG) == ["0x8007045D"]
    assert screen("SERVICE ERROR", "79.04", known=CATALOG) == ["79.04"]
    assert screen("79.04", "SERVICE", known=NO_CODES) == ["79.04"]  # alone under a keyword: either way


def test_catalogued_codes_respect_ordinary_numbers():
    known = KnownCodes(["50.2", "12.03", "1602", "OE"])
    assert screen("Temperature 50.2 C", known=known) == []
    assert screen("Date 12.03", known=known) == []
    assert screen("ERROR", "OE", known=known) == ["OE"]


def test_a_misread_spelling_does_not_become_the_catalogued_one_by_accident():
    assert skeleton("SC990-01") == skeleton("$C99O 01")
    assert codes("Error E-205", known=CATALOG) == ["E-205"]  # a different digit is a different code


def test_known_codes_from_a_large_catalog_still_match():
    # Build cost is a measurement (docs/performance.md), not an assertion: timed asserts fail on busy machines.
    rng = random.Random(7)
    many = [f"{rng.choice(_PREFIXES)}-{rng.randint(0, 99999):05d}" for _ in range(5000)] + list(CATALOG.codes)
    known = KnownCodes(many)
    assert len(known) == len(set(many))
    assert codes("SC542", known=known) == ["SC542"]
    assert codes(f"Error {many[0]}", known=known) == [many[0]]


@pytest.mark.parametrize("token", ["E-204", "SC990-01", "0x8007045D", "49.4C02", "P0420", "dE", "U4-01", "1602"])
def test_parse_keeps_a_clean_code_as_it_is(token):
    parsed = parse(token)
    assert parsed is not None and parsed.code == token.upper().replace("0X", "0x") and parsed.repairs == 0


@pytest.mark.parametrize("text", ["19:40:281", "18:15:44E", "12:61", "23:15:07"])
def test_garbled_clock_times_are_no_codes(text):
    assert screen("ERROR", f"Logged {text}") == [] and screen("Fault", text) == []


def test_a_two_letter_prefix_before_a_dash_stays_letters():
    assert codes("Error HS-3467") == ["HS-3467"]  # only a whole two-glyph token (ES) may end in a repaired digit
