"""The seventh round's decision rules, at text level: guards against false codes (garbled words of other scripts,
readings named by a unit, catalogued plain numbers, meter register ids) and captions in more languages. Every screen
is written for this test (no line copied from a generated split)."""

import pytest

from diagnostics.extract import extract_codes
from diagnostics.known import NO_CODES, KnownCodes
from diagnostics.ocr import OcrLine


def screen(*texts: str, known: KnownCodes = NO_CODES) -> list[str]:
    return sorted(r.code for r in extract_codes([OcrLine(t, 0.9) for t in texts], known))


# ------------------------------------------------------------------ words of other scripts read as Latin glyphs

@pytest.mark.parametrize("word", [
    "Pa6oTa",  # Работа (Russian "running") as a Latin recogniser reads it
    "Ha6op",  # Набор
    "Cucтema",  # a Cyrillic word half read as Latin
    "3arpy3ka",  # Загрузка
    "Bxo4",  # Вход
    "Kopo6ka",  # Коробка
    "Tlpo6a",  # Проба
    "Meta6oAo",  # garbled Greek
])
def test_a_word_read_as_latin_look_alikes_is_no_code(word):
    assert screen(word, "Speed 12 km/h", "Trip 4.5 km") == []
    assert screen("Status", word) == []


@pytest.mark.parametrize(("line", "code"), [
    ("Error code: E2o4", "E204"),  # one lower-case o read for a 0, nothing else lower case: a code
    ("Fehler: Ab2o", "AB20"),  # after a caption even a mixed read is taken
    ("Alarm Cr8B", "CR8B"),  # lower case kept, nothing repaired: a vendor's spelling
])
def test_lower_case_reads_of_codes_still_count(line, code):
    assert screen(line) == [code]


# ------------------------------------------------------------------------------ readings named by a quantity

@pytest.mark.parametrize("line", ["GPS 12", "Batt 5", "RPM 1200", "Temp 45", "RSSI 71", "ODO 4411", "Trip 38"])
def test_a_number_after_a_quantity_word_is_a_reading(line):
    # a screen that mentions a failure elsewhere does not make the reading a code, catalogued or not
    assert screen("Compass calibration failed", line) == []
    assert screen("Compass calibration failed", line, known=KnownCodes(["12", "5", "45", "38"])) == []


def test_a_catalogued_number_needs_something_saying_error():
    known = KnownCodes(["27", "E27"])
    assert screen("Filter 7 days", "27", "Humidity 40%", known=known) == []
    assert screen("Error", "27", known=known) == ["27"]
    assert screen("E27", "Filter 7 days", known=known) == ["E27"]  # a catalogued code with a letter stays


# ------------------------------------------------------------------------------------- electricity meters

def test_obis_register_ids_are_labels_of_readings():
    assert screen("1.8.0 004512.3 kWh", "C.1.0 77120943", "0.9.1 10:44:02") == []
    assert screen("Zählerfehler", "C.1.0 77120943", "2.8.0 000311.7 kWh") == []


def test_the_meter_error_register_labels_its_value():
    assert screen("F.F.0: 00200400", "1.8.0 004512.3 kWh") == ["00200400"]
    assert screen("F.F: 02 A0 11 00", "Meter fault") == ["02 A0 11 00"]


def test_digit_bytes_after_the_error_register_are_no_phone_number():
    assert screen("F.F: 02 11 00 40") == ["02 11 00 40"]
    assert screen("Hotline 02 11 00 40") == []


def test_hex_bytes_need_an_error_label():
    assert screen("Data 02 A0 11 00") == []
    assert screen("MAC 00 1A 2B 3C 4D 5E") == []
    assert screen("Error code: 1F 00 3C") == ["1F 00 3C"]


def test_dotted_codes_of_two_digit_groups_are_no_registers():
    assert screen("52.31.07", "Contact your service representative.") == ["52.31.07"]


# ---------------------------------------------------------------------------- captions in more languages

@pytest.mark.parametrize(("lines", "code"), [
    (("Fel: 4417", "Pump 1200 rpm"), "4417"),  # Swedish: a three-letter caption glued by its colon is a label
    (("Kod: 208",), "208"),  # Polish/Swedish "code"
    (("Feil: 3-7",), "3-7"),  # Norwegian
    (("Mã: 615", "Nhiệt độ 40°C"), "615"),  # Vietnamese "code:", written with its accent
    (("Báo động: 30714",), "30714"),  # Vietnamese "alarm"
    (("ত্রুটি কোড: 4471",), "4471"),  # Bengali "error code"
    (("பிழைக் குறியீடு: 2-1190",), "2-1190"),  # Tamil "error code"
    (("מצב: 3Fh",), "3FH"),  # Hebrew "status" and a hex status byte
    (("நிலை: 5Ch",), "5CH"),  # Tamil "status"
    (("POST: 0417", "Self test"), "0417"),  # a power-on self-test code
    (("Trạng thái: 3Eh",), "3EH"),  # Vietnamese "status"
    (("Тривога: 20417",), "20417"),  # Ukrainian "alarm"
    (("অ্যালার্ম: 5521",), "5521"),  # Bengali "alarm"
])
def test_captions_of_more_languages_introduce_codes(lines, code):
    assert screen(*lines) == [code]


def test_err_and_alm_keep_their_colon():
    assert screen("ERR:72") == ["ERR:72"]
    assert screen("ALM:150") == ["ALM:150"]


@pytest.mark.parametrize("message", [
    "Pumpe gesperrt", "Lavage impossible", "Pompa bloccata", "Wassen niet mogelijk", "Vägning inte möjlig",
    "Čerpadlo zastaveno", "Zařízení mimo provoz", "Насос остановлен", "Насос не працює", "Máy không thể khởi động",
    "Pompa zatrzymana", "Ventilator inoperative", "Heater locked out", "ওজন সম্ভব নয়", "பம்ப் நின்றது",
])
def test_messages_saying_the_device_stopped_make_an_error_screen(message):
    assert screen("U17", message, "PLU 4410") == ["U17"]
    assert screen("U17", "PLU 4410") == []  # without the message: a lone prefix and two digits is no code


@pytest.mark.parametrize("lines", [
    ("Mã vạch 8934567", "Giá 25.000"),  # Vietnamese barcode: "mã" without a colon is no label
    ("POST 14", "Inbox 3"),  # a post count
    ("Heizung 45°C", "Pumpe 1200 rpm", "Stand-by"),
])
def test_ordinary_screens_in_those_languages_have_no_code(lines):
    assert screen(*lines) == []


# ------------------------------------------------------------------------------------------- prefixes

@pytest.mark.parametrize(("line", "code"), [
    ("Error code: SS14", "SS14"), ("Error HS07", "HS07"), ("Error: US20", "US20"), ("Fault ZB31", "ZB31"),
    ("Error code: EO4", "E04"), ("Error CHO5", "CH05"), ("Error: COG52", "C0652"), ("Error code: BB624", "B8624"),
])
def test_prefix_letters_before_two_digits(line, code):
    # S, Z, B, G before two clear digits stay letters (a vending machine's SS14); O before digits is a 0, and a run
    # of look-alikes (COG52) or a longer number (BB624) take the border letter as a digit
    assert screen(line) == [code]


# ------------------------------------------------------------------------------- labels of readings

@pytest.mark.parametrize("line", ["R1 8%", "T2 45°C", "P1 3.2 bar", "Z3 12 mm", "C2 230 V"])
def test_a_short_name_before_a_reading_is_no_code(line):
    assert screen("Pump stopped", line) == []
    assert screen(f"Error: {line.split()[0]}") == [line.split()[0]]  # after a caption it is one


@pytest.mark.parametrize("line", ["Tota19085", "Salt100", "Sale2210", "Week42"])
def test_a_word_glued_to_a_number_is_no_code(line):
    assert screen("Service stopped", line) == []


def test_mixed_case_mnemonics_stay_codes():
    assert screen("GaP-41", "Lift out of service") == ["GAP-41"]


@pytest.mark.parametrize("lines", [("PLU 6923", "Total 59.21", "Max 38 kg"), ("TMP 31", "Ready"), ("ZONE 4417",)])
def test_a_capitals_name_and_a_number_need_an_error_word(lines):
    assert screen(*lines) == []


def test_a_prefix_written_apart_still_counts_under_an_error_word():
    assert screen("Service call", "SC 542") == ["SC542"]


def test_a_letter_prefixed_read_is_not_snapped_to_a_catalogued_number():
    assert screen("Salt S100", "Water 21°C", "Flow 3 l/min", known=KnownCodes(["5100"])) == []


def test_a_label_word_before_a_dot_is_no_prefix():
    assert screen("POST. 0417", "Self test failed") == ["0417"]
    assert screen("Note. 2210", "Ready") == []


@pytest.mark.parametrize("line", ["2026-02-", "2025/11", "1999.12"])
def test_a_year_and_month_is_a_date(line):
    assert screen("Print log", line, "Pages 312") == []


def test_four_digit_groups_that_are_no_month_stay_codes():
    assert screen("Error code:", "2008-0350") == ["2008-0350"]
