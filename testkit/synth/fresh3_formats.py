"""The third fresh evaluation split, fresh3 (issue 10, honest measurement): 12 more device families nobody tuning the
reader has seen, none of them in the open set, the fresh split or fresh2.

People who tune the reader must not read this module or testkit/synth/fresh3_screens.py. Each format imitates how a
class of real devices writes its codes (service manuals, operator's manuals and help pages, described in words in
docs/performance.md, "Third fresh evaluation families (fresh3)"); codes are drawn at random from the format's
templates (testkit/synth/formats.py's classes and the fresh split's alternations), never copied from a catalog.
Captions and messages come in eight languages, seven of them used by no other split (Swedish, Czech, Vietnamese,
Ukrainian, Hebrew, Bengali, Tamil). Each kind of device also shows ordinary numbers, several of them shaped like
codes (selection and column ids, register indexes, sample ids, firmware and part numbers) that are not the code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from testkit.synth.family_formats import (
    FamilyFormat,
    family_error_content,
    family_negative_content,
    last_word,
    ordinary_line,
    pick,
    rand_int,
    template_line,
)
from testkit.synth.open_text import ScreenContent


def _arrows_as_dash(code: str) -> tuple[str, ...]:
    """"4 UP 6 DOWN" is also read as "4-6", as installers write it."""
    return (f"{code[0]}-{code.split()[2]}",)


def _without_percent(code: str) -> tuple[str, ...]:
    return (code.lstrip("%"),)


F = FamilyFormat
FRESH3_FORMATS: tuple[FamilyFormat, ...] = (
    # Ventilators: power-on self-test failures as test and step numbers on the message display; diagnostic codes of
    # the breath-delivery unit or the user interface.
    F("vent-post", "ventilator", "ventilator", ("{[03]1}{d1}{[0-2]1}{d1}",), r"[03]\d[0-2]\d", "post",
      "ventilator service manual, POST error codes: number of the failed test, then of its step", adjacent=True),
    F("vent-diag", "ventilator", "ventilator", ("{(BD|GUI)}-{[1-3]1}{d3}",), r"(BD|GUI)-[1-3]\d{3}", "",
      "ventilator service manual, diagnostic codes of the breath-delivery unit and the graphic user interface"),
    # Dialysis machines: five-digit alarm codes whose first digit names the subsystem; the same with the processor.
    F("dialysis-code", "dialysis", "dialysis", ("{[1-4]1}{[1-9]1}{d1}{(00|01|02|10|20)}",),
      r"[1-4][1-9]\d(00|01|02|10|20)", "alarm", "dialysis machine alarm reference, five-digit codes by subsystem",
      adjacent=True),
    F("dialysis-processor", "dialysis", "dialysis", ("{(LLC|LLS)} {[1-4]1}{[1-9]1}{d3}",),
      r"(LLC|LLS) [1-4][1-9]\d{3}", "", "dialysis machine technical notes: the controlling or supervising processor and "
      "its five-digit code", also=last_word),
    # Lab analyzers: error level and number; unit prefix and number.
    F("lab-level", "labanalyzer", "lab", ("{[0-7]1}-{[1-9]1}{d3}",), r"[0-7]-[1-9]\d{3}", "error",
      "chemistry analyzer operator's manual, error messages classified by severity level"),
    F("lab-unit", "labanalyzer", "lab", ("{(SP|RP|MX|ISE|WU|RT)}{d3}",), r"(SP|RP|MX|ISE|WU|RT)\d{3}", "alarm",
      "analyzer troubleshooting chapters, alarms numbered per unit (probes, mixer, ISE, wash, reaction tray)"),
    # Projectors: error numbers of cinema and installation projectors; serial-control error replies.
    F("proj-error-number", "projector", "projector", ("{[89]1}{d3}", "3{d1}{d2}"), r"[389]\d{3}", "error",
      "projector error databases (formatter, light processor errors by number)", adjacent=True),
    F("proj-serial", "projector", "projector", ("ERR{[1-5A]1}",), r"ERR[1-5A]", "",
      "projector serial command reference, error responses ERR1-ERR5 and ERRA"),
    # Vending machines: column and selection errors with the column number; card-reader code and sub-code.
    F("vend-column", "vending", "vending", ("{(CJ|SS|UC|US|HS)}{[0-6]1}{d1}",), r"(CJ|SS|UC|US|HS)[0-6]\d", "error",
      "vending machine controller error codes: column jam, stuck selection switch, unassigned column, home sensor"),
    F("vend-reader", "vending", "vending", ("Cr{[1-9]1}{[0-9A-F]1}",), r"Cr[1-9][0-9A-F]", "",
      "vending machine controller error codes: card reader error code and sub-code"),
    # Sewing and embroidery machines: F codes with a dash; industrial drive control boxes' error replies.
    F("sew-f", "sewing", "sewing", ("F-{d1}{[1-9]1}",), r"F-\d[1-9]", "",
      "home sewing machine F codes (foot control, motor, main board) as a dash-written two-digit code"),
    F("sew-drive", "sewing", "sewing", ("%{[A-F]1}{[1-9]1}{H4}",), r"%[A-F][1-9][0-9A-F]{4}", "",
      "industrial sewing drive communication errors: refusal mark, control box address, hex error number",
      also=_without_percent),
    # Scales: Err and a three-digit number; fault codes of a checkout scanner-scale.
    F("scale-err", "scale", "scale", ("Err {[0-3]1}{d2}",), r"Err [0-3]\d\d", "",
      "weighing instrument operating instructions, error output Err and a three-digit number"),
    F("scale-u", "scale", "scale", ("U{[1-4]1}{d1}",), r"U[1-4]\d", "",
      "checkout scanner-scale guide, fault codes scrolled on the scale display"),
    # Garage door openers: up and down flash counts.
    F("garage-flash", "garagedoor", "garage", ("{[1-6]1}-{[1-6]1}",), r"[1-6]-[1-6]", "error",
      "garage door opener diagnostic codes, up-arrow and down-arrow flashes written with a dash", adjacent=True),
    F("garage-arrows", "garagedoor", "garage", ("{[1-6]1} UP {[1-6]1} DOWN",), r"[1-6] UP [1-6] DOWN", "",
      "the same flash counts spelt out as up and down flashes", also=_arrows_as_dash),
    # Pool equipment: heater two-letter codes; salt chlorinator three-digit codes.
    F("pool-heater", "pool", "pool", ("{[HIS]1}{[FOS]1}",), r"[HIS][FOS]", "heater",
      "pool heater installation guide, two-letter error codes of the control", adjacent=True),
    F("pool-cell", "pool", "pool", ("1{[2-4]1}{d1}",), r"1[2-4]\d", "code",
      "salt chlorinator code table, three-digit cell and salt codes", adjacent=True),
    # Water softeners: Err and two digits; Err and one digit.
    F("soft-err2", "softener", "softener", ("Err0{[1-9]1}",), r"Err0[1-9]", "",
      "water softener help article, Err01-Err09 of the control board"),
    F("soft-err1", "softener", "softener", ("Err{[1-4]1}",), r"Err[1-4]", "",
      "softener control troubleshooting, Err and a number from 1 to 4 with an alarm beep"),
    # Electricity meters: the error register as eight hex digits; the same in four groups.
    F("meter-register", "smartmeter", "meter", ("{[0-8]1}{[0-8]1}{[0248]1}{[0-8]1}{[0248]1}{[0-8]1}00",),
      r"[0-8][0-8][0248][0-8][0248][0-8]00", "ff0", "residential meter user manual, error register shown as eight "
      "hex digits behind its index", adjacent=True),
    F("meter-groups", "smartmeter", "meter", ("0{[0-3]1} {H1}{H1} 0{[0-8]1} {[0-8]1}0",),
      r"0[0-3] [0-9A-F]{2} 0[0-8] [0-8]0", "ff", "industrial meter user manual, error groups of two hex digits each",
      adjacent=True),
    # Kiosk and receipt printers: status words of a printer driver; real-time error status bytes.
    F("kiosk-status", "kioskprinter", "kiosk", ("0x000{[0-9]1}{[048C]1}{[0-8]1}00",), r"0x000\d[048C][0-8]00", "",
      "receipt printer programming guide, printer status list as 32-bit hex words"),
    F("kiosk-byte", "kioskprinter", "kiosk", ("{[1357]1}{[26AE]1}h",), r"[1357][26AE]h", "status",
      "thermal printer command references, real-time error status byte in hex", adjacent=True),
)

FRESH3_FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(f.family for f in FRESH3_FORMATS))

FRESH3_LANGS: tuple[str, ...] = ("en", "sv", "cs", "vi", "uk", "he", "bn", "ta")
FRESH3_LANG_WEIGHTS: tuple[float, ...] = (0.16, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12)
LATIN_LANGS = frozenset({"en", "sv", "cs", "vi"})  # what a character LCD's ROM can show (letters without accents)

FRESH3_CAPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "error": {"en": ("Error", "Error code"), "sv": ("Felkod", "Fel"), "cs": ("Kód chyby", "Chyba"), "vi": ("Mã lỗi", "Lỗi"),
              "uk": ("Код помилки", "Помилка"), "he": ("קוד שגיאה", "שגיאה"), "bn": ("ত্রুটি কোড",),
              "ta": ("பிழைக் குறியீடு",)},
    "alarm": {"en": ("Alarm",), "sv": ("Larm",), "cs": ("Alarm",), "vi": ("Báo động",), "uk": ("Тривога",),
              "he": ("התראה",), "bn": ("অ্যালার্ম",), "ta": ("அலாரம்",)},
    "code": {"en": ("Code",), "sv": ("Kod",), "cs": ("Kód",), "vi": ("Mã",), "uk": ("Код",), "he": ("קוד",),
             "bn": ("কোড",), "ta": ("குறியீடு",)},
    "status": {"en": ("Status",), "sv": ("Status",), "cs": ("Stav",), "vi": ("Trạng thái",), "uk": ("Стан",),
               "he": ("מצב",), "bn": ("অবস্থা",), "ta": ("நிலை",)},
    "heater": {"en": ("Heater",), "sv": ("Värmare",), "cs": ("Ohřívač",), "vi": ("Máy sưởi",), "uk": ("Нагрівач",),
               "he": ("מחמם",), "bn": ("হিটার",), "ta": ("ஹீட்டர்",)},
    "post": {lang: ("POST",) for lang in FRESH3_LANGS},
    "ff0": {lang: ("F.F.0",) for lang in FRESH3_LANGS},
    "ff": {lang: ("F.F",) for lang in FRESH3_LANGS},
}

FRESH3_MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "ventilator": {"en": ("Ventilator inoperative", "Backup ventilation active"), "sv": ("Ventilatorn ur funktion",),
                   "cs": ("Ventilátor mimo provoz",), "vi": ("Máy thở ngừng hoạt động",), "uk": ("Апарат ШВЛ не працює",),
                   "he": ("מכונת ההנשמה אינה פועלת",), "bn": ("ভেন্টিলেটর কাজ করছে না",), "ta": ("சுவாசக் கருவி இயங்கவில்லை",)},
    "dialysis": {"en": ("Blood pump stopped", "Dialysate in bypass"), "sv": ("Blodpumpen stoppad",),
                 "cs": ("Krevní pumpa zastavena",), "vi": ("Bơm máu đã dừng",), "uk": ("Насос крові зупинено",),
                 "he": ("משאבת הדם נעצרה",), "bn": ("রক্তের পাম্প বন্ধ",), "ta": ("இரத்த பம்ப் நின்றது",)},
    "lab": {"en": ("Sample probe collision", "Run aborted"), "sv": ("Provnålen har kolliderat",),
            "cs": ("Náraz vzorkovací jehly",), "vi": ("Kim hút mẫu bị va chạm",), "uk": ("Зіткнення зонда проби",),
            "he": ("התנגשות מחט הדגימה",), "bn": ("নমুনা প্রোবে সংঘর্ষ",), "ta": ("மாதிரி ஆய்வி மோதல்",)},
    "projector": {"en": ("Lamp failure", "Cooling fan stopped"), "sv": ("Lampfel",), "cs": ("Porucha lampy",),
                  "vi": ("Hỏng đèn chiếu",), "uk": ("Несправність лампи",), "he": ("תקלת מנורה",), "bn": ("ল্যাম্প বিকল",),
                  "ta": ("விளக்கு பழுது",)},
    "vending": {"en": ("Out of service", "Use exact change"), "sv": ("Ur funktion",), "cs": ("Mimo provoz",),
                "vi": ("Tạm ngưng phục vụ",), "uk": ("Не працює",), "he": ("לא בשירות",), "bn": ("পরিষেবা বন্ধ",),
                "ta": ("சேவையில் இல்லை",)},
    "sewing": {"en": ("Check the upper thread", "Turn the power off"), "sv": ("Kontrollera övertråden",),
               "cs": ("Zkontrolujte horní nit",), "vi": ("Kiểm tra chỉ trên",), "uk": ("Перевірте верхню нитку",),
               "he": ("בדקו את החוט העליון",), "bn": ("উপরের সুতো পরীক্ষা করুন",), "ta": ("மேல் நூலைச் சரிபார்க்கவும்",)},
    "scale": {"en": ("Weighing not possible", "Recalibrate the scale"), "sv": ("Vägning inte möjlig",),
              "cs": ("Vážení není možné",), "vi": ("Không thể cân",), "uk": ("Зважування неможливе",),
              "he": ("השקילה אינה אפשרית",), "bn": ("ওজন করা সম্ভব নয়",), "ta": ("எடையிட இயலாது",)},
    "garage": {"en": ("Door will not close", "Check the safety sensors"), "sv": ("Porten stängs inte",),
               "cs": ("Vrata se nezavírají",), "vi": ("Cửa không đóng được",), "uk": ("Ворота не зачиняються",),
               "he": ("הדלת אינה נסגרת",), "bn": ("দরজা বন্ধ হচ্ছে না",), "ta": ("கதவு மூடவில்லை",)},
    "pool": {"en": ("Locked out", "Check the water flow"), "sv": ("Spärrad",), "cs": ("Zablokováno",),
             "vi": ("Đã khóa",), "uk": ("Заблоковано",), "he": ("ננעל",), "bn": ("লক হয়েছে",), "ta": ("பூட்டப்பட்டது",)},
    "softener": {"en": ("Regeneration failed", "Unplug for 30 seconds"), "sv": ("Regenereringen misslyckades",),
                 "cs": ("Regenerace selhala",), "vi": ("Tái sinh thất bại",), "uk": ("Регенерація не вдалася",),
                 "he": ("הריענון נכשל",), "bn": ("পুনর্জনন ব্যর্থ",), "ta": ("மீளுருவாக்கம் தோல்வி",)},
    "meter": {"en": ("Meter fault", "Contact your supplier"), "sv": ("Mätarfel",), "cs": ("Porucha elektroměru",),
              "vi": ("Công tơ bị hỏng",), "uk": ("Несправність лічильника",), "he": ("תקלה במונה",),
              "bn": ("মিটার বিকল",), "ta": ("மீட்டர் கோளாறு",)},
    "kiosk": {"en": ("Printer offline", "Paper jam at the cutter"), "sv": ("Skrivaren är offline",),
              "cs": ("Tiskárna je offline",), "vi": ("Máy in ngoại tuyến",), "uk": ("Принтер не в мережі",),
              "he": ("המדפסת מנותקת",), "bn": ("প্রিন্টার অফলাইন",), "ta": ("அச்சுப்பொறி இணைப்பில் இல்லை",)},
}

FRESH3_STATUS: dict[str, tuple[str, ...]] = {  # what these devices say when all is well
    "en": ("Ready", "Standby", "In use", "Normal"), "sv": ("Klar", "Vänteläge", "Normal"),
    "cs": ("Připraven", "Pohotovost", "Normální"), "vi": ("Sẵn sàng", "Chờ", "Bình thường"),
    "uk": ("Готово", "Очікування", "Норма"), "he": ("מוכן", "המתנה", "תקין"), "bn": ("প্রস্তুত", "অপেক্ষমাণ", "স্বাভাবিক"),
    "ta": ("தயார்", "காத்திருப்பு", "இயல்பு"),
}

_d, _pick, _t = rand_int, pick, template_line

# The ordinary numbers each kind of device shows; several are shaped like codes and are not the code.
FRESH3_ORDINARY: dict[str, tuple[Callable[[np.random.Generator], str], ...]] = {
    "ventilator": (lambda r: f"VT {_d(r, 250, 700)} mL", lambda r: f"RR {_d(r, 8, 30)} /min",
                   lambda r: f"PEEP {_d(r, 3, 15)} cmH2O", lambda r: f"FiO2 {_d(r, 21, 100)}%",
                   lambda r: f"Ppeak {_d(r, 12, 40)} cmH2O", _t("SW 4-07{d4}-{[0-9]1}{[0-9]1}"),
                   lambda r: f"Hours {_d(r, 100, 60000)}"),
    "dialysis": (lambda r: f"Qb {_d(r, 150, 450)} ml/min", lambda r: f"UF {_d(r, 0, 4)}.{_d(r, 0, 9)} L",
                 lambda r: f"Cond {_d(r, 13, 15)}.{_d(r, 0, 9)} mS/cm", lambda r: f"Temp {_d(r, 35, 37)}.{_d(r, 0, 9)}°C",
                 lambda r: f"TMP {_d(r, 20, 300)} mmHg", lambda r: f"VP {_d(r, 50, 250)} mmHg",
                 lambda r: f"Time left {_d(r, 0, 4)}:{_d(r, 0, 59):02d}"),
    "lab": (lambda r: f"Rack {_d(r, 1, 60)} Pos {_d(r, 1, 10)}", _t("Sample ID {[2]1}{[4-6]1}{d4}-{d4}"),
            lambda r: f"R1 {_d(r, 5, 100)}%", lambda r: f"Temp {_d(r, 36, 37)}.{_d(r, 0, 9)}°C",
            lambda r: f"{_d(r, 60, 400)} tests/h", _t("Lot {d1}{[A-Z]1}{d3}"), _t("Cuvette {n2}")),
    "projector": (lambda r: f"Lamp {_d(r, 10, 9000)} h", lambda r: f"Filter {_d(r, 0, 2000)} h",
                  lambda r: f"Input HDMI {_d(r, 1, 3)}", lambda r: f"Intake {_d(r, 18, 45)}°C",
                  _t("{(1920x1080|3840x2160|1280x800)} {(50|60)} Hz"), lambda r: f"Fan {_d(r, 1, 3)} {_d(r, 900, 4200)} rpm",
                  lambda r: f"IP 192.168.{_d(r, 0, 9)}.{_d(r, 2, 254)}"),
    "vending": (_t("Sel {[A-H]1}{[1-9]1} {[1-4]1}.{(00|25|50|75)}"), lambda r: f"Col {_d(r, 10, 69)} sold out",
                lambda r: f"Credit {_d(r, 0, 9)}.{_pick(r, ('00', '10', '20', '50'))}", lambda r: f"Cabinet {_d(r, 2, 8)}°C",
                lambda r: f"Sales {_d(r, 10, 99999)}", lambda r: f"Tube 0.{_pick(r, ('05', '10', '25'))}: {_d(r, 0, 80)}"),
    "sewing": (_t("Stitch {d2}"), lambda r: f"{_d(r, 100, 1000)} spm", lambda r: f"Length {_d(r, 0, 5)}.{_d(r, 0, 9)} mm",
               lambda r: f"Width {_d(r, 0, 7)}.{_d(r, 0, 9)} mm", _t("Design {n3}"), lambda r: f"{_d(r, 100, 99999)} stitches",
               _t("Hoop {(100x100|130x180|200x200)}")),
    "scale": (lambda r: f"{_d(r, 0, 29)}.{_d(r, 0, 999):03d} kg", lambda r: f"Tare {_d(r, 0, 2)}.{_d(r, 0, 999):03d} kg",
              lambda r: f"{_d(r, 1, 49)}.{_d(r, 0, 99):02d}/kg", _t("PLU {n4}"), lambda r: f"Total {_d(r, 0, 99)}.{_d(r, 0, 99):02d}",
              _t("Max {(6|15|30)} kg e={(2|5|10)} g")),
    "garage": (lambda r: f"Cycles {_d(r, 10, 60000)}", lambda r: f"Light {_d(r, 1, 5)} min",
               lambda r: f"Remotes {_d(r, 1, 8)}/8", lambda r: f"Garage {_d(r, -5, 35)}°C", _t("Travel {n4} mm"),
               lambda r: f"Force {_d(r, 20, 95)}%"),
    "pool": (lambda r: f"Water {_d(r, 18, 34)}°C", lambda r: f"Salt {_d(r, 20, 45) * 100} ppm",
             lambda r: f"Pump {_d(r, 600, 3450)} rpm", lambda r: f"pH {_d(r, 6, 8)}.{_d(r, 0, 9)}",
             lambda r: f"ORP {_d(r, 400, 800)} mV", lambda r: f"Set {_d(r, 24, 34)}°C", lambda r: f"Filter {_d(r, 0, 24)} h"),
    "softener": (lambda r: f"Capacity {_d(r, 200, 3000)} L", lambda r: f"Hardness {_d(r, 5, 40)} °dH",
                 lambda r: f"Days to empty {_d(r, 1, 60)}", lambda r: f"Flow {_d(r, 0, 25)}.{_d(r, 0, 9)} L/min",
                 lambda r: f"Regen {_d(r, 0, 4):02d}:00", lambda r: f"Salt {_d(r, 5, 100)}%",
                 lambda r: f"{_d(r, 0, 199):03d} -- --"),
    "meter": (lambda r: f"1.8.0 {_d(r, 0, 99999):06d}.{_d(r, 0, 9)} kWh", lambda r: f"2.8.0 {_d(r, 0, 9999):06d}.{_d(r, 0, 9)} kWh",
              lambda r: f"0.9.1 {_d(r, 0, 23):02d}:{_d(r, 0, 59):02d}:{_d(r, 0, 59):02d}", _t("C.1.0 {n8}"),
              lambda r: f"U1 {_d(r, 220, 245)}.{_d(r, 0, 9)} V", lambda r: f"P {_d(r, 0, 9)}.{_d(r, 0, 999):03d} kW",
              lambda r: f"0.9.2 {_d(r, 24, 26)}-{_d(r, 1, 12):02d}-{_d(r, 1, 28):02d}"),
    "kiosk": (lambda r: f"Paper {_pick(r, ('58', '80', '112'))} mm", lambda r: f"Cuts {_d(r, 10, 999999)}",
              lambda r: f"Lines {_d(r, 1000, 9999999)}", _t("FW {[1-3]1}{d1}.{d2} ESC/POS"), lambda r: f"Head {_d(r, 20, 60)}°C",
              _t("{(9600|19200|38400|115200)} baud"), _t("Font {[AB]1} {(12x24|9x17)}")),
}
FRESH3_KINDS: tuple[str, ...] = tuple(FRESH3_ORDINARY)


def fresh3_formats_of(families: list[str] | tuple[str, ...]) -> list[FamilyFormat]:
    """The formats of the given fresh3 families (ValueError on an unknown family)."""
    unknown = set(families) - set(FRESH3_FAMILIES)
    if unknown:
        raise ValueError(f"unknown fresh3 families {sorted(unknown)}; known: {', '.join(FRESH3_FAMILIES)}")
    return [f for f in FRESH3_FORMATS if f.family in families]


def pick_fresh3_lang(rng: np.random.Generator, allowed: frozenset[str] | None = None) -> str:
    """A language for a screen, English a little more often; only among `allowed` when given (what the screen can
    show)."""
    langs = [lang for lang in FRESH3_LANGS if allowed is None or lang in allowed]
    weights = np.array([FRESH3_LANG_WEIGHTS[FRESH3_LANGS.index(lang)] for lang in langs])
    return langs[int(rng.choice(len(langs), p=weights / weights.sum()))]


def fresh3_ordinary_line(kind: str, rng: np.random.Generator) -> str:
    """A line holding an ordinary number of this kind of device."""
    return ordinary_line(FRESH3_ORDINARY, kind, rng)


def fresh3_error_content(fmt: FamilyFormat, rng: np.random.Generator, lang: str, distractors: int
                         ) -> tuple[ScreenContent, str]:
    """An error screen of this format and how it writes the code: caption and code, a message or two, and
    ordinary-number lines."""
    return family_error_content(fmt, rng, lang, distractors, FRESH3_CAPTIONS, FRESH3_MESSAGES, fresh3_ordinary_line)


def fresh3_negative_content(rng: np.random.Generator, lang: str, kind: str) -> ScreenContent:
    """A screen of this kind of device without an error: a status word and 3-5 lines of ordinary numbers."""
    return family_negative_content(rng, lang, kind, FRESH3_STATUS, fresh3_ordinary_line)
