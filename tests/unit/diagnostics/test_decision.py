"""The text -> code decision: garbled labels, model names and other ordinary numbers, catalog snapping, one code
per line. Text level, many cases generated from seeded templates."""

import random

import pytest

from diagnostics.context import is_garbled_label, keyword_before
from diagnostics.extract import extract_codes
from diagnostics.grammar import find_codes
from diagnostics.known import NO_CODES, KnownCodes
from diagnostics.ocr import OcrLine

RNG = random.Random(10)


def screen(*texts: str, known: KnownCodes = NO_CODES) -> list[str]:
    return sorted(r.code for r in extract_codes([OcrLine(t, 0.9) for t in texts], known))


def _obd(rng: random.Random) -> str:
    return rng.choice("PBCU") + rng.choice("0123") + "".join(rng.choice("0123456789") for _ in range(3))


# ------------------------------------------------------------------------------------------ garbled labels

DTC_READS = ["DTC", "OTC", "DIC", "0TC", "OIC", "DTG", "D1C", "DTc", "dtc"]
CODE_READS = ["Code", "C0de", "CODE", "COD€", "Cod€", "CoDE"]
LABEL_WORDS = ["Error", "Err0r", "Fault", "Alarm", "Fehler", "Fehlercode", "Código", "Codigo", "Erreur", "Errore",
               "Codice"]


@pytest.mark.parametrize("label", DTC_READS)
@pytest.mark.parametrize("sep", [":", ": ", " ", ".", "："])
def test_a_dtc_label_read_with_confusions_is_cut_off_the_obd_code(label, sep):
    rng = random.Random(f"{label}{sep}")
    for _ in range(4):
        code = _obd(rng)
        line = f"{label}{sep}{code}"
        assert screen("Engine check", line) == [code], line


@pytest.mark.parametrize("label", CODE_READS + LABEL_WORDS)
def test_code_and_error_labels_glued_by_a_colon_in_all_languages(label):
    for code in ["E14", "F28", "E-204", "H6", "SC542", "0x8007045D", "13.B2.D2"]:
        assert screen(f"{label}:{code}") == [code], f"{label}:{code}"


def test_err_keeps_its_colon_as_part_of_the_code():
    assert screen("ERR:72") == ["ERR:72"]


@pytest.mark.parametrize("word", ["DTC", "OTC", "DIC", "0TC", "C0de", "Err0r", "FAULT", "Fau1t", "Codig0"])
def test_garbled_labels_are_labels(word):
    assert is_garbled_label(word)
    assert keyword_before(f"{word}: ", len(word) + 2)


@pytest.mark.parametrize("word", ["ETC", "DOC", "OK", "TO", "CD", "Cold", "Coda", "Trace", "Eco", "Pro", "Tray",
                                  "1234", "Drum", "Toner", "Ready", "Mode"])
def test_ordinary_words_are_no_labels(word):
    assert not is_garbled_label(word)


# -------------------------------------------------------------------------------------- model names and co.

def _models(rng: random.Random, n: int) -> list[str]:
    out = []
    up = "ABCDEFGHJKMNPRSTVWXZ"
    for _ in range(n):
        kind = rng.randrange(4)
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 4)))
        if kind == 0:  # M404dn
            out.append(rng.choice(up) + digits + rng.choice(["dn", "dw", "fdw", "nw", "cdw", "n"]))
        elif kind == 1:  # MFC-L2710DW
            out.append("".join(rng.choice(up) for _ in range(3)) + "-" + rng.choice(up) + digits
                       + rng.choice(["DW", "CDW", "DN", "FDW"]))
        elif kind == 2:  # HL2270DW
            out.append("".join(rng.choice(up) for _ in range(2)) + digits + rng.choice(["DW", "CDN", "FW"]))
        else:  # WM14T790
            out.append("".join(rng.choice(up) for _ in range(2)) + digits[:2] + rng.choice(up) + digits)
    return out


MODELS = _models(RNG, 60)


@pytest.mark.parametrize("model", MODELS)
def test_model_names_are_never_codes(model):
    for line in (model, f"Printer {model}", f"Model: {model}", f"{model} ready", f"HP LaserJet {model}"):
        assert screen("Status", line) == [], line
        assert screen("Service required", line) == [], line


@pytest.mark.parametrize(("vendor", "model"), [
    ("Epson", "WF-7840"), ("Epson", "ET-2850"), ("Samsung", "SCX-3405"), ("Brother", "HL2270DW"),
    ("Canon", "MF4450"), ("HP", "LaserJet"), ("Kyocera", "FS-1041"), ("Xerox", "VersaLink"),
])
def test_the_token_after_a_vendor_name_is_a_model(vendor, model):
    assert screen("Service required", f"{vendor} {model}") == []


@pytest.mark.parametrize(("line", "code"), [
    ("Canon E-204", "E-204"), ("Ricoh SC542", "SC542"), ("HP 13.B2.D2", "13.B2.D2"), ("HP 49.4C02", "49.4C02"),
    ("Epson Error WF-7840", "WF-7840"), ("Brother Error 46", "46"),
])
def test_codes_after_a_vendor_name_stay_codes(line, code):
    assert screen("Service error", line) == [code]


def _ordinary(rng: random.Random) -> list[str]:
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2019, 2031)
    hh, mm = rng.randint(0, 23), rng.randint(0, 59)
    return [
        f"{d:02d}.{m:02d}.{y}", f"{y}.{m:02d}.{d:02d}", f"{d:02d}.{m:02d}.{y % 100:02d}", f"{hh:02d}:{mm:02d}",
        f"{hh}:{mm:02d}:{rng.randint(0, 59):02d}", f"{rng.randint(10, 95)}%", f"{rng.randint(15, 90)}°C",
        f"${rng.randint(1, 999)}.{rng.randint(0, 99):02d}", f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
        f"Firmware {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}",
        f"IP 192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "MAC " + ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
        f"S/N CN{rng.randint(10, 99)}B{rng.randint(1000, 9999)}", f"Page {rng.randint(1, 9)} of {rng.randint(10, 20)}",
        f"Tel +49 {rng.randint(30, 89)} {rng.randint(1000000, 9999999)}", f"{rng.randint(100, 900)} pages",
        f"{rng.randint(1, 60)} min", f"{rng.randint(400, 1600)} rpm", f"Order No. {rng.randint(100000, 999999)}",
        f"Part No. {rng.randint(10, 99)}-{rng.randint(1000, 9999)}", f"{rng.randint(1, 9)},{rng.randint(10, 99)} kg",
    ]


@pytest.mark.parametrize("seed", range(12))
def test_ordinary_numbers_are_never_codes_even_on_an_error_screen(seed):
    for line in _ordinary(random.Random(seed)):
        assert screen("Printer ready", line) == [], line
        assert screen("Warning", line) == [], line


@pytest.mark.parametrize("seed", range(6))
def test_the_code_is_found_among_ordinary_numbers(seed):
    rng = random.Random(seed)
    others = _ordinary(rng)
    code = _obd(rng)
    lines = ["Diagnostics", *rng.sample(others, 4), f"DTC: {code}", *rng.sample(MODELS, 2)]
    assert screen(*lines) == [code]


# ------------------------------------------------------------------------------------- one code per screen

def test_a_caption_on_the_code_line_is_no_second_code():
    assert screen("Error E-204 (SC542)") == ["E-204"]
    assert screen("Error code: SC990-01 AL-12") == ["SC990-01"]


def test_codes_on_lines_of_their_own_are_all_reported():
    assert screen("Error E-204", "Error SC542") == ["E-204", "SC542"]


def test_one_code_read_on_two_lines_with_confusions_is_one_code():
    assert len(screen("Error SC990-01", "Code: SC99O-01")) == 1


# ---------------------------------------------------------------------------------------- catalog snapping

def test_an_unsure_read_snaps_to_the_only_catalogued_code_of_its_skeleton():
    known = KnownCodes(["0x8007045D", "SC990-01", "E-204"])
    assert known.match("0x8OO7045D") == "0x8007045D"
    assert known.match("5C99O-01") == "SC990-01"
    assert known.match("E204") == "E-204"


def test_a_read_is_never_pulled_to_a_different_catalogued_code():
    known = KnownCodes(["F8", "Fb", "E-081", "E-0B1"])
    assert known.match("F8") == "F8"
    assert known.match("FB") == "Fb"
    assert known.match("E-0B1") == "E-0B1"
    assert known.match("E081") is None or known.match("E081") == "E-081"
    assert known.match("E-O81") is None  # E-081 or E-0B1: the read is kept
    assert known.ambiguous("E-O81") and not known.ambiguous("SC542")


def _skeleton_mates(rng: random.Random) -> list[tuple[str, str]]:
    swaps = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z"}
    out = []
    for _ in range(80):
        body = "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 4)))
        code = rng.choice(["E-", "SC", "F", "AL-", "P0"]) + body
        read = "".join(swaps.get(c, c) if c.isdigit() and rng.random() < 0.3 else c for c in code)
        out.append((code, read))
    return out


@pytest.mark.parametrize(("code", "read"), _skeleton_mates(random.Random(3)))
def test_generated_confusions_snap_when_unique_and_stay_when_shared(code, read):
    assert KnownCodes([code]).match(read) == code
    rival = code.replace("0", "D", 1) if "0" in code[1:] else None
    if rival and rival != code and read != code and read.upper() not in (code.upper(), rival.upper()):
        shared = KnownCodes([code, rival])
        bare = "".join(ch for ch in read.upper() if ch.isalnum())
        if bare not in ("".join(ch for ch in c.upper() if ch.isalnum()) for c in (code, rival)):
            assert shared.match(read) is None


def test_a_catalogued_code_glued_to_a_garbled_label_is_found():
    known = KnownCodes(["P0301", "E14"])
    assert screen("OTC:P0301", known=known) == ["P0301"]
    assert screen("C0de:E14", known=known) == ["E14"]
    assert [m.code for m in find_codes("DIC.P0301", known=known)] == ["P0301"]


# ------------------------------------------------------------------------------------ DTC labels, captions

@pytest.mark.parametrize(("line", "code"), [
    ("OTC:PISC7", "P15C7"), ("DTC:PO3OI", "P0301"), ("DIC.B0301", "B0301"), ("DTC: U3599", "U3599"),
    ("DTC P0A80", "P0A80"), ("0TC: C1Z34", "C1234"), ("DTC: B00301", "B0301"), ("DTC: P03011", "P0301"),
])
def test_after_a_dtc_label_the_obd_shape_repairs_each_position(line, code):
    assert screen("Scan tool", line) == [code]


@pytest.mark.parametrize("line", ["DTC: 3593", "OTC:3593", "DTC: 12", "DIC.03595", "DTC: 300301"])
def test_after_a_dtc_label_a_bare_number_is_no_code(line):
    assert screen("Scan tool", line) == []


@pytest.mark.parametrize("line", ["SHS:5067", "ABC:1234", "TOT:123456"])
def test_a_caption_glued_to_a_bare_number_is_no_prefix(line):
    assert line not in screen("Service error", line)


def test_keyword_prefixes_keep_their_colon():
    assert screen("ALM:021") == ["ALM:021"] and screen("ERR:72") == ["ERR:72"]


# ------------------------------------------------------------- second tokens beside the code (third round)

def _series_models(rng: random.Random, n: int) -> list[str]:
    """Model names of the shapes that were read as second codes: MFC-148700W, M7240N."""
    up, ends = "ABCFGHKLMNPRSTVWZ", "ACEFHJKMNPRVWXY"  # X: a hex code whose 0 was lost (x7162E)
    out = []
    for _ in range(n):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 6)))
        end = "".join(rng.choice(ends) for _ in range(rng.randint(1, 2)))
        if rng.random() < 0.5:
            out.append("".join(rng.choice(up) for _ in range(rng.randint(2, 3))) + "-" + digits + end)
        else:
            out.append(rng.choice(up) + digits[:4] + end)
    return out


SERIES_MODELS = _series_models(random.Random(31), 60)


@pytest.mark.parametrize("model", SERIES_MODELS)
def test_series_model_names_are_no_codes(model):
    assert screen("Service required", model) == [], model
    assert screen("Printer error", f"Printer {model}") == [], model


# Codes that look like ordinary numbers or model names and must survive beside a model name or an address.
SURVIVORS = ["E-204", "13.B2.D2", "105-977", "968.70", "SC542", "P0420", "0x8007045D", "E:83", "ALM-021",
             "F28", "49.4C02", "024-371", "C7841", "ERR-1024", "HS-3467"]


@pytest.mark.parametrize("code", SURVIVORS)
def test_codes_that_look_ordinary_survive_beside_identifiers(code):
    rng = random.Random(code)
    for model in rng.sample(SERIES_MODELS, 4) + rng.sample(MODELS, 4):
        mac = ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6))
        for lines in ([f"Error {code}", f"Model: {model}"], [f"Error code: {code}", f"MAC {mac[:8]} {mac[9:]}"],
                      [f"Service error {code}", f"IP 192.168. {rng.randint(1, 254)}.{rng.randint(1, 99)}"],
                      [f"{model}", f"Error {code}", f"Firmware {rng.randint(1, 9)}.{rng.randint(10, 99)}"]):
            assert screen(*lines) == [code], lines


@pytest.mark.parametrize("label", ["MAC", "MAC address:", "IP", "IP:", "Firmware", "FW:", "Version", "S/N",
                                   "Serial No.", "Model", "Build", "Rev."])
def test_pieces_of_an_identifier_split_by_ocr_are_no_codes(label):
    rng = random.Random(label)
    for _ in range(6):
        hexes = [f"{rng.randint(0, 255):02X}" for _ in range(6)]
        pieces = [f"{hexes[0]}:{hexes[1][0]} {hexes[1][1]}:{hexes[2]}:{hexes[3]}",
                  f"{rng.randint(100, 255)}.{rng.randint(0, 255)}. {rng.randint(100, 255)}.{rng.randint(1, 99)}",
                  f"{rng.randint(1, 9)}.{rng.randint(10, 99)} {rng.randint(100, 999)}.{rng.randint(10, 99)}",
                  f"{rng.choice('ABCDEFGHJKLM')}{rng.randint(1000, 9999)}"]
        for piece in pieces:
            assert screen("Service error", f"{label} {piece}") == [], f"{label} {piece}"


def test_a_keyword_after_an_identifier_label_still_introduces_a_code():
    assert screen("Model: M404dn Error E-204") == ["E-204"]
    assert screen("Firmware 2.1 error 13.B2.D2") == ["13.B2.D2"]


@pytest.mark.parametrize("seed", range(20))
def test_a_screen_gets_one_finding_unless_each_code_line_is_labelled(seed):
    rng = random.Random(seed)
    code = rng.choice(SURVIVORS)
    decoy = rng.choice([f"M{rng.randint(1000, 9999)}", f"{rng.randint(100, 299)}.{rng.randint(10, 99)}",
                        f"D:{rng.randint(10, 99)}:A{rng.randint(1, 9)}", f"SC{rng.randint(100, 999)}"])
    # The title's keyword lends itself to every line: only the code with its own label is reported.
    assert screen("Printer error", f"Code: {code}", decoy) == [code], (code, decoy)
    # Two labelled lines are two codes.
    other = "E-" + str(rng.randint(100, 999))
    assert screen(f"Error {code}", f"Error {other}") == sorted([code, other])


@pytest.mark.parametrize("seed", range(10))
def test_lone_tokens_on_a_status_page_without_an_error_word_are_no_codes(seed):
    rng = random.Random(seed)
    token = rng.choice([f"M{rng.randint(100, 999)}", f"M{rng.randint(100, 999)}W", f"SC{rng.randint(100, 999)}",
                        f"KX{rng.randint(100, 999)}"])
    ids = [f"Serial JX{rng.randint(10, 99)}H{rng.randint(1000, 9999)}", f"IP 172.16.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
           f"Firmware {rng.randint(1, 9)}.{rng.randint(0, 20)}"]
    lines = [rng.choice(["Cooling", "Ready", "Refroidissement", "Standby"]), *rng.sample(ids, 2), token]
    assert screen(*lines) == [], lines
    # The same token with an error word on the page, or labelled, is a code.
    assert screen("Service error", *lines[1:]) == [token], lines
    assert screen(*lines[:-1], f"Error {token}") == [token], lines


@pytest.mark.parametrize(("line", "code"), [
    ("ACK: 0xBB", "0xBB"), ("Status:0xD7", "0xD7"), ("Result: 0x8007000B", "0x8007000B"),
])
def test_a_label_glued_to_a_hex_literal_leaves_its_hex_digits_alone(line, code):
    # B and D after 0x are hex digits: the label is no prefix of the code and the digits are not "repaired".
    assert [m.code for m in find_codes(line, assume_keyword=True)] == [code]


@pytest.mark.parametrize("line", ["RSSI -83 dBm", "Level -12.5 dB", "Offset +40 ms", "Signal - 97 dBm"])
def test_a_signed_reading_with_its_unit_is_no_code(line):
    assert find_codes(line, assume_keyword=True) == []


@pytest.mark.parametrize("line", ["SEQ 1770", "Seq. no 4412", "Sequence number 0062", "Terminal ID KX811849"])
def test_sequence_numbers_and_terminal_ids_are_identifiers(line):
    lines = [OcrLine("Error", 0.95), OcrLine(line, 0.95), OcrLine("Out of service", 0.95)]
    assert extract_codes(lines) == []
