"""The text -> code decision on screens of any language and code convention (issue 10, sixth round): error captions
in about thirty languages with their inflected forms, codes of several tokens, other hex notations, the device's own
label as part of a code, and ordinary numbers that stay ordinary. Screens written for these tests (text level)."""

import pytest

from diagnostics.context import has_keyword, is_caption, keyword_before
from diagnostics.extract import extract_codes
from diagnostics.finding import Finding
from diagnostics.known import NO_CODES, KnownCodes
from diagnostics.ocr import OcrLine


def screen(*texts: str, known: KnownCodes = NO_CODES) -> list[str]:
    return sorted(r.code for r in extract_codes([OcrLine(t, 0.9) for t in texts], known))


def shown(*texts: str) -> list[tuple[str, str]]:
    return sorted((r.code, r.shown) for r in extract_codes([OcrLine(t, 0.9) for t in texts]))


# ------------------------------------------------------------------------------------ captions in many languages

CAPTIONED = [
    ("Felkod: 4471", "4471"),  # Swedish
    ("Fejlkode 3392", "3392"),  # Danish
    ("Feilkode: 2208", "2208"),  # Norwegian
    ("Virhekoodi 5620", "5620"),  # Finnish
    ("Hibakód: 1187", "1187"),  # Hungarian
    ("Kód chyby: E-318", "E-318"),  # Czech, the error word inflected
    ("Cod eroare: 6610", "6610"),  # Romanian
    ("Kode kesalahan: 2203", "2203"),  # Indonesian
    ("Mã lỗi: 3021", "3021"),  # Vietnamese
    ("Błąd 5271", "5271"),  # Polish
    ("Kod błędu: 7790", "7790"),  # Polish, genitive
    ("Arıza kodu: 0417", "0417"),  # Turkish, possessive
    ("Storingscode 3318", "3318"),  # Dutch
    ("Greška 4410", "4410"),  # Croatian
    ("Код помилки: 7015", "7015"),  # Ukrainian
    ("Код ошибки: 5A21", "5A21"),  # Russian, genitive; a hex letter keeps B/D/A as written
    ("Ошибка 3342", "3342"),  # Russian
    ("Σφάλμα: 3307", "3307"),  # Greek
    ("Κωδικός βλάβης: 2251", "2251"),  # Greek, genitive
    ("รหัสข้อผิดพลาด 1184", "1184"),  # Thai (no word spaces)
    ("त्रुटि कोड: 1409", "1409"),  # Hindi
    ("קוד שגיאה: 4412", "4412"),  # Hebrew
    ("오류 코드: 6120", "6120"),  # Korean
    ("خطأ 2290", "2290"),  # Arabic
]


@pytest.mark.parametrize(("line", "code"), CAPTIONED)
def test_a_caption_in_any_language_introduces_the_code_after_it(line, code):
    assert screen(line, "Temperatura 23°C", "12.03.2025 14:22") == [code], line


@pytest.mark.parametrize(("line", "_code"), CAPTIONED)
def test_a_caption_alone_on_its_line_labels_the_line_below(line, _code):
    caption = line.split(":")[0].rsplit(" ", 1)[0] if ":" not in line else line.split(":")[0]
    if not is_caption(caption):
        pytest.skip(f"{caption!r} is a one-word caption with its code on the same line only")
    assert screen(caption, "K317-20", "Wersja 2.4") == ["K317-20"], caption


@pytest.mark.parametrize("word", ["Błędu", "BLEDU", "ошибки", "ΣΦΆΛΜΑΤΟΣ", "σφαλματος", "Arızası", "ARIZA", "chyby",
                                  "Hatası", "Fout", "Virhe", "hiba", "lỗi", "LOI"])
def test_inflected_and_unaccented_forms_are_keywords(word):
    assert has_keyword(word), word
    assert keyword_before(f"{word}: ", len(word) + 2), word


@pytest.mark.parametrize("text", ["Ready", "Gotowe", "Готов", "Έτοιμο", "พร้อม", "तैयार", "Hazır", "Klar", "Valmis",
                                  "Kész", "Sẵn sàng", "5 mA", "Mama", "Feller", "Koda", "Loin"])
def test_ordinary_words_are_no_keywords(text):
    assert not has_keyword(text), text


# ------------------------------------------------------------------------------------- codes of several tokens

def test_labelled_groups_are_one_code_with_their_labels():
    assert screen("Engine fault", "SPN 3216 FMI 4", "Coolant 82°C") == ["SPN 3216 FMI 4"]
    assert screen("MID 142 PSID 205 FMI 7", "Reduce speed") == ["MID 142 PSID 205 FMI 7"]
    assert screen("Fault code: SPN 611 FMI 31") == ["SPN 611 FMI 31"]


def test_a_code_and_its_number_groups_are_one_code():
    assert screen("Event: P401 03 017", "Batt 13.1 V") == ["P401 03 017"]
    assert screen("Alarm", "K12 0456", "Axis stopped") == ["K12 0456"]


def test_an_abbreviated_label_or_a_program_name_is_part_of_the_code():
    assert screen("Err 41", "Restart the unit") == ["ERR 41"]
    assert screen("ALM 317") == ["ALM 317"]
    assert screen("SYS_FAULT 12", "Unit out of order") == ["SYS_FAULT 12"]
    assert screen("Error: CTU 511042.03") == ["CTU 511042.03"]


def test_a_caption_written_out_is_not_part_of_the_code():
    assert screen("Error 46") == ["46"]
    assert screen("Fault 23", "UPS shut down") == ["23"]
    assert screen("STATE 306") == ["306"]


def test_the_finding_shows_the_code_with_its_label():
    assert shown("FAULT 146", "Zone trouble") == [("146", "FAULT 146")]
    assert shown("Error code: E-204") == [("E-204", "Error code: E-204")]
    assert shown("Kod błędu: 2144-8288") == [("2144-8288", "Kod błędu: 2144-8288")]
    assert shown("E-204") == [("E-204", "E-204")]


# ------------------------------------------------------------------------------------ notations and decorations

def test_other_hex_notations_keep_their_notation():
    assert screen("Event ID: 16#4A0C", "CPU in STOP") == ["16#4A0C"]
    assert screen("Error 7F3Ah") == ["7F3Ah"]
    assert screen("ACK: 0xCC", "Calibration failed") == ["0xCC"]


def test_severity_stars_and_bracketed_annotations_leave_the_code_alone():
    assert screen("Alarm: *** 6120", "Link down") == ["6120"]
    assert screen("LINK-204  (P:2 S:1)", "SW V3.1", "Link down") == ["LINK-204"]


def test_two_groups_shaped_like_a_phone_number_are_a_code_after_a_caption():
    assert screen("Błąd: 2144-8288", "Ping 41 ms") == ["2144-8288"]
    assert screen("Tel. 0800 5553219", "Call service") == []


def test_hex_letters_are_kept_where_the_token_says_hex():
    assert screen("Error code: C3B1") == ["C3B1"]
    assert screen("Foutcode: 44B1") == ["44B1"]
    assert screen("Trouble code: P181B") == ["P181B"]
    assert screen("Code 9D") == ["9D"]


# ------------------------------------------------------------------------------------ ordinary numbers stay ordinary

NEGATIVES = [
    ["Gotowe", "Temperatura 23°C", "Wilgotność 45%", "12.03.2025 14:22"],
    ["Работа", "Температура 21 °C", "Давление 1.2 bar", "Версия 2.4.1"],
    ["Έτοιμο", "Θερμοκρασία 22 °C", "Έκδοση 1.8.3"],
    ["พร้อม", "อุณหภูมิ 24°C", "ความชื้น 51%"],
    ["तैयार", "तापमान 23 °C", "संस्करण 2.1.0"],
    ["מוכן", "טמפרטורה 22°C", "לחץ 1.5 bar"],
    ["Hazır", "Sıcaklık 24 °C", "Sürüm 3.4.2", "Tel 0212 555 14 22"],
    ["Připraveno", "Tlak 2,4 bar", "Verze 1.0.9", "Čas 08:15"],
    ["Sẵn sàng", "Nhiệt độ 26°C", "Phiên bản 3.1.4"],
    ["Klar", "Tid 14:05", "Pris 129 kr"],
    ["ISO 800", "1/250", "F5.6", "F16"],  # a camera: aperture, shutter
    ["Ready", "ISO 400", "F11", "[6628]"],
    ["OB1", "DB4.DBX0.3", "I0.2", "Cycle 12 ms"],  # a PLC's blocks and addresses
    ["Normal", "OB35", "OB82", "Slot 4"],
    ["RPM 1800", "GPS 9", "SEQ 0042"],
    ["Batt 12.6 V", "Zone 014", "User 07"],
    ["Firmware 4.12.7", "Serial 88213-004"],
    ["Ready", "Counter 004512", "Speed 1450 rpm", "Floor 12"],
    ["Ready", "Lot A2231-07", "Exp 2027-04"],
]


@pytest.mark.parametrize("lines", NEGATIVES)
def test_screens_of_ordinary_numbers_in_any_language_have_no_code(lines):
    assert screen(*lines) == [], lines


def test_ordinary_numbers_beside_a_code_stay_ordinary():
    assert screen("Код ошибки: 3342", "Давление 1.2 bar", "Версия 2.4.1", "ISO 400") == ["3342"]
    assert screen("Hata kodu: 0417", "Sürüm 3.4.2", "Tel 0212 555 14 22", "GPS 9") == ["0417"]
    assert screen("ISO 800", "F11", "Err 12", "1/250") == ["ERR 12"]
    assert screen("OB35", "Zdarzenie: 16#2C4F", "DB4.DBX0.3") == ["16#2C4F"]


def test_a_short_catalogued_code_is_not_snapped_across_a_separator_the_read_lacks():
    known = KnownCodes(["50.4", "F.27", "E-204"])
    assert screen("Error 504", known=known) == ["504"]
    assert screen("Error: F27", known=known) == ["F27"]
    assert screen("F2.7", "ISO 100", known=known) == []
    assert screen("Error E204", known=known) == ["E-204"]  # a long code's dash is a glyph OCR drops


def test_a_caption_reaches_its_code_across_lines_of_readings_only():
    assert screen("Fehlernummer", "Düse 212/215°C", "Bett 60/60°C", "#30817") == ["30817"]
    assert screen("Error", "Cover open", "30817") == []  # a message between: the caption is another line's
    assert screen("Error", "Tray 2", "E-19", "30817") == ["E-19"]  # another code-like token between


def test_a_capitals_label_before_a_strong_shape_is_a_label_value_row():
    assert screen("HMS 0700-1A00-0002-C31F", "Nozzle clogged") == ["0700-1A00-0002-C31F"]
    assert screen("RSP 0x7E") == ["0x7E"]
    assert screen("Part A06B-6110-H015") == []


def test_service_calls_introduce_their_code():
    assert screen("Call service 61.3", "Turn the unit off and on") == ["61.3"]
    assert screen("Service call SC318-04", "Firmware 2.6.2") == ["SC318-04"]
    assert screen("Code support : 4E27") == ["4E27"]


def test_a_temperature_shape_inside_a_dotted_code_is_no_temperature():
    assert screen("41.7C.B3", "Pressure 1.1 bar") == ["41.7C.B3"]
    assert screen("Room 21.5C", "Ready") == []


def test_small_dotted_numbers_and_sentence_words_are_no_codes():
    assert screen("Fehler", "Carga al 50", "Versión 2.4.1", "Zähler 1.8.0") == []
    assert screen("Alarm", "Flow 12.5 l/min", "HR 72 bpm", "NIBP 120 mmHg") == []
    assert screen("AL 50", "Overheat") == ["AL 50"]  # in capitals the abbreviation is the code's name


def test_the_finding_reports_the_shown_spelling_beside_the_code():
    def finding(shown: str) -> Finding:
        return Finding(code="146", family=None, title=None, cause=None, remedy=None, severity="unknown", known=False,
                       text="FAULT 146", confidence=0.9, frame_time=1.0, snapshot_jpeg=b"", frames_seen=2, shown=shown)

    assert finding("FAULT 146").to_dict()["shown"] == "FAULT 146"
    assert finding("").to_dict()["shown"] == "146"  # older records without it show the code


@pytest.mark.parametrize(("line", "code"), [
    ("خطأ ٢٢٩٠", "2290"),  # Arabic-Indic digits
    ("त्रुटि कोड: १४०९", "1409"),  # Devanagari digits
    ("รหัสข้อผิดพลาด ๑๑๘๔", "1184"),  # Thai digits
    ("错误代码：Ｅ２０４", "E204"),  # full-width letters and digits
])
def test_digits_of_any_script_are_read_as_digits(line, code):
    assert screen(line) == [code]


def test_a_bracketed_pair_after_a_caption_is_a_code_and_a_decimal_comma_a_reading():
    assert screen("ERROR (31,5)", "Infusion stopped") == ["31,5"]
    assert screen("Alarm", "Rate 12,5 ml/h", "(44,1)") == ["44,1"]
    assert screen("Ready", "(12,5)", "Rate 12,5 ml/h") == []
    assert screen("Flow (12,5)", "Infusion stopped") == []
