"""The fourth fresh evaluation split, fresh4 (issue 10, honest measurement): 12 more device families nobody tuning the
reader has seen, none of them in the open set, fresh, fresh2 or fresh3.

People who tune the reader must not read this module or testkit/synth/fresh4_screens.py. Each format imitates how a
class of real devices writes its codes (service manuals, operator's manuals and help pages, described in words in
docs/performance.md, "Fourth fresh evaluation families (fresh4)"); codes are drawn at random from the format's
templates (testkit/synth/formats.py's classes and the fresh split's alternations), never copied from a catalog.
Captions and messages come in eight languages, seven of them used by no other split (Finnish, Hungarian, Romanian,
Indonesian, Georgian, Armenian, Gujarati). Each kind of device also shows ordinary numbers, several of them shaped like
codes (function codes, container and model numbers, program and strip lot numbers, service prompts) that are not the
code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from testkit.synth.family_formats import (
    FamilyFormat,
    family_error_content,
    family_negative_content,
    ordinary_line,
    pick,
    rand_int,
    template_line,
)
from testkit.synth.open_text import ScreenContent, ScreenLine

F = FamilyFormat
FRESH4_FORMATS: tuple[FamilyFormat, ...] = (
    # Chillers: alarms with a prefix letter and a number; compressor protection sub-codes after a dot.
    F("chiller-prefixed", "chiller", "chiller", ("{[APT]1}{[0-2]1}{d2}",), r"[APT][0-2]\d\d", "alarm",
      "chiller controls manual, alarm codes with a prefix letter and a number"),
    F("chiller-subcode", "chiller", "chiller", ("{[1256]1}.{[1-9]1}", "{[1256]1}.{[1-9]1}5"), r"[1256]\.[1-9]5?",
      "alarm", "scroll chiller start-up and service manual, compressor protection module sub-codes", adjacent=True),
    # Commercial ice machines: E-codes with a dash on the control's display; auger drive codes of nugget machines.
    F("ice-dash", "icemaker", "ice", ("E-{[2-9]1}{d1}", "E-{[1-9]1}"), r"E-([2-9]\d|[1-9])", "",
      "ice machine diagnostic display, E and a number after a dash", segment=True),
    F("ice-auger", "icemaker", "ice", ("{(NS|NF|NC)}0{d2}",), r"(NS|NF|NC)0\d\d", "error",
      "nugget and flake machines, two letters and three digits for the auger drive"),
    # Pellet stoves: a module's short name and Err; controller alarm numbers.
    F("pellet-module", "pelletstove", "pellet", ("{(PL|AL|FT|PE|TW|HE)} Err",), r"(PL|AL|FT|PE|TW|HE) Err", "",
      "pellet stove display messages: the part at fault (hopper lid, ash door, flue ...) and Err", segment=True),
    F("pellet-er", "pelletstove", "pellet", ("Er{[0-2]1}{[1-9]1}",), r"Er[0-2][1-9]", "alarm",
      "pellet stove control boards, alarm numbers shown as Er and two digits", segment=True),
    # Treadmills and other cardio equipment: two-digit error numbers; the console's letter codes.
    F("tread-number", "treadmill", "treadmill", ("Err {d2}",), r"Err \d\d", "",
      "cardio equipment error code troubleshooting guide, two-digit error numbers after Err", segment=True),
    F("tread-letters", "treadmill", "treadmill", ("{(LS|OBS)}",), r"LS|OBS", "",
      "the same guide's console codes of letters (lift, belt, stuck keys)", segment=True),
    # Blood glucose meters: E and a digit with a dash; Er and a digit.
    F("glucose-dash", "glucose", "glucose", ("E-{[1-9]1}",), r"E-[1-9]", "",
      "blood glucose meter owner's booklet, error messages E-1 to E-9", segment=True),
    F("glucose-er", "glucose", "glucose", ("Er{[1-9]1}",), r"Er[1-9]", "",
      "glucose meter help page, error codes Er and a digit", segment=True),
    # Robot vacuums and mowers: numbered errors in the app; stop reason numbers.
    F("robo-error", "robovac", "robot", ("{[1-5]1}0{[1-9]1}",), r"[1-5]0[1-9]", "error",
      "robot vacuum app error strings (lidar, bumper, cliff sensor, wheels ...), here numbered by module",
      adjacent=True),
    F("robo-stop", "robovac", "robot", ("{[1-3]1}{d2}",), r"[1-3]\d\d", "stop",
      "robotic mower stop reason number list", adjacent=True),
    # Combi ovens and ranges: Service and a number (with a sub-number); F and three digits.
    F("oven-service", "combioven", "oven", ("Service {[1-4]1}{d1}", "Service {[1-4]1}{d1}.{[1-9]1}"),
      r"Service [1-4]\d(\.[1-9])?", "", "combi steamer service notices, Service and a number"),
    F("oven-fault", "combioven", "oven", ("F{[01]1}{d1}{[1-9]1}",), r"F[01]\d[1-9]", "fault",
      "oven technical data sheet, fault codes F and three digits"),
    # Laser markers and engravers: negative response codes; a motion controller's error and alarm replies.
    F("laser-response", "lasermarker", "laser", ("NAK{[01]1}{[1-9]1}",), r"NAK[01][1-9]", "response",
      "laser marker serial command manual, negative response and its two-digit response code"),
    F("laser-controller", "lasermarker", "laser", ("error:{[1-3]1}{d1}", "ALARM:{[1-9]1}"), r"error:[1-3]\d|ALARM:[1-9]",
      "", "engraver controller error and alarm codes as the controller replies them"),
    # Aerial work platforms: diagnostic display codes; flash codes.
    F("aerial-code", "aerialplatform", "aerial", ("0{[1-6]1}{d1}",), r"0[1-6]\d", "code",
      "scissor lift service manual, codes on the diagnostic display", adjacent=True, segment=True),
    F("aerial-flash", "aerialplatform", "aerial", ("{[1-9]1}-{[1-9]1}",), r"[1-9]-[1-9]", "flash",
      "boom and scissor lift manuals, flash codes of the ground control", adjacent=True, segment=True),
    # Fuel dispensers: two-digit error numbers alternating with the price; card reader and printer faults.
    F("fuel-ppu", "fueldispenser", "fuel", ("Er {[1-9]1}{d1}",), r"Er [1-9]\d", "",
      "dispenser troubleshooting tips: error codes on the price-per-unit display", segment=True),
    F("fuel-terminal", "fueldispenser", "fuel", ("{(CRD|PRN|PIN|NET)}-{d2}",), r"(CRD|PRN|PIN|NET)-\d\d", "",
      "fuel management and site controller messages: card reader, printer, PIN pad and network faults"),
    # Steam sterilizers: three-digit alarms; cycle faults with a phase letter.
    F("ster-alarm", "sterilizer", "sterilizer", ("{[1-4]1}{d2}",), r"[1-4]\d\d", "alarm",
      "small steam sterilizer operating procedures, numbered alarms", adjacent=True),
    F("ster-cycle", "sterilizer", "sterilizer", ("{[A-D]1}{[1-9]1}{d1}",), r"[A-D][1-9]\d", "cycle",
      "autoclave operating manual, cycle faults by phase and number"),
    # Container refrigeration units: AL and two digits; pre-trip test results.
    F("reefer-alarm", "reefer", "reefer", ("AL{[0-8]1}{d1}",), r"AL[0-8]\d", "",
      "container refrigeration unit manual, controller alarm indications AL and a number", segment=True),
    F("reefer-pretrip", "reefer", "reefer", ("P{[1-9]1}-{d1}",), r"P[1-9]-\d", "pretrip",
      "container unit pre-trip inspection: test and sub-test numbers", segment=True),
)

FRESH4_FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(f.family for f in FRESH4_FORMATS))

FRESH4_LANGS: tuple[str, ...] = ("en", "fi", "hu", "ro", "id", "ka", "hy", "gu")
FRESH4_LANG_WEIGHTS: tuple[float, ...] = (0.16, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12)
LATIN_LANGS = frozenset({"en", "fi", "hu", "ro", "id"})

FRESH4_CAPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "error": {"en": ("Error", "Error code"), "fi": ("Virhe", "Virhekoodi"), "hu": ("Hiba", "Hibakód"),
              "ro": ("Eroare", "Cod eroare"), "id": ("Kesalahan", "Kode kesalahan"), "ka": ("შეცდომა", "შეცდომის კოდი"),
              "hy": ("Սխալ", "Սխալի կոդ"), "gu": ("ભૂલ", "ભૂલ કોડ")},
    "alarm": {"en": ("Alarm",), "fi": ("Hälytys",), "hu": ("Riasztás",), "ro": ("Alarmă",), "id": ("Alarm",),
              "ka": ("განგაში",), "hy": ("Տագնապ",), "gu": ("એલાર્મ",)},
    "code": {"en": ("Code",), "fi": ("Koodi",), "hu": ("Kód",), "ro": ("Cod",), "id": ("Kode",), "ka": ("კოდი",),
             "hy": ("Կոդ",), "gu": ("કોડ",)},
    "fault": {"en": ("Fault",), "fi": ("Vika",), "hu": ("Üzemzavar",), "ro": ("Defect",), "id": ("Gangguan",),
              "ka": ("გაუმართაობა",), "hy": ("Անսարքություն",), "gu": ("ખામી",)},
    "response": {"en": ("Response",), "fi": ("Vastaus",), "hu": ("Válasz",), "ro": ("Răspuns",), "id": ("Respons",),
                 "ka": ("პასუხი",), "hy": ("Պատասխան",), "gu": ("પ્રતિસાદ",)},
    "stop": {"en": ("Stop reason",), "fi": ("Pysähdyksen syy",), "hu": ("Leállás oka",), "ro": ("Motiv oprire",),
             "id": ("Alasan berhenti",), "ka": ("გაჩერების მიზეზი",), "hy": ("Կանգառի պատճառ",), "gu": ("અટકવાનું કારણ",)},
    "flash": {"en": ("Flash code",), "fi": ("Vilkkukoodi",), "hu": ("Villogó kód",), "ro": ("Cod intermitent",),
              "id": ("Kode kedip",), "ka": ("ციმციმის კოდი",), "hy": ("Թարթման կոդ",), "gu": ("ઝબકતો કોડ",)},
    "cycle": {"en": ("Cycle fault",), "fi": ("Jaksovirhe",), "hu": ("Ciklushiba",), "ro": ("Eroare ciclu",),
              "id": ("Siklus gagal",), "ka": ("ციკლის შეცდომა",), "hy": ("Ցիկլի սխալ",), "gu": ("ચક્ર ભૂલ",)},
    "pretrip": {"en": ("Pretrip fail",), "fi": ("Esitarkastus hylätty",), "hu": ("Indulás előtti teszt hiba",),
                "ro": ("Test pre-cursă eșuat",), "id": ("Uji pra-jalan gagal",), "ka": ("წინასწარი ტესტი ვერ გაიარა",),
                "hy": ("Նախնական ստուգումը ձախողվեց",), "gu": ("પૂર્વ-પરીક્ષણ નિષ્ફળ",)},
}

FRESH4_MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "chiller": {"en": ("Circuit A shut down", "Check the chilled water flow"), "fi": ("Piiri A pysäytetty",),
                "hu": ("Az A kör leállt",), "ro": ("Circuitul A oprit",), "id": ("Sirkuit A dimatikan",),
                "ka": ("წრე A გაითიშა",), "hy": ("A շղթան անջատվեց",), "gu": ("સર્કિટ A બંધ થયું",)},
    "ice": {"en": ("Long freeze cycle", "Check the water supply"), "fi": ("Pitkä jäädytysjakso",),
            "hu": ("Túl hosszú fagyasztás",), "ro": ("Ciclu de înghețare prea lung",), "id": ("Siklus beku terlalu lama",),
            "ka": ("გაყინვის ციკლი ძალიან გრძელია",), "hy": ("Սառեցման ցիկլը երկար է",), "gu": ("ઠારણ ચક્ર લાંબું છે",)},
    "pellet": {"en": ("Stove shut down", "Clean the burn pot"), "fi": ("Takka sammutettu",), "hu": ("A kályha leállt",),
               "ro": ("Soba s-a oprit",), "id": ("Tungku dimatikan",), "ka": ("ღუმელი გაითიშა",),
               "hy": ("Վառարանն անջատվեց",), "gu": ("સ્ટવ બંધ થયો",)},
    "treadmill": {"en": ("Belt stopped", "Call for service"), "fi": ("Matto pysähtyi",), "hu": ("A futószalag leállt",),
                  "ro": ("Banda s-a oprit",), "id": ("Sabuk berhenti",), "ka": ("ლენტი გაჩერდა",),
                  "hy": ("Ժապավենը կանգնեց",), "gu": ("બેલ્ટ અટકી ગયો",)},
    "glucose": {"en": ("Repeat the test", "Use a new test strip"), "fi": ("Toista mittaus",),
                "hu": ("Ismételje meg a mérést",), "ro": ("Repetați testul",), "id": ("Ulangi tes",),
                "ka": ("გაიმეორეთ ტესტი",), "hy": ("Կրկնեք թեստը",), "gu": ("પરીક્ષણ ફરી કરો",)},
    "robot": {"en": ("Robot stuck", "Move the robot and restart"), "fi": ("Robotti on jumissa",),
              "hu": ("A robot elakadt",), "ro": ("Robotul s-a blocat",), "id": ("Robot tersangkut",),
              "ka": ("რობოტი გაიჭედა",), "hy": ("Ռոբոտը խրվել է",), "gu": ("રોબોટ અટકી ગયો",)},
    "oven": {"en": ("Steam generator fault", "Cooking is possible with hot air"), "fi": ("Höyrystimen vika",),
             "hu": ("Gőzfejlesztő hiba",), "ro": ("Defect generator de abur",), "id": ("Generator uap bermasalah",),
             "ka": ("ორთქლის გენერატორის გაუმართაობა",), "hy": ("Գոլորշու գեներատորի անսարքություն",),
             "gu": ("વરાળ જનરેટરમાં ખામી",)},
    "laser": {"en": ("Job stopped", "Check the cooling water"), "fi": ("Työ pysäytetty",), "hu": ("A munka leállt",),
              "ro": ("Lucrarea s-a oprit",), "id": ("Pekerjaan dihentikan",), "ka": ("სამუშაო შეჩერდა",),
              "hy": ("Աշխատանքը դադարեցվեց",), "gu": ("કામ અટકાવાયું",)},
    "aerial": {"en": ("Lift disabled", "Lower the platform"), "fi": ("Nosto estetty",), "hu": ("Emelés letiltva",),
               "ro": ("Ridicare blocată",), "id": ("Angkat dinonaktifkan",), "ka": ("აწევა დაბლოკილია",),
               "hy": ("Բարձրացումն արգելափակված է",), "gu": ("લિફ્ટ બંધ છે",)},
    "fuel": {"en": ("Pump closed", "Pay inside"), "fi": ("Mittari suljettu",), "hu": ("A kút zárva",),
             "ro": ("Pompa închisă",), "id": ("Pompa ditutup",), "ka": ("ტუმბო დაკეტილია",), "hy": ("Պոմպը փակ է",),
             "gu": ("પંપ બંધ છે",)},
    "sterilizer": {"en": ("Cycle aborted", "Load is not sterile"), "fi": ("Jakso keskeytetty",),
                   "hu": ("A ciklus megszakadt",), "ro": ("Ciclu întrerupt",), "id": ("Siklus dibatalkan",),
                   "ka": ("ციკლი შეწყდა",), "hy": ("Ցիկլն ընդհատվեց",), "gu": ("ચક્ર રદ થયું",)},
    "reefer": {"en": ("Compressor off", "Check the evaporator fan"), "fi": ("Kompressori pois päältä",),
               "hu": ("A kompresszor kikapcsolt",), "ro": ("Compresor oprit",), "id": ("Kompresor mati",),
               "ka": ("კომპრესორი გამორთულია",), "hy": ("Կոմպրեսորն անջատված է",), "gu": ("કોમ્પ્રેસર બંધ છે",)},
}

FRESH4_STATUS: dict[str, tuple[str, ...]] = {  # what these devices say when all is well
    "en": ("Ready", "Standby", "Running", "Normal"), "fi": ("Valmis", "Valmiustila", "Käynnissä"),
    "hu": ("Kész", "Készenlét", "Üzemel"), "ro": ("Gata", "Așteptare", "În funcțiune"), "id": ("Siap", "Siaga", "Berjalan"),
    "ka": ("მზადაა", "ლოდინი", "მუშაობს"), "hy": ("Պատրաստ է", "Սպասում", "Աշխատում է"), "gu": ("તૈયાર", "સ્ટેન્ડબાય", "ચાલુ"),
}

_d, _pick, _t = rand_int, pick, template_line

# The ordinary numbers each kind of device shows; several are shaped like codes and are not the code.
FRESH4_ORDINARY: dict[str, tuple[Callable[[np.random.Generator], str], ...]] = {
    "chiller": (lambda r: f"LCW {_d(r, 4, 9)}.{_d(r, 0, 9)}°C", lambda r: f"ECW {_d(r, 10, 14)}.{_d(r, 0, 9)}°C",
                lambda r: f"Capacity {_d(r, 0, 100)}%", _t("A{[12]1} {d2} A"), lambda r: f"SST {_d(r, -2, 6)}.{_d(r, 0, 9)}°C",
                lambda r: f"Run hours {_d(r, 100, 90000)}", _t("Cir {[AB]1} {[1-3]1}/3 on")),
    "ice": (lambda r: f"Freeze {_d(r, 8, 20)}:{_d(r, 0, 59):02d}", lambda r: f"Harvest {_d(r, 0, 3)}:{_d(r, 0, 59):02d}",
            lambda r: f"Sump {_d(r, 0, 4)}.{_d(r, 0, 9)}°C", lambda r: f"Cycles {_d(r, 100, 99999)}",
            _t("Model C{(03|05|08|10)}{(22|30|48)}"), lambda r: f"Bin {_d(r, 0, 100)}%", _t("Board v{[2-6]1}.{d1}")),
    "pellet": (lambda r: f"Room {_d(r, 15, 25)}.{_d(r, 0, 9)}°C", lambda r: f"Flue {_d(r, 80, 220)}°C",
               _t("Power P{[1-5]1}"), _t("RA {[0-1]1}.{[1-9]1} t"), lambda r: f"Hopper {_d(r, 2, 25)} kg",
               lambda r: f"Auger {_d(r, 1, 4)}.{_d(r, 0, 9)} s", lambda r: f"Set {_d(r, 18, 24)}°C"),
    "treadmill": (lambda r: f"{_d(r, 1, 18)}.{_d(r, 0, 9)} km/h", lambda r: f"Incline {_d(r, 0, 15)}.{_pick(r, ('0', '5'))}%",
                  lambda r: f"Time {_d(r, 0, 59):02d}:{_d(r, 0, 59):02d}", lambda r: f"{_d(r, 0, 12)}.{_d(r, 0, 99):02d} km",
                  lambda r: f"{_d(r, 10, 900)} kcal", lambda r: f"HR {_d(r, 70, 185)} bpm", _t("Program P{[1-9]1}{d1}")),
    "glucose": (lambda r: f"{_d(r, 60, 300)} mg/dL", lambda r: f"{_d(r, 3, 16)}.{_d(r, 0, 9)} mmol/L",
                _t("Lot {d2}{A1}{d1}"), lambda r: f"7-day avg {_d(r, 90, 180)}", lambda r: f"{_d(r, 0, 23)}:{_d(r, 0, 59):02d}",
                lambda r: f"{_d(r, 1, 28):02d}.{_d(r, 1, 12):02d}.", _t("Strip {(25|50|100)}")),
    "robot": (lambda r: f"Area {_d(r, 5, 150)} m²", lambda r: f"{_d(r, 5, 180)} min", lambda r: f"Battery {_d(r, 5, 100)}%",
              _t("Map {[1-4]1} Room {[1-9]1}"), lambda r: f"Filter {_d(r, 0, 150)} h", _t("FW {d2}.{d2}.{d2}"),
              lambda r: f"Wire signal {_d(r, 0, 100)}%"),
    "oven": (lambda r: f"Core {_d(r, 40, 95)}°C", lambda r: f"Cabinet {_d(r, 30, 300)}°C", lambda r: f"Humidity {_d(r, 0, 100)}%",
             _t("Program {[1-9]1}{d1}"), lambda r: f"Time {_d(r, 0, 3)}:{_d(r, 0, 59):02d}", _t("Rack {[1-9]1}/10"),
             _t("Care {[1-6]1}/6")),
    "laser": (lambda r: f"Power {_d(r, 5, 100)}%", lambda r: f"Speed {_d(r, 10, 800)} mm/s",
              lambda r: f"X {_d(r, 0, 600)}.{_d(r, 0, 99):02d} Y {_d(r, 0, 400)}.{_d(r, 0, 99):02d}",
              lambda r: f"Freq {_d(r, 1, 50)} kHz", _t("Job {d4}"), lambda r: f"Tube {_d(r, 15, 30)}°C", _t("Layer {[1-9]1}")),
    "aerial": (lambda r: f"Height {_d(r, 0, 14)}.{_d(r, 0, 9)} m", lambda r: f"Load {_d(r, 0, 450)} kg",
               lambda r: f"{_d(r, 22, 27)}.{_d(r, 0, 9)} V", lambda r: f"Hours {_d(r, 10, 9999)}.{_d(r, 0, 9)}",
               lambda r: f"Tilt {_d(r, 0, 3)}.{_d(r, 0, 9)}°", _t("Drive {(Hi|Lo)}"), _t("Zone {[1-3]1}")),
    "fuel": (lambda r: f"{_d(r, 1, 2)}.{_d(r, 0, 999):03d} €/L", lambda r: f"{_d(r, 0, 80)}.{_d(r, 0, 99):02d} L",
             lambda r: f"Amount {_d(r, 0, 150)}.{_d(r, 0, 99):02d}", _t("Grade {(95|98|E10|B7)}"), _t("Nozzle {[1-4]1}"),
             _t("Pump {[1-9]1}{d1}"), lambda r: f"Totals {_d(r, 100000, 9999999)}.{_d(r, 0, 99):02d}"),
    "sterilizer": (lambda r: f"{_pick(r, ('121', '134'))}.{_d(r, 0, 9)}°C", lambda r: f"{_d(r, 1, 2)}.{_d(r, 0, 99):02d} bar",
                   lambda r: f"Hold {_d(r, 3, 20):02d}:00", lambda r: f"Cycle no. {_d(r, 100, 9999)}",
                   lambda r: f"Dry {_d(r, 5, 30)} min", _t("Program {(B|S|N)} {(Universal|Prion|Quick)}"),
                   lambda r: f"Water {_d(r, 0, 20)} µS/cm"),
    "reefer": (lambda r: f"SP {_pick(r, ('-', ''))}{_d(r, 0, 25)}.{_d(r, 0, 9)}°C",
               lambda r: f"Sup {_pick(r, ('-', ''))}{_d(r, 0, 25)}.{_d(r, 0, 9)}°C",
               lambda r: f"Ret {_pick(r, ('-', ''))}{_d(r, 0, 25)}.{_d(r, 0, 9)}°C", _t("Cd{[1-4]1}{d1} {d4}"),
               _t("{(MSCU|TRIU|SEGU|CXRU)} {d6} {d1}"), lambda r: f"Hum {_d(r, 50, 95)}%",
               lambda r: f"{_d(r, 380, 460)} V {_pick(r, ('50', '60'))} Hz"),
}
FRESH4_KINDS: tuple[str, ...] = tuple(FRESH4_ORDINARY)


def fresh4_formats_of(families: list[str] | tuple[str, ...]) -> list[FamilyFormat]:
    """The formats of the given fresh4 families (ValueError on an unknown family)."""
    unknown = set(families) - set(FRESH4_FAMILIES)
    if unknown:
        raise ValueError(f"unknown fresh4 families {sorted(unknown)}; known: {', '.join(FRESH4_FAMILIES)}")
    return [f for f in FRESH4_FORMATS if f.family in families]


def pick_fresh4_lang(rng: np.random.Generator, allowed: frozenset[str] | None = None) -> str:
    """A language for a screen, English a little more often; only among `allowed` when given (what the screen can
    show)."""
    langs = [lang for lang in FRESH4_LANGS if allowed is None or lang in allowed]
    weights = np.array([FRESH4_LANG_WEIGHTS[FRESH4_LANGS.index(lang)] for lang in langs])
    return langs[int(rng.choice(len(langs), p=weights / weights.sum()))]


def fresh4_ordinary_line(kind: str, rng: np.random.Generator) -> str:
    """A line holding an ordinary number of this kind of device."""
    return ordinary_line(FRESH4_ORDINARY, kind, rng)


# How a caption and its code share a line: after a colon, a space or a dash, or the code first (always touching).
LABEL_CONVENTIONS: tuple[str, ...] = ("{caption}: {shown}", "{caption} {shown}", "{caption} – {shown}",
                                      "{shown} {caption}")


def fresh4_error_content(fmt: FamilyFormat, rng: np.random.Generator, lang: str, distractors: int
                         ) -> tuple[ScreenContent, str]:
    """An error screen of this format and how it writes the code: caption and code (in one of the label
    conventions), a message or two, and ordinary-number lines."""
    content, shown = family_error_content(fmt, rng, lang, distractors, FRESH4_CAPTIONS, FRESH4_MESSAGES,
                                          fresh4_ordinary_line)
    convention = LABEL_CONVENTIONS[int(rng.choice(len(LABEL_CONVENTIONS), p=[0.4, 0.25, 0.15, 0.2]))]
    lines = list(content.lines)
    for i, ln in enumerate(lines):
        if ln.role == "code" and ln.text.endswith(f": {shown}") and ln.text != f": {shown}":
            caption = ln.text[: -len(shown) - 2]
            lines[i] = ScreenLine(convention.format(caption=caption, shown=shown), "code")
    return replace(content, lines=tuple(lines)), shown


def fresh4_negative_content(rng: np.random.Generator, lang: str, kind: str) -> ScreenContent:
    """A screen of this kind of device without an error: a status word and 3-5 lines of ordinary numbers."""
    return family_negative_content(rng, lang, kind, FRESH4_STATUS, fresh4_ordinary_line)
