"""The fresh evaluation split (issue 10, honest measurement): device families nobody tuning the reader has seen.

People who tune the reader must not read this module or testkit/synth/fresh_screens.py: the split measures how
the reader does on formats, captions, languages, layouts and fonts it was never adjusted to. Each format
imitates how a class of real devices writes its codes (vendor manuals and service guides, listed in
docs/performance.md, "Fresh evaluation families"); codes are drawn at random from the format's templates,
never copied from a catalog. Captions and messages come in eight languages (Arabic right to left, Korean and
Chinese among them); screens without a code carry the ordinary numbers of the same devices.

Templates use the classes of testkit/synth/formats.py ({dN} digits, {nN} digits not starting with 0, {HN} hex,
{AN} letters, {[set]N}) plus {(ALT|ERN|ATIVES)}: one of the listed strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from testkit.synth.formats import draw_template
from testkit.synth.open_text import ScreenContent, ScreenLine

_ALTERNATION = re.compile(r"\{\(([^)]*)\)\}")


def draw_fresh_template(template: str, rng: np.random.Generator) -> str:
    """A random string of a template (alternations first, then the character classes)."""
    def pick(m: re.Match[str]) -> str:
        options = m.group(1).split("|")
        return options[int(rng.integers(len(options)))]

    return draw_template(_ALTERNATION.sub(pick, template), rng)


@dataclass(frozen=True, slots=True)
class FreshFormat:
    """One way a device family writes a code: templates to draw from, grammar to check, caption to show."""

    name: str
    family: str
    kind: str  # key of FRESH_MESSAGES, FRESH_ORDINARY and KIND_LAYOUTS
    templates: tuple[str, ...]
    grammar: str  # regular expression every drawn code fully matches
    caption: str  # key of FRESH_CAPTIONS, or "" for a code shown bare
    source: str  # the documentation the shape imitates (described in docs/performance.md)
    shown: str = "{code}"  # how the screen writes the code ("#{code}", "({code})", "{code} time-out")
    adjacent: bool = False  # the caption must touch the code (a bare number means nothing on its own)
    segment: bool = False  # may be shown on a seven/fourteen-segment panel

    def draw(self, rng: np.random.Generator) -> str:
        """One random code of this format."""
        return draw_fresh_template(self.templates[int(rng.integers(len(self.templates)))], rng)

    def accepted(self, code: str) -> tuple[str, ...]:
        """Every spelling that counts as reading the code: the code, then how the screen writes it."""
        shown = self.shown.format(code=code)
        return (code, shown) if shown != code and " " not in shown.replace(code, "") else (code,)


FRESH_FORMATS: tuple[FreshFormat, ...] = (
    # Lifts: controller error ids of four digits, drive keypad mnemonics, event numbers of a fault log.
    FreshFormat("elev-error-id", "elevator", "elevator", ("{[0-5]1}{d3}",), r"[0-5]\d{3}", "error_id",
                "lift controller diagnostics, error ids by range", adjacent=True, segment=True),
    FreshFormat("elev-drive-mnemonic", "elevator", "elevator", ("{A1}{[a-z]1}{A1}-{d2}", "{[a-z]1}{A1}-{d2}"),
                r"[A-Z]?[a-z][A-Z]-\d\d", "", "lift drive fault messages (mixed-case mnemonic, dash, number)"),
    FreshFormat("elev-event", "elevator", "elevator", ("{[1-5]1}{d2}",), r"[1-5]\d\d", "event",
                "lift drive event overview, numbered by fault group", adjacent=True),
    # Infusion pumps: master/slave processor fail-safe codes, bracketed error pairs.
    FreshFormat("pump-processor", "infusion", "medical", ("{[ML]1}00{d4}",), r"[ML]00\d{4}", "error",
                "syringe pump service manual, fail-safe errors of the master and slave processors"),
    FreshFormat("pump-paren", "infusion", "medical", ("{n2},{d1}", "{[1-3]1}{d2}"), r"[1-9]\d,\d|[1-3]\d\d",
                "error", "volumetric pump troubleshooting sheet, error codes in brackets", shown="({code})"),
    # EV chargers: OCPP vendorErrorCode in the proposed minimum-required-error-code hex form, ChargeX fault codes.
    FreshFormat("ev-mrec-hex", "evcharger", "ev", ("{[AF]1}{H3}",), r"[AF][0-9A-F]{3}", "fault",
                "minimum required error codes for OCPP 1.6 (user-actionable A0xx, safety F0xx)"),
    FreshFormat("ev-chargex", "evcharger", "ev", ("CX{d3}",), r"CX\d{3}", "fault",
                "ChargeX consortium fault codes mapped to OCPP error codes"),
    # UPS: two-digit fault codes beside a fault icon.
    FreshFormat("ups-fault-segment", "ups", "ups", ("{[0-4]1}{[1-9]1}",), r"[0-4][1-9]", "fault",
                "line-interactive UPS manual, fault reference codes with the ERROR icon", adjacent=True,
                segment=True),
    FreshFormat("ups-fault-text", "ups", "ups", ("{[0-4]1}{[1-9]1}",), r"[0-4][1-9]", "fault",
                "the same fault codes on a text status display", adjacent=True),
    # Cable modems: DOCSIS event-log ids, ranging time-outs.
    FreshFormat("docsis-event", "router", "network", ("{[TRUICD]1}{d2}.{d1}", "{[TRUICD]1}{d3}.{d1}"),
                r"[TRUICD]\d{2,3}\.\d", "event", "cable modem installation manual, event log message codes"),
    FreshFormat("docsis-timeout", "router", "network", ("T{[1-4]1}",), r"T[1-4]", "",
                "DOCSIS T1-T4 time-out events", shown="{code} time-out"),
    # 3D printers: five-digit QR error codes, health-management codes in four hex groups, device errors.
    FreshFormat("prusa-qr", "printer3d", "printer3d", ("{[1-3]1}{d1}{[1-8]1}{d2}",), r"[1-3]\d[1-8]\d\d", "error",
                "3D printer QR error codes XXYZZ (printer, category, error)", shown="#{code}"),
    FreshFormat("bambu-hms", "printer3d", "printer3d", ("0{[3578C]1}00-{[0-2]1}{[0-3]1}00-000{[1-3]1}-{H4}",),
                r"0[3578C]00-[0-2][0-3]00-000[1-3]-[0-9A-F]{4}", "hms",
                "3D printer health management system codes (module, part, level, id)"),
    FreshFormat("bambu-device", "printer3d", "printer3d", ("0{[35C]1}00-{[48]1}{H3}",), r"0[35C]00-[48][0-9A-F]{3}",
                "error", "3D printer device error codes of eight hex digits, shown in two groups"),
    # Solar inverters: hex error codes with an x, state codes, event numbers.
    FreshFormat("solaredge-x", "solar", "solar", ("{[1-9]1}x{H2}", "{[1-4]1}{d1}x{H2}"),
                r"[1-9]x[0-9A-F]{2}|[1-4]\dx[0-9A-F]{2}", "error", "inverter installation guide, error codes like 3x9A"),
    FreshFormat("fronius-state", "solar", "solar", ("{[1-9]1}{d2}",), r"[1-9]\d\d", "state",
                "inverter STATE codes by group (1xx grid, 3xx power stage ...)", adjacent=True),
    FreshFormat("sma-event", "solar", "solar", ("{[1-9]1}{d3}",), r"[1-9]\d{3}", "event",
                "inverter event messages numbered by event number", adjacent=True),
    # CNC controllers: two-letter alarm class and four digits, class letter, group and number, drive faults.
    FreshFormat("fanuc-alarm", "cnc", "cnc", ("{(SV|PS|OT|SW|OH|SP|DS|IO|PW|EX)}{d4}",),
                r"(SV|PS|OT|SW|OH|SP|DS|IO|PW|EX)\d{4}", "alarm", "CNC alarm classes PS, SV, OT ... with four digits"),
    FreshFormat("mitsubishi-alarm", "cnc", "cnc", ("{[SMZY]1}{d2} {d4}",), r"[SMZY]\d\d \d{4}", "",
                "CNC alarm classes M, S, Z, Y with a group and a four-digit number"),
    FreshFormat("drive-fault", "cnc", "cnc", ("{[FA]1}0{[1-7]1}{d3}",), r"[FA]0[1-7]\d{3}", "",
                "drive faults and alarms F0xxxx / A0xxxx of machine-tool drives"),
    # Fire alarm panels: loop/device addresses of the point in trouble.
    FreshFormat("fire-point", "firepanel", "fire", ("{[1-9]1}{[DM]1}{d3}",), r"[1-9][DM]\d{3}", "trouble",
                "fire alarm panel trouble display: loop, detector or module, address"),
    FreshFormat("fire-loop-colon", "firepanel", "fire", ("L{[1-8]1}:{d3}",), r"L[1-8]:\d{3}", "trouble",
                "fire suppression panel trouble message: SLC loop and device"),
    # Car dashboards: alert ids of a vehicle's controllers.
    FreshFormat("car-alert", "dashboard", "vehicle",
                ("{(BMS|VCFRONT|VCLEFT|VCRIGHT|DI|UI|APP|GTW|CP|THC|EPAS)}_{[awuf]1}{d3}",),
                r"(BMS|VCFRONT|VCLEFT|VCRIGHT|DI|UI|APP|GTW|CP|THC|EPAS)_[awuf]\d{3}", "alert",
                "electric car alert codes, controller prefix and alert id"),
    FreshFormat("car-alert-dash", "dashboard", "vehicle",
                ("{(BMS|VCFRONT|DI|UI|APP|GTW|CP|THC)}-{[AWUF]1}{d3}",),
                r"(BMS|VCFRONT|DI|UI|APP|GTW|CP|THC)-[AWUF]\d{3}", "alert",
                "the same alert codes as third-party lists write them"),
    # Forklifts: engine-controller pairs, two-character controller codes.
    FreshFormat("forklift-pair", "forklift", "forklift", ("{[0-6]1}{[1-9]1}-0{[1-9]1}",), r"[0-6][1-9]-0[1-9]",
                "error", "forklift error code list, group and detail with a dash", segment=True),
    FreshFormat("forklift-hex2", "forklift", "forklift", ("{[1-9]1}{[A-F]1}", "{[A-F]1}{[1-9]1}"),
                r"[1-9][A-F]|[A-F][1-9]", "code", "reach-truck service bulletins, codes like 9E and A5",
                adjacent=True, segment=True),
    # Coffee machines: a digit after "Error", appliance E-codes.
    FreshFormat("coffee-error-digit", "coffee", "coffee", ("{[1-9]1}",), r"[1-9]", "error",
                "bean-to-cup machine fault messages, a single digit", adjacent=True, segment=True),
    FreshFormat("coffee-e-digit", "coffee", "coffee", ("E{[1-9]1}",), r"E[1-9]", "",
                "appliance E1-E9 codes with beep counts", segment=True),
)

FRESH_FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(f.family for f in FRESH_FORMATS))

FRESH_LANGS: tuple[str, ...] = ("en", "zh", "de", "es", "ar", "ko", "it", "pt")
FRESH_LANG_WEIGHTS: tuple[float, ...] = (0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1)

FRESH_CAPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "error": {"en": ("Error", "ERROR", "Error code:"), "zh": ("错误", "错误代码："), "de": ("Fehler", "Fehlernummer:"),
              "es": ("Error", "Código de error:"), "ar": ("خطأ", "رمز الخطأ:"), "ko": ("오류", "오류 코드:"),
              "it": ("Errore", "Codice errore:"), "pt": ("Erro", "Código de erro:")},
    "error_id": {"en": ("Error ID",), "zh": ("错误编号",), "de": ("Fehler-ID",), "es": ("ID de error",),
                 "ar": ("معرّف الخطأ",), "ko": ("오류 ID",), "it": ("ID errore",), "pt": ("ID do erro",)},
    "event": {"en": ("Event", "Event ID:"), "zh": ("事件",), "de": ("Ereignis",), "es": ("Evento",), "ar": ("حدث",),
              "ko": ("이벤트",), "it": ("Evento",), "pt": ("Evento",)},
    "fault": {"en": ("Fault", "Fault code:"), "zh": ("故障",), "de": ("Störung",), "es": ("Fallo",), "ar": ("عطل",),
              "ko": ("고장",), "it": ("Guasto",), "pt": ("Falha",)},
    "state": {"en": ("STATE", "State"), "zh": ("状态",), "de": ("STATUS",), "es": ("ESTADO",), "ar": ("الحالة",),
              "ko": ("상태",), "it": ("STATO",), "pt": ("ESTADO",)},
    "alarm": {"en": ("ALARM", "Alarm"), "zh": ("报警",), "de": ("Alarm",), "es": ("Alarma",), "ar": ("إنذار",),
              "ko": ("알람",), "it": ("Allarme",), "pt": ("Alarme",)},
    "trouble": {"en": ("TROUBLE", "TRBL"), "zh": ("故障点",), "de": ("STÖRUNG",), "es": ("AVERÍA",), "ar": ("خلل",),
                "ko": ("이상",), "it": ("GUASTO",), "pt": ("AVARIA",)},
    "hms": {lang: ("HMS",) for lang in FRESH_LANGS},
    "alert": {"en": ("Alert",), "zh": ("警报",), "de": ("Warnung",), "es": ("Alerta",), "ar": ("تنبيه",), "ko": ("경고",),
              "it": ("Avviso",), "pt": ("Alerta",)},
    "code": {"en": ("Code",), "zh": ("代码",), "de": ("Code",), "es": ("Código",), "ar": ("رمز",), "ko": ("코드",),
             "it": ("Codice",), "pt": ("Código",)},
}

FRESH_MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "elevator": {"en": ("Lift out of service", "Car stopped between floors"), "zh": ("电梯停止服务",),
                 "de": ("Aufzug außer Betrieb",), "es": ("Ascensor fuera de servicio",), "ar": ("المصعد خارج الخدمة",),
                 "ko": ("엘리베이터 운행 중지",), "it": ("Ascensore fuori servizio",), "pt": ("Elevador fora de serviço",)},
    "medical": {"en": ("Infusion stopped", "Call biomedical service"), "zh": ("输液已停止",), "de": ("Infusion gestoppt",),
                "es": ("Infusión detenida",), "ar": ("توقف التسريب",), "ko": ("주입 중지됨",), "it": ("Infusione arrestata",),
                "pt": ("Infusão interrompida",)},
    "ev": {"en": ("Charging interrupted", "Unplug the vehicle and try again"), "zh": ("充电中断",),
           "de": ("Ladevorgang unterbrochen",), "es": ("Carga interrumpida",), "ar": ("توقف الشحن",), "ko": ("충전 중단",),
           "it": ("Ricarica interrotta",), "pt": ("Carregamento interrompido",)},
    "ups": {"en": ("UPS shut down", "Load on bypass"), "zh": ("不间断电源已关闭",), "de": ("USV abgeschaltet",),
            "es": ("SAI apagado",), "ar": ("تم إيقاف مزود الطاقة",), "ko": ("UPS 정지",), "it": ("UPS spento",),
            "pt": ("Nobreak desligado",)},
    "network": {"en": ("No upstream connection", "Modem is restarting"), "zh": ("上行连接中断",),
                "de": ("Keine Verbindung zum Netz",), "es": ("Sin conexión ascendente",), "ar": ("لا يوجد اتصال",),
                "ko": ("업스트림 연결 없음",), "it": ("Nessuna connessione",), "pt": ("Sem conexão",)},
    "printer3d": {"en": ("Print paused", "Heating failed"), "zh": ("打印已暂停",), "de": ("Druck pausiert",),
                  "es": ("Impresión en pausa",), "ar": ("تم إيقاف الطباعة مؤقتا",), "ko": ("출력 일시 중지",),
                  "it": ("Stampa in pausa",), "pt": ("Impressão pausada",)},
    "solar": {"en": ("Not feeding into the grid", "Grid voltage out of range"), "zh": ("停止并网",),
              "de": ("Keine Einspeisung",), "es": ("Sin inyección a red",), "ar": ("لا يتم التغذية للشبكة",),
              "ko": ("계통 연계 중지",), "it": ("Nessuna immissione in rete",), "pt": ("Sem injeção na rede",)},
    "cnc": {"en": ("Axis stopped", "Reset the alarm before restarting"), "zh": ("轴已停止",), "de": ("Achse gestoppt",),
            "es": ("Eje detenido",), "ar": ("توقف المحور",), "ko": ("축 정지",), "it": ("Asse fermo",), "pt": ("Eixo parado",)},
    "fire": {"en": ("Detector not responding", "Open circuit"), "zh": ("探测器无响应",), "de": ("Melder antwortet nicht",),
             "es": ("El detector no responde",), "ar": ("الكاشف لا يستجيب",), "ko": ("감지기 응답 없음",),
             "it": ("Rivelatore non risponde",), "pt": ("Detector sem resposta",)},
    "vehicle": {"en": ("Service required", "Vehicle may not restart"), "zh": ("需要维修",), "de": ("Service erforderlich",),
                "es": ("Se requiere servicio",), "ar": ("الصيانة مطلوبة",), "ko": ("정비 필요",),
                "it": ("Assistenza necessaria",), "pt": ("Revisão necessária",)},
    "forklift": {"en": ("Travel speed limited", "Contact your service technician"), "zh": ("行驶速度受限",),
                 "de": ("Fahrgeschwindigkeit begrenzt",), "es": ("Velocidad limitada",), "ar": ("السرعة محدودة",),
                 "ko": ("주행 속도 제한",), "it": ("Velocità limitata",), "pt": ("Velocidade limitada",)},
    "coffee": {"en": ("Switch the machine off and on", "Brewing unit blocked"), "zh": ("请关机后重新开机",),
               "de": ("Gerät aus- und einschalten",), "es": ("Apague y encienda la cafetera",),
               "ar": ("أطفئ الجهاز ثم شغله",), "ko": ("전원을 껐다 켜 주세요",), "it": ("Spegnere e riaccendere",),
               "pt": ("Desligue e ligue a máquina",)},
}

FRESH_STATUS: dict[str, tuple[str, ...]] = {  # words any of these devices shows when all is well
    "en": ("Normal", "Online", "Running", "System normal", "Ready"), "zh": ("正常", "在线", "运行中", "就绪"),
    "de": ("Normal", "Online", "Betrieb", "Bereit"), "es": ("Normal", "En línea", "En marcha", "Listo"),
    "ar": ("عادي", "متصل", "يعمل", "جاهز"), "ko": ("정상", "온라인", "운전 중", "준비"),
    "it": ("Normale", "In linea", "In funzione", "Pronto"), "pt": ("Normal", "Online", "Em operação", "Pronto"),
}


def _d(r: np.random.Generator, lo: int, hi: int) -> int:
    return int(r.integers(lo, hi + 1))


def _pick(r: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(r.integers(len(options)))]


# The ordinary numbers each kind of device shows, written as such devices print them (units attached or not).
FRESH_ORDINARY: dict[str, tuple[Callable[[np.random.Generator], str], ...]] = {
    "elevator": (lambda r: f"Floor {_d(r, -2, 40)}", lambda r: f"Load {_d(r, 0, 16) * 80} kg",
                 lambda r: f"Trips {_d(r, 1000, 999999)}", lambda r: f"Speed {_d(r, 5, 25) / 10:.1f} m/s"),
    "medical": (lambda r: f"Rate {_d(r, 1, 999)} mL/h", lambda r: f"VTBI {_d(r, 10, 1000)} mL",
                lambda r: f"HR {_d(r, 45, 140)} bpm", lambda r: f"SpO2 {_d(r, 85, 100)}%",
                lambda r: f"NIBP {_d(r, 95, 160)}/{_d(r, 55, 100)}"),
    "ev": (lambda r: f"{_d(r, 1, 80)}.{_d(r, 0, 9)} kWh", lambda r: f"Session {_d(r, 0, 5):02d}:{_d(r, 0, 59):02d}:{_d(r, 0, 59):02d}",
           lambda r: f"{_pick(r, ('7.4', '11', '22', '50', '150'))} kW", lambda r: f"{_d(r, 6, 32)} A",
           lambda r: f"0.{_d(r, 20, 79)} €/kWh"),
    "ups": (lambda r: f"Vin {_d(r, 200, 245)} V", lambda r: f"Vout {_d(r, 218, 232)} V",
            lambda r: f"Load {_d(r, 0, 100)}%", lambda r: f"Runtime {_d(r, 2, 90)} min",
            lambda r: f"{_pick(r, ('49.9', '50.0', '59.9', '60.0'))} Hz"),
    "network": (lambda r: f"Downstream {_d(r, 100, 999)}.0 MHz", lambda r: f"SNR {_d(r, 30, 42)}.{_d(r, 0, 9)} dB",
                lambda r: f"Power {_d(r, -9, 9)}.{_d(r, 0, 9)} dBmV", lambda r: f"Uptime {_d(r, 0, 40)}d {_d(r, 0, 23)}h",
                lambda r: f"Channels {_d(r, 8, 32)}/{_d(r, 4, 8)}"),
    "printer3d": (lambda r: f"Nozzle {_d(r, 20, 260)}/{_d(r, 200, 260)}°C", lambda r: f"Bed {_d(r, 20, 100)}/{_d(r, 50, 100)}°C",
                  lambda r: f"Layer {_d(r, 1, 99)}/{_d(r, 100, 400)}", lambda r: f"Z {_d(r, 0, 250)}.{_d(r, 0, 99):02d} mm",
                  lambda r: f"Remaining {_d(r, 0, 9)}h {_d(r, 0, 59)}m"),
    "solar": (lambda r: f"Pac {_d(r, 0, 9999)}.{_d(r, 0, 9)} W", lambda r: f"Vdc {_d(r, 150, 600)}.{_d(r, 0, 9)} V",
              lambda r: f"Today {_d(r, 0, 60)}.{_d(r, 0, 9)} kWh", lambda r: f"Total {_d(r, 1000, 99999)} kWh"),
    "cnc": (lambda r: f"X {_d(r, -500, 500)}.{_d(r, 0, 999):03d}", lambda r: f"Y {_d(r, -300, 300)}.{_d(r, 0, 999):03d}",
            lambda r: f"S {_d(r, 0, 120) * 100} rpm", lambda r: f"F {_d(r, 10, 900)} mm/min",
            lambda r: f"Parts {_d(r, 0, 9999)}"),
    "fire": (lambda r: f"Zone {_d(r, 1, 99)}", lambda r: f"Devices {_d(r, 10, 318)}",
             lambda r: f"Batt {_d(r, 24, 28)}.{_d(r, 0, 9)} V", lambda r: f"{_d(r, 0, 23):02d}:{_d(r, 0, 59):02d}"),
    "vehicle": (lambda r: f"ODO {_d(r, 100, 250000)} km", lambda r: f"Range {_d(r, 5, 600)} km",
                lambda r: f"{_d(r, 0, 130)} km/h", lambda r: f"{_d(r, -10, 35)}°C", lambda r: f"{_d(r, 5, 100)}%"),
    "forklift": (lambda r: f"Hours {_d(r, 10, 30000)}.{_d(r, 0, 9)} h", lambda r: f"Batt {_d(r, 5, 100)}%",
                 lambda r: f"Load {_d(r, 0, 40) * 50} kg", lambda r: f"Height {_d(r, 0, 9)}.{_d(r, 0, 9)} m"),
    "coffee": (lambda r: f"Cups {_d(r, 1, 9999)}", lambda r: f"Water {_d(r, 2, 50) * 10} ml",
               lambda r: f"Temp {_d(r, 85, 96)}°C", lambda r: f"Grind {_d(r, 1, 9)}"),
}
KINDS: tuple[str, ...] = tuple(FRESH_ORDINARY)


def fresh_formats_of(families: list[str] | tuple[str, ...]) -> list[FreshFormat]:
    """The formats of the given fresh families (ValueError on an unknown family)."""
    unknown = set(families) - set(FRESH_FAMILIES)
    if unknown:
        raise ValueError(f"unknown fresh families {sorted(unknown)}; known: {', '.join(FRESH_FAMILIES)}")
    return [f for f in FRESH_FORMATS if f.family in families]


def pick_fresh_lang(rng: np.random.Generator) -> str:
    """A language for a screen, English most often."""
    return FRESH_LANGS[int(rng.choice(len(FRESH_LANGS), p=FRESH_LANG_WEIGHTS))]


def fresh_ordinary_line(kind: str, rng: np.random.Generator) -> str:
    """A line holding an ordinary number of this kind of device."""
    makers = FRESH_ORDINARY[kind]
    return makers[int(rng.integers(len(makers)))](rng)


def _caption_line(caption: str, shown: str, lang: str) -> str:
    """Caption and code on one line; CJK full-width colons touch the code, Arabic keeps its own order."""
    sep = "" if caption.endswith("：") else " "
    return f"{caption}{sep}{shown}"


def fresh_error_content(fmt: FreshFormat, rng: np.random.Generator, lang: str, distractors: int) -> ScreenContent:
    """An error screen of this format: caption and code, a message or two, and ordinary-number lines."""
    code = fmt.draw(rng)
    shown = fmt.shown.format(code=code)
    lines: list[ScreenLine] = []
    if fmt.caption:
        caption = _pick(rng, FRESH_CAPTIONS[fmt.caption][lang])
        if fmt.adjacent or rng.random() < 0.6:
            lines.append(ScreenLine(_caption_line(caption, shown, lang), "code"))
        else:
            lines += [ScreenLine(caption.rstrip(":："), "title"), ScreenLine(shown, "code")]
    else:
        lines.append(ScreenLine(shown, "code"))
    messages = FRESH_MESSAGES[fmt.kind][lang]
    for msg in rng.permutation(len(messages))[: _d(rng, 1, len(messages))]:
        lines.append(ScreenLine(messages[int(msg)], "text"))
    for _ in range(distractors):
        lines.insert(_d(rng, 0, len(lines)), ScreenLine(fresh_ordinary_line(fmt.kind, rng), "number"))
    return ScreenContent(tuple(lines), code, fmt.accepted(code), lang, fmt.kind)


def fresh_negative_content(rng: np.random.Generator, lang: str, kind: str) -> ScreenContent:
    """A screen of this kind of device without an error: a status word and 2-4 lines of ordinary numbers."""
    lines = [ScreenLine(_pick(rng, FRESH_STATUS[lang]), "title")]
    lines += [ScreenLine(fresh_ordinary_line(kind, rng), "number") for _ in range(_d(rng, 2, 4))]
    return ScreenContent(tuple(lines), "", (), lang, kind)
