"""Fourth round of the open grammar: captions in more languages, label-value rows stacked, hex inferred from the
token, ids with long prefixes and underscores, lone digits after a keyword, axis positions. Text level; the screens
are written here (not copied from a bench set)."""

import pytest

from diagnostics.context import has_keyword, is_caption
from diagnostics.extract import extract_codes, stage_of
from diagnostics.known import NO_CODES
from diagnostics.ocr import OcrLine, OcrWord


def screen(*texts: str) -> list[str]:
    return sorted(r.code for r in extract_codes([OcrLine(t, 0.9) for t in texts]))


# Lift controllers, inverters, modems and HMIs caption a bare number as an event or state id.
@pytest.mark.parametrize(("line", "code"), [
    ("Event 4120", "4120"), ("STATE 512", "512"), ("Ereignis 2207", "2207"), ("Evento 733", "733"),
    ("Stato 129", "129"), ("状态 245", "245"), ("Event ID: 6021", "6021"), ("Fehler-ID 1184", "1184"),
    ("错误编号 3307", "3307"), ("Event R118.2", "R118.2"), ("ALERTA 5512", "5512"), ("Allarme 0417", "0417"),
    ("TRBL 2M311", "2M311"), ("Avaria 906", "906"), ("Fallo 64", "64"),
])
def test_event_state_and_alert_captions_introduce_a_number(line, code):
    assert screen(line, "Please call the installer") == [code]


@pytest.mark.parametrize("title", ["Event log", "Printer status", "State of charge", "Status", "事件记录"])
def test_an_event_or_status_title_is_no_error_screen(title):
    assert not has_keyword(title)
    # A page of such a title lists ordinary things: none becomes a code without a caption of its own.
    assert screen(title, "Tray 2 loaded", "A4 plain 250") == []


@pytest.mark.parametrize(("caption", "code"), [
    ("Fault code", "7x2C"), ("ALARM", "KT0815"), ("Fehlercode", "B-417"), ("Error", "4x1E"), ("错误代码", "W207"),
    ("Event ID:", "3318"), ("Erreur", "12-05"),
])
def test_a_caption_line_labels_the_code_below(caption, code):
    assert is_caption(caption)
    assert screen(caption, code, "Restart the unit") == [code.upper()]  # codes are reported in capitals


def test_a_caption_labels_only_a_line_of_its_own_right_below():
    assert screen("Error", "Tray 3 holds 42 sheets") == []
    assert screen("Error", "Cover open", "3318") == []  # not the line right below

    def line(text: str, x: int, y: int) -> OcrLine:
        return OcrLine(text, 0.9, (OcrWord(text, 0.9, (x, y, 12 * len(text), 20)),))

    assert [r.code for r in extract_codes([line("Alarm", 40, 100), line("3318", 40, 126)])] == ["3318"]
    # The same caption far above, or off to the side, labels nothing.
    assert extract_codes([line("Alarm", 40, 100), line("3318", 40, 200)]) == []
    assert extract_codes([line("Alarm", 40, 100), line("3318", 400, 126)]) == []


@pytest.mark.parametrize(("text", "code"), [
    ("Error #40512", "40512"), ("Fehler #2281", "2281"), ("Error code: #718", "718"),
])
def test_a_hash_after_a_keyword_is_a_label(text, code):
    assert screen(text) == [code]


def test_a_hash_without_a_keyword_is_a_count():
    assert screen("Job #4411 printed", "Ready") == []


@pytest.mark.parametrize(("text", "code"), [("Error 4", "4"), ("Störung 7", "7"), ("错误 3", "3"), ("ERROR: 9", "9")])
def test_a_lone_digit_ending_a_line_after_a_keyword_is_a_code(text, code):
    assert screen(text, "Switch off and on") == [code]


@pytest.mark.parametrize("text", ["Error 1 of 3", "Cups 5", "Errors 2", "Grind 4", "Error I"])
def test_other_lone_digits_are_not(text):
    assert screen(text, "Brewing") == []


@pytest.mark.parametrize(("text", "code"), [
    ("Alert PUMP_x204", "PUMP_X204"), ("Warnung HVAC_c118", "HVAC_C118"), ("Alert INVERTER-F204", "INVERTER-F204"),
    ("Alert ECU-W512", "ECU-W512"), ("Fault E7CB", "E7CB"), ("Fault BA6D", "BA6D"), ("Trouble 4B117", "4B117"),
    ("Error 0A00-3D11", "0A00-3D11"), ("Alarm HS2201", "HS2201"),
])
def test_ids_keep_their_letters_separators_and_hex_digits(text, code):
    assert screen(text) == [code]


def test_groups_of_four_hex_digits_stand_alone():
    assert screen("Print paused", "0200-0B00-0004-7D1C") == ["0200-0B00-0004-7D1C"]
    assert screen("Call +49 6221-4480-1200") == []  # a phone number stays one


def test_confusion_repair_still_works_around_the_new_rules():
    assert screen("Error code: E-2O4") == ["E-204"]
    assert screen("Fault SC54Z") == ["SC542"]
    assert screen("Error code: BB624") == ["B8624"]  # a short number takes the border letter as its digit
    assert screen("Alarm COVID-19 notice") == []  # a long word and two digits is no id


@pytest.mark.parametrize("lines", [
    ("System ready", "X -41.250", "Y 118.032", "Z 3.75"),
    ("Alarm", "Y -208.114"),
    ("Axis stopped", "A +90.000", "F 1200 mm/min"),
])
def test_axis_positions_are_ordinary_numbers(lines):
    assert screen(*lines) == []


def test_stage_of_names_where_a_code_got_lost():
    accepted = {"E-204"}
    assert stage_of([OcrLine("Paper jam", 0.9)], accepted, NO_CODES) == "absent"
    assert stage_of([OcrLine("Error E2O4", 0.9)], accepted, NO_CODES) == "garbled"
    assert stage_of([OcrLine("Error code: E-204", 0.9)], accepted, NO_CODES) == "read"
    assert stage_of([OcrLine("Tray 2 E-204 loaded", 0.9), OcrLine("Model E-9000", 0.9)], {"E-204"},
                    NO_CODES) in ("context", "screen")
    assert stage_of([OcrLine("abcE-204x", 0.9)], accepted, NO_CODES) == "shape"


@pytest.mark.parametrize(("text", "code"), [
    ("Storung 31", "31"), ("AVERIA 4471", "4471"), ("Codigo de erro: 2207", "2207"), ("Defaut 0815", "0815"),
    ("ERREUR 77", "77"),
])
def test_keywords_read_without_their_accents_still_introduce(text, code):
    assert screen(text) == [code]


@pytest.mark.parametrize("caption", ["Código de error:", "ID do erro", "Codice di errore"])
def test_captions_with_short_function_words_label_the_line_below(caption):
    assert is_caption(caption)
    assert screen(caption, "4471", "Llame al servicio") == ["4471"]


@pytest.mark.parametrize(("text", "code"), [("Stérung 31", "31"), ("St6érung 4471", "4471"), ("Allarrne 0815", "0815"),
                                            ("Fehlercodc: 2281", "2281")])
def test_a_long_caption_read_with_a_glyph_or_two_wrong_still_introduces(text, code):
    assert screen(text) == [code]


@pytest.mark.parametrize("text", ["String 3", "Default 5", "Storage 2", "Printing 4", "Warming 2"])
def test_words_near_a_caption_by_accident_introduce_nothing(text):
    assert screen(text, "Ready") == []


@pytest.mark.parametrize(("caption", "code"), [("Support Code:", "7E21"), ("Machine Error", "9055"),
                                               ("Panel Alarm", "AL-31")])
def test_a_caption_may_carry_one_word_of_its_own(caption, code):
    assert screen(caption, code, "Turn the unit off") == [code]


@pytest.mark.parametrize("caption", ["Product code:", "Tray 2 error", "Error in tray", "Voucher code"])
def test_other_lines_with_a_keyword_are_no_caption(caption):
    assert not is_caption(caption)


@pytest.mark.parametrize("line", ["Llame al servicio técnico SC718", "Chiamare il servizio E-417",
                                  "Kundendienst rufen 61.2A"])
def test_a_service_request_in_other_languages_vouches_for_the_code_on_its_line(line):
    assert len(screen(line)) == 1


def test_a_dotted_code_ending_in_c_or_f_is_no_temperature():
    assert screen("71.08.3F", "Call service") == ["71.08.3F"]
    assert screen("Bed 60.5C", "Nozzle 215.0 F", "Printing") == []
