"""The second fresh evaluation split, fresh2 (issue 10, honest measurement): 12 more device families nobody tuning
the reader has seen, none of them in the open set or the first fresh split.

People who tune the reader must not read this module or testkit/synth/fresh2_screens.py. Each format imitates how a
class of real devices writes its codes (vendor manuals, help pages and service guides, described in words in
docs/performance.md, "Second fresh evaluation families (fresh2)"); codes are drawn at random from the format's
templates (testkit/synth/fresh_formats.py's classes and alternations), never copied from a catalog. Captions and
messages come in eight languages, four of them in scripts no other split uses (Cyrillic, Greek, Thai, Devanagari).
Each kind of device also shows ordinary numbers, several of them shaped like codes (part numbers, program names,
service tags, zone and slot numbers) that are not the code.
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

_FMI = "{(0|1|2|3|4|5|7|9|11|12|13|14|15|16|18|19|31)}"  # J1939 failure mode identifiers seen on displays
_FMI_RE = r"(0|1|2|3|4|5|7|9|11|12|13|14|15|16|18|19|31)"
_CID = "{(110|111|115|121|122|131|132|133|134|137|144|145|301|302|305|311|321|333|344|350|373|374|380|383)}"
_CID_RE = r"(110|111|115|121|122|131|132|133|134|137|144|145|301|302|305|311|321|333|344|350|373|374|380|383)"


Fresh2Format = FamilyFormat  # the shared format record (testkit/synth/family_formats.py)
_last_word = last_word


FRESH2_FORMATS: tuple[Fresh2Format, ...] = (
    # Industrial robots: teach-pendant alarms of a facility name and three digits, controller message numbers.
    Fresh2Format("robot-facility", "robot", "robot",
                 ("{(SRVO|MOTN|INTP|SYST|PRIO|HOST|TPIF|CVIS|SPOT|SRIO|MCTL|FILE)}-{d3}",),
                 r"(SRVO|MOTN|INTP|SYST|PRIO|HOST|TPIF|CVIS|SPOT|SRIO|MCTL|FILE)-\d{3}", "",
                 "robot alarm manual: facility name, dash, alarm number; axis and group after it",
                 shown="{code}  (G:{[1-2]1} A:{[1-6]1})"),
    Fresh2Format("robot-kss", "robot", "robot", ("KSS{[0-2]1}{d4}",), r"KSS[0-2]\d{4}", "message",
                 "robot system software messages, KSS and a five-digit message number"),
    # Farm machinery: controller, SPN.FMI on the operator display; SPN and FMI written out.
    Fresh2Format("agri-controller-dtc", "agri", "agri",
                 ("{(ECU|TCU|HCU|VCU|BCU|XMC|CCU|PDU)} {(000|520|521|522|523|524)}{d3}.{(00|01|02|03|04|05|07|09|11|12|13|14|15|16|18|19|31)}",),
                 r"(ECU|TCU|HCU|VCU|BCU|XMC|CCU|PDU) (000|520|521|522|523|524)\d{3}\."
                 r"(00|01|02|03|04|05|07|09|11|12|13|14|15|16|18|19|31)", "dtc",
                 "tractor and combine diagnostic trouble codes: control unit, six-digit SPN, dot, FMI",
                 also=_last_word),
    Fresh2Format("agri-spn-fmi", "agri", "agri",
                 ("SPN {n3} FMI " + _FMI, "SPN {n4} FMI " + _FMI, "SPN 52{[0-4]1}{d3} FMI " + _FMI),
                 r"SPN ([1-9]\d{2,3}|52[0-4]\d{3}) FMI " + _FMI_RE, "",
                 "J1939 suspect parameter number and failure mode identifier as machine displays spell them"),
    # Marine engines: J1587 message identifier with parameter or subsystem identifier and failure mode.
    Fresh2Format("marine-mid-pid", "marine", "marine",
                 ("MID {(128|130|144|164|187|194|200|250)} PID {n3} FMI " + _FMI,),
                 r"MID (128|130|144|164|187|194|200|250) PID [1-9]\d\d FMI " + _FMI_RE, "",
                 "marine engine control workshop manual, fault codes by MID, PID and FMI"),
    Fresh2Format("marine-mid-sid", "marine", "marine",
                 ("MID {(128|164|187|250)} SID {[1-2]1}{d2} FMI " + _FMI,),
                 r"MID (128|164|187|250) SID [12]\d\d FMI " + _FMI_RE, "fault",
                 "marine engine control workshop manual, subsystem (SID) fault codes"),
    # Servers and storage: management-controller message ids, storage alert ids.
    Fresh2Format("server-message-id", "storage", "server",
                 ("{(PDR|CTL|ENC|BAT|VDR|PSU|FAN|TMP|SYS|CPU|MEM|RAC|STOR|PCI)}{[0-3]1}{d3}",),
                 r"(PDR|CTL|ENC|BAT|VDR|PSU|FAN|TMP|SYS|CPU|MEM|RAC|STOR|PCI)[0-3]\d{3}", "",
                 "server event and error message reference: message ID prefix of up to four letters, four digits"),
    Fresh2Format("storage-alert-id", "storage", "server", ("2{[0-4]1}{d2}",), r"2[0-4]\d\d", "alert",
                 "server storage management message reference, numbered alert IDs", adjacent=True),
    # Game consoles: short error codes of a facility and a number with a check digit; module-description pairs.
    Fresh2Format("console-short-code", "gameconsole", "console",
                 ("{(CE|NW|NP|SU|WS|WV|WC)}-{n5}-{d1}", "{(CE|NW|WS|SU)}-1{d5}-{d1}"),
                 r"(CE|NW|NP|SU|WS|WV|WC)-([1-9]\d{4}|1\d{5})-\d", "error",
                 "console short error codes: facility group, five or six digits, check digit"),
    Fresh2Format("console-module-code", "gameconsole", "console", ("2{[01]1}{d2}-{d4}",), r"2[01]\d\d-\d{4}", "error",
                 "handheld console error codes: 2000 plus module, dash, four-digit description"),
    # Cameras: camcorder self-diagnosis codes, still-camera error numbers.
    Fresh2Format("camera-self-diagnosis", "camera", "camera", ("{[CE]1}:{[1-9]1}{d1}:{d2}",), r"[CE]:[1-9]\d:\d\d",
                 "", "camcorder self-diagnostics display: letter and two pairs of digits"),
    Fresh2Format("camera-err", "camera", "camera", ("Err {d2}",), r"Err \d\d", "",
                 "digital SLR error codes Err and two digits", segment=True),
    # E-bikes: drive-unit warnings and errors, display error numbers.
    Fresh2Format("ebike-warning", "ebike", "ebike", ("W0{[1-3]1}{d1}", "W1{[0-3]1}{d1}", "E0{[34]1}{d1}"),
                 r"W0[1-3]\d|W1[0-3]\d|E0[34]\d", "", "e-bike drive unit W and E codes", segment=True),
    Fresh2Format("ebike-error-number", "ebike", "ebike", ("{[45]1}{d2}",), r"[45]\d\d", "error",
                 "e-bike system error numbers in the 400 and 500 ranges", adjacent=True, segment=True),
    # ATMs: diagnostic status of a device (M_STATUS and a hex pair), cash-dispenser error codes of command,
    # module and detail.
    Fresh2Format("atm-m-status", "atm", "atm", ("M_STATUS {H2}",), r"M_STATUS [0-9A-F]{2}", "",
                 "self-service terminal diagnostic status code notebook, M_STATUS of a device",
                 also=lambda c: (c.replace(" ", "="),)),
    Fresh2Format("atm-dispenser", "atm", "atm", ("{[1-69ABC]1}{[0-4]1}{[A-F]1}{H1}",),
                 r"[1-69ABC][0-4][A-F][0-9A-F]", "error",
                 "cash dispenser error code manual: command code, module code, two-character detail"),
    # Security alarm panels: Contact ID events with partition and zone, keypad CHECK/FAULT messages.
    Fresh2Format("alarm-contact-id", "alarm", "security", ("{[ER]1}" + _CID + " 0{[1-8]1} {d3}",),
                 r"[ER]" + _CID_RE + r" 0[1-8] \d{3}", "event",
                 "alarm panel installation guide: Contact ID event code, partition, zone"),
    Fresh2Format("alarm-keypad", "alarm", "security", ("{(CHECK|FAULT)} {[01]1}{d2}",), r"(CHECK|FAULT) [01]\d\d",
                 "", "alarm keypad user guide: CHECK or FAULT and a zone number"),
    # Telecom base stations: alarm ids of the network management system.
    Fresh2Format("telecom-alm", "telecom", "telecom", ("ALM-{[23]1}{[5-9]1}{d3}",), r"ALM-[23][5-9]\d{3}", "",
                 "base station alarm reference, ALM- and five digits"),
    Fresh2Format("telecom-bts-alarm", "telecom", "telecom", ("7{[2-9]1}{d2}",), r"7[2-9]\d\d", "alarm",
                 "base station alarms 7000-7999 (here 7200-7999) with severity stars", shown="{(*|**|***)} {code}", adjacent=True),
    # PLCs: diagnostic buffer event ids, controller status display major faults.
    Fresh2Format("plc-event-id", "plc", "plc", ("16#{[1-9A-F]1}{H3}",), r"16#[1-9A-F][0-9A-F]{3}", "event",
                 "PLC diagnostic buffer event IDs written 16#xxxx"),
    Fresh2Format("plc-major-fault", "plc", "plc", ("T{(01|03|04|06|07|08|11)}:C{d2}",),
                 r"T(01|03|04|06|07|08|11):C\d\d", "fault",
                 "controller major faults, type and code, as the controller status display scrolls them", segment=True),
    # Drones: app error codes of five digits, mission acknowledgement codes.
    Fresh2Format("drone-app-code", "drone", "drone", ("{[1-5]1}0{d3}",), r"[1-5]0\d{3}", "error",
                 "drone app error codes of five digits by subsystem (IMU, compass, ESC, gimbal, battery)",
                 adjacent=True),
    Fresh2Format("drone-ack", "drone", "drone", ("0x{[A-D]1}{H1}",), r"0x[A-D][0-9A-F]", "ack",
                 "onboard SDK flight mission acknowledgement codes", adjacent=True),
)

FRESH2_FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(f.family for f in FRESH2_FORMATS))

FRESH2_LANGS: tuple[str, ...] = ("en", "ru", "el", "th", "hi", "tr", "pl", "nl")
FRESH2_LANG_WEIGHTS: tuple[float, ...] = (0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1)

FRESH2_CAPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "error": {"en": ("Error code", "Error"), "ru": ("Код ошибки", "Ошибка"), "el": ("Κωδικός σφάλματος", "Σφάλμα"),
              "th": ("รหัสข้อผิดพลาด",), "hi": ("त्रुटि कोड",), "tr": ("Hata kodu", "Hata"), "pl": ("Kod błędu", "Błąd"),
              "nl": ("Foutcode", "Fout")},
    "message": {"en": ("Message",), "ru": ("Сообщение",), "el": ("Μήνυμα",), "th": ("ข้อความ",), "hi": ("संदेश",),
                "tr": ("Mesaj",), "pl": ("Komunikat",), "nl": ("Melding",)},
    "dtc": {"en": ("DTC", "Trouble code"), "ru": ("Код неисправности",), "el": ("Κωδικός βλάβης",), "th": ("รหัสปัญหา",),
            "hi": ("खराबी कोड",), "tr": ("Arıza kodu",), "pl": ("Kod usterki",), "nl": ("Storingscode",)},
    "fault": {"en": ("Fault", "Fault code"), "ru": ("Неисправность",), "el": ("Βλάβη",), "th": ("ความผิดปกติ",),
              "hi": ("खराबी",), "tr": ("Arıza",), "pl": ("Usterka",), "nl": ("Storing",)},
    "alert": {"en": ("Alert ID",), "ru": ("ID оповещения",), "el": ("ID ειδοποίησης",), "th": ("รหัสการแจ้งเตือน",),
              "hi": ("अलर्ट आईडी",), "tr": ("Uyarı no",), "pl": ("ID alertu",), "nl": ("Melding-ID",)},
    "event": {"en": ("Event", "Event ID"), "ru": ("Событие",), "el": ("Συμβάν",), "th": ("เหตุการณ์",), "hi": ("घटना",),
              "tr": ("Olay",), "pl": ("Zdarzenie",), "nl": ("Gebeurtenis",)},
    "alarm": {"en": ("Alarm",), "ru": ("Авария",), "el": ("Συναγερμός",), "th": ("สัญญาณเตือน",), "hi": ("अलार्म",),
              "tr": ("Alarm",), "pl": ("Alarm",), "nl": ("Alarm",)},
    "ack": {lang: ("ACK",) for lang in FRESH2_LANGS},
}

FRESH2_MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "robot": {"en": ("Collision detected", "Servo power off"), "ru": ("Обнаружено столкновение",),
              "el": ("Ανιχνεύθηκε σύγκρουση",), "th": ("ตรวจพบการชน",), "hi": ("टक्कर का पता चला",),
              "tr": ("Çarpışma algılandı",), "pl": ("Wykryto kolizję",), "nl": ("Botsing gedetecteerd",)},
    "agri": {"en": ("Stop engine", "Check hydraulic oil"), "ru": ("Остановите двигатель",), "el": ("Σβήστε τον κινητήρα",),
             "th": ("ดับเครื่องยนต์",), "hi": ("इंजन बंद करें",), "tr": ("Motoru durdurun",), "pl": ("Zatrzymaj silnik",),
             "nl": ("Motor stoppen",)},
    "marine": {"en": ("Engine protection active", "Reduce throttle"), "ru": ("Защита двигателя",),
               "el": ("Προστασία κινητήρα",), "th": ("ระบบป้องกันเครื่องยนต์ทำงาน",), "hi": ("इंजन सुरक्षा सक्रिय",),
               "tr": ("Motor koruması etkin",), "pl": ("Ochrona silnika aktywna",), "nl": ("Motorbeveiliging actief",)},
    "server": {"en": ("Physical disk failed", "Redundancy lost"), "ru": ("Сбой физического диска",),
               "el": ("Αποτυχία φυσικού δίσκου",), "th": ("ดิสก์ขัดข้อง",), "hi": ("डिस्क विफल",),
               "tr": ("Fiziksel disk arızalı",), "pl": ("Awaria dysku",), "nl": ("Fysieke schijf defect",)},
    "console": {"en": ("Something went wrong", "Cannot connect to the server"), "ru": ("Что-то пошло не так",),
                "el": ("Κάτι πήγε στραβά",), "th": ("เกิดข้อผิดพลาดบางอย่าง",), "hi": ("कुछ गलत हो गया",),
                "tr": ("Bir sorun oluştu",), "pl": ("Coś poszło nie tak",), "nl": ("Er is iets misgegaan",)},
    "camera": {"en": ("Shooting is not possible", "Turn the power off and on"), "ru": ("Съёмка невозможна",),
               "el": ("Η λήψη δεν είναι δυνατή",), "th": ("ไม่สามารถถ่ายภาพได้",), "hi": ("शूटिंग संभव नहीं",),
               "tr": ("Çekim yapılamıyor",), "pl": ("Nie można robić zdjęć",), "nl": ("Opnemen niet mogelijk",)},
    "ebike": {"en": ("Assist unavailable", "Restart the system"), "ru": ("Помощь недоступна",),
              "el": ("Η υποβοήθηση δεν είναι διαθέσιμη",), "th": ("ระบบช่วยปั่นไม่ทำงาน",), "hi": ("सहायता उपलब्ध नहीं",),
              "tr": ("Destek kullanılamıyor",), "pl": ("Wspomaganie niedostępne",), "nl": ("Ondersteuning niet beschikbaar",)},
    "atm": {"en": ("Cash dispenser out of service", "Temporarily out of order"), "ru": ("Диспенсер не работает",),
            "el": ("Ο διανομέας εκτός λειτουργίας",), "th": ("เครื่องจ่ายเงินขัดข้อง",), "hi": ("कैश डिस्पेंसर बंद है",),
            "tr": ("Para veren ünite arızalı",), "pl": ("Dozownik gotówki nieczynny",), "nl": ("Geldautomaat buiten gebruik",)},
    "security": {"en": ("Zone trouble", "System not ready"), "ru": ("Неисправность зоны",), "el": ("Πρόβλημα ζώνης",),
                 "th": ("โซนขัดข้อง",), "hi": ("ज़ोन में समस्या",), "tr": ("Bölge arızası",), "pl": ("Usterka strefy",),
                 "nl": ("Zonestoring",)},
    "telecom": {"en": ("Cell unavailable", "RF unit link failure"), "ru": ("Сота недоступна",),
                "el": ("Η κυψέλη δεν είναι διαθέσιμη",), "th": ("เซลล์ใช้งานไม่ได้",), "hi": ("सेल उपलब्ध नहीं",),
                "tr": ("Hücre kullanılamıyor",), "pl": ("Komórka niedostępna",), "nl": ("Cel niet beschikbaar",)},
    "plc": {"en": ("CPU in STOP", "I/O module missing"), "ru": ("ЦП в режиме STOP",), "el": ("CPU σε STOP",),
            "th": ("ซีพียูหยุดทำงาน",), "hi": ("सीपीयू STOP में",), "tr": ("CPU STOP modunda",), "pl": ("CPU w trybie STOP",),
            "nl": ("CPU in STOP",)},
    "drone": {"en": ("Compass calibration failed", "Landing now"), "ru": ("Ошибка калибровки компаса",),
              "el": ("Αποτυχία βαθμονόμησης πυξίδας",), "th": ("ปรับเทียบเข็มทิศไม่สำเร็จ",), "hi": ("कंपास कैलिब्रेशन विफल",),
              "tr": ("Pusula kalibrasyonu başarısız",), "pl": ("Kalibracja kompasu nieudana",),
              "nl": ("Kompaskalibratie mislukt",)},
}

FRESH2_STATUS: dict[str, tuple[str, ...]] = {  # what these devices say when all is well
    "en": ("Ready", "Running", "All systems normal", "Connected"), "ru": ("Готов", "Работа", "Норма"),
    "el": ("Έτοιμο", "Σε λειτουργία", "Κανονικά"), "th": ("พร้อม", "กำลังทำงาน", "ปกติ"), "hi": ("तैयार", "चालू", "सामान्य"),
    "tr": ("Hazır", "Çalışıyor", "Normal"), "pl": ("Gotowe", "Praca", "Normalnie"), "nl": ("Gereed", "In bedrijf", "Normaal"),
}


_d, _pick, _t = rand_int, pick, template_line


# The ordinary numbers each kind of device shows; several are shaped like codes and are not the code.
FRESH2_ORDINARY: dict[str, tuple[Callable[[np.random.Generator], str], ...]] = {
    "robot": (lambda r: f"J{_d(r, 1, 6)} {_d(r, -180, 180)}.{_d(r, 0, 999):03d} deg", lambda r: f"Override {_d(r, 1, 100)}%",
              _t("Prog PNS0{d3}"), _t("Part A06B-6{d3}-H{d3}"), _t("SW V9.{[1-4]1}0P/{d2}"),
              lambda r: f"Cycle {_d(r, 5, 90)}.{_d(r, 0, 9)} s"),
    "agri": (lambda r: f"{_d(r, 800, 2300)} rpm", lambda r: f"Fuel {_d(r, 3, 100)}%", lambda r: f"Coolant {_d(r, 40, 105)}°C",
             lambda r: f"{_d(r, 0, 40)}.{_d(r, 0, 9)} km/h", lambda r: f"Hours {_d(r, 10, 20000)}.{_d(r, 0, 9)} h",
             lambda r: f"Area {_d(r, 0, 400)}.{_d(r, 0, 99):02d} ha", _t("UT v{[3-4]1}.{d1}")),
    "marine": (lambda r: f"RPM {_d(r, 600, 3800)}", lambda r: f"Coolant {_d(r, 50, 95)}°C",
               lambda r: f"Oil {_d(r, 1, 6)}.{_d(r, 0, 9)} bar", lambda r: f"Batt {_d(r, 11, 14)}.{_d(r, 0, 9)} V",
               lambda r: f"Engine hours {_d(r, 10, 9000)}", lambda r: f"Depth {_d(r, 1, 80)}.{_d(r, 0, 9)} m",
               lambda r: f"Trim {_d(r, 0, 100)}%"),
    "server": (_t("Service Tag {[1-9]1}{[A-Z]2}{d1}{[A-Z]1}{d1}{[A-Z]1}"), lambda r: f"Inlet {_d(r, 18, 35)}°C",
               lambda r: f"PSU1 {_d(r, 90, 900)} W", _t("BIOS 2.{[1-9]1}.{d1}"), lambda r: f"Fan1 {_d(r, 3000, 14000)} RPM",
               _t("Disk 0:1:{[0-9]1}"), lambda r: f"iDRAC 10.{_d(r, 0, 255)}.{_d(r, 0, 255)}.{_d(r, 1, 254)}",
               lambda r: f"RAID 5, {_d(r, 2, 96)} TB"),
    "console": (lambda r: f"{_d(r, 10, 800)}.{_d(r, 0, 9)} GB free", lambda r: f"Download {_d(r, 0, 99)}%",
                _t("System software {[1-2]1}{d1}.{d2}.{d2}.{d2}"), lambda r: f"Ping {_d(r, 8, 180)} ms",
                lambda r: f"{_d(r, 1, 300)} Mbps"),
    "camera": (lambda r: f"ISO {_pick(r, ('100', '200', '400', '800', '1600', '3200'))}",
               lambda r: f"1/{_pick(r, ('60', '125', '250', '500', '1000'))}", _t("F{(2.8|4.0|5.6|8.0|11)}"),
               lambda r: f"[{_d(r, 10, 9999)}]", lambda r: f"Batt {_d(r, 5, 100)}%",
               lambda r: f"TC {_d(r, 0, 9):02d}:{_d(r, 0, 59):02d}:{_d(r, 0, 59):02d}:{_d(r, 0, 24):02d}"),
    "ebike": (lambda r: f"{_d(r, 0, 32)}.{_d(r, 0, 9)} km/h", lambda r: f"Range {_d(r, 3, 160)} km",
              lambda r: f"ODO {_d(r, 10, 40000)} km", lambda r: f"Trip {_d(r, 0, 120)}.{_d(r, 0, 9)} km",
              lambda r: f"Cadence {_d(r, 0, 120)} rpm", lambda r: f"Batt {_d(r, 1, 100)}%"),
    "atm": (_t("Cassette {[1-4]1}: {n3} notes"), _t("Terminal ID {[A-Z]2}{d6}"), _t("SEQ {d4}"),
            lambda r: f"Reject bin {_d(r, 0, 50)}", _t("Receipt paper {[1-9]1}0%"),
            lambda r: f"{_d(r, 1, 28):02d}/{_d(r, 1, 12):02d}/{_d(r, 2024, 2026)} {_d(r, 0, 23):02d}:{_d(r, 0, 59):02d}"),
    "security": (_t("Zone 0{[0-6]1}{d1}"), _t("Partition {[1-8]1}"), lambda r: f"Batt {_d(r, 12, 13)}.{_d(r, 0, 9)} V",
                 lambda r: f"{_d(r, 1, 28):02d}/{_d(r, 1, 12):02d} {_d(r, 0, 23):02d}:{_d(r, 0, 59):02d}",
                 _t("Account {d4}"), _t("User {[0-4]1}{d1}")),
    "telecom": (_t("Site {[A-Z]3}{d4}"), lambda r: f"Cell {_d(r, 1, 12)}", lambda r: f"RSSI -{_d(r, 60, 115)} dBm",
                lambda r: f"Board slot {_d(r, 0, 7)}", lambda r: f"VSWR 1.{_d(r, 1, 9)}", _t("eNodeB ID {n6}"),
                lambda r: f"Temp {_d(r, 20, 70)}°C"),
    "plc": (_t("OB{(1|35|80|82|86|121)}"), lambda r: f"Cycle {_d(r, 1, 150)} ms", _t("DB{n2}.DBX{d1}.{[0-7]1}"),
            _t("I{d1}.{[0-7]1}"), _t("FW V{[1-4]1}.{d1}.{d1}"), lambda r: f"Slot {_d(r, 0, 17)}",
            lambda r: f"IP 192.168.{_d(r, 0, 9)}.{_d(r, 1, 254)}"),
    "drone": (lambda r: f"Alt {_d(r, 0, 120)} m", lambda r: f"Dist {_d(r, 0, 2000)} m", lambda r: f"Batt {_d(r, 5, 100)}%",
              lambda r: f"GPS {_d(r, 4, 22)}", lambda r: f"H.S {_d(r, 0, 15)}.{_d(r, 0, 9)} m/s",
              lambda r: f"Flight {_d(r, 0, 40):02d}:{_d(r, 0, 59):02d}"),
}
FRESH2_KINDS: tuple[str, ...] = tuple(FRESH2_ORDINARY)


def fresh2_formats_of(families: list[str] | tuple[str, ...]) -> list[Fresh2Format]:
    """The formats of the given fresh2 families (ValueError on an unknown family)."""
    unknown = set(families) - set(FRESH2_FAMILIES)
    if unknown:
        raise ValueError(f"unknown fresh2 families {sorted(unknown)}; known: {', '.join(FRESH2_FAMILIES)}")
    return [f for f in FRESH2_FORMATS if f.family in families]


def pick_fresh2_lang(rng: np.random.Generator) -> str:
    """A language for a screen, English most often."""
    return FRESH2_LANGS[int(rng.choice(len(FRESH2_LANGS), p=FRESH2_LANG_WEIGHTS))]


def fresh2_ordinary_line(kind: str, rng: np.random.Generator) -> str:
    """A line holding an ordinary number of this kind of device."""
    return ordinary_line(FRESH2_ORDINARY, kind, rng)


def fresh2_error_content(fmt: Fresh2Format, rng: np.random.Generator, lang: str, distractors: int
                         ) -> tuple[ScreenContent, str]:
    """An error screen of this format and how it writes the code: caption and code, a message or two, and
    ordinary-number lines."""
    return family_error_content(fmt, rng, lang, distractors, FRESH2_CAPTIONS, FRESH2_MESSAGES, fresh2_ordinary_line)


def fresh2_negative_content(rng: np.random.Generator, lang: str, kind: str) -> ScreenContent:
    """A screen of this kind of device without an error: a status word and 3-5 lines of ordinary numbers."""
    return family_negative_content(rng, lang, kind, FRESH2_STATUS, fresh2_ordinary_line)
