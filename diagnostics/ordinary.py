"""Ordinary numbers on device screens (times, dates, prices, versions, addresses ...): never error codes."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mär(?:z)?|mai|okt|dez|janv|févr|avr|"
           r"juil|déc|ene|abr|ago|dic")
_UNITS = (r"mm|cm|km|kg|lbs?|ml|mV|mA|kW|kWh|Wh|Hz|kHz|MHz|GHz|rpm|dpi|ppm|psi|bar|kPa|hPa|MB|GB|KB|kB|TB|"
          r"Mbps|Gbps|kbps|dBm?|ms|sec|secs|min|mins|minutes|hrs?|hours?|days?|pages?|copies|sheets|pcs|"
          r"items|prints|cycles|lux|nits|mAh|bpm|mmHg|mmol/l|mg/dl|l/min|ml/h|m³|m3|gal|kVA|VA|Nm|mph|ft|oz|ppb|"
          r"mbar|kPa|MPa|cfm|BTU|µS|uS|mS|kvar|kVAh|kvarh|MWh|GWh")
_UNIT_LETTERS = r"[mglLVAWshx]"  # only with a space ("230 V"): attached, 2A or 5E may be a code
_LABEL_VALUE = (  # labels whose value is an identifier or a reading, never an error code
    r"s\s*/\s*n|sn|serial(?:\s*(?:no|number|#))?|ser\.?\s*no|model(?:\s*(?:no|number|#|name))?|mod\.|"
    r"p\s*/\s*n|part(?:\s*(?:no|number|#))?|product(?:\s*(?:code|no|id))?|order(?:\s*(?:no|number|#|id))?|"
    r"invoice|receipt|ticket|job(?:\s*id)?|batch|lot|account|acct|customer(?:\s*(?:no|id))?|user(?:\s*id)?|"
    r"seq(?:uence)?(?:\s*(?:no|nr|number|#))?|terminal(?:\s*id)?|"
    r"imei|imsi|iccid|pin|zip|postal\s*code|tel|phone|fax|mobile|hotline|(?<!service )call|ref(?:erence)?|asset|sku|upc|ean|"
    r"mac|ip|ipv[46]|gateway|dns|mask|ssid|port|host|version|ver\.?|fw|firmware|sw|software|build|rev\.?|"
    r"revision|release|bios|kernel|date|time|temp(?:erature)?|humidity|weight|speed|voltage|pressure|"
    r"total|subtotal|price|amount|balance|qty|quantity|count|counter|page|pg|copies|tray|"
    r"seite|página|pagina|artikel|bestell(?:nummer|nr)?|seriennummer|modell|numéro|modèle|"
    r"序列号|型号|版本|日期|时间|温度|电话|订单"
)

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(rx, re.IGNORECASE)) for kind, rx in (
    ("ip", r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])"),
    ("mac", r"(?<![\w:-])[0-9a-f]{2}(?:([:-])[0-9a-f]{2})(?:\1[0-9a-f]{2}){4}(?![\w:-])"),
    ("date", r"(?<![\w.:/-])\d{1,2}([./-])\d{1,2}\1(?:\d{4}|\d{2})(?![\w/]|[.:-]\d)"),
    ("date", r"(?<![\w.:/-])\d{4}([./-])\d{1,2}\1\d{1,2}(?![\w/]|[.:-]\d)"),
    ("date", r"(?<![\w./])\d{1,2}\.?\s*(?:" + _MONTHS + r")\.?,?\s*(?:\d{4}|\d{2})?(?![\w])"),
    ("date", r"(?<![\w])(?:" + _MONTHS + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?,?(?:\s+\d{4})?(?![\w])"),
    ("date", r"\d{2,4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?"),
    # A year and a month (2026-02, 2025/11): a log row's date cut short at the frame's edge or by OCR.
    ("date", r"(?<![\w.:/-])(?:19|20)\d{2}([-/.])(?:0[1-9]|1[0-2])(?!\d|\1\d)"),
    ("time", r"(?<![\w.:])\d{1,2}(?::[0-5]\d){1,2}(?:\s*[ap]\.?m\.?)?(?![\w:])"),
    ("time", r"(?<![\w.:])\d{1,2}\s*[ap]\.?m\.?(?!\w)"),
    ("time", r"(?<![\w.:])\d{1,2}h\d{2}(?!\w)"),
    ("temperature", r"[-+]?\d+(?:[.,]\d+)?\s*(?:°\s*[CF]?|℃|℉|º\s*[CF]?|deg\b)"),
    # Not the tail of a dotted code: 49.56.6F is a service code, not 56.6 °F.
    ("temperature", r"(?<![\w.])[-+]?\d+[.,]\d+\s*[CF](?![\w]|\.\w)"),  # 37.5F.D2 is a service code
    ("percent", r"\d+(?:[.,]\d+)?\s*%"),
    ("price", r"[$€£¥₹₩]\s*\d[\d,.']*"),
    ("price", r"\d[\d,.']*\s*(?:[$€£¥₹₩]|eur|usd|gbp|chf|cny|rmb|jpy|yuan|元|円)(?![\w])"),
    ("page", r"(?<![\w])\d+\s*(?:of|von|de|sur|di|/)\s*\d+(?![\w.:-])"),
    ("quantity", r"(?<![\w.:-])\d+(?:[.,]\d+)?\s?(?:" + _UNITS + r")(?![\w%°])"),
    ("quantity", r"(?<![\w.:-])\d+(?:[.,]\d+)?\s" + _UNIT_LETTERS + r"(?![\w%°])"),
    # A signed reading with its unit ("RSSI -83 dBm", "-12 V"): the sign is no code separator.
    ("quantity", r"(?<![\w.:-])[-+]\s?\d+(?:[.,]\d+)?\s?(?:" + _UNITS + r")(?![\w%°])"),
    # Axis positions of machine tools and printers ("X -153.697", "Z 12.50"; OCR or line preparation may drop the
    # space before a sign): a one-letter axis and a decimal reading.
    ("position", r"(?<![\w.-])[XYZABCUVW]\s*[-+]\d{1,5}\.\d{1,4}(?![\w.])"),
    ("position", r"(?<![\w.-])[XYZABCUVW]\s+\d{1,5}\.\d{2,4}(?![\w.])"),
    # PLC memory addresses: organisation and data blocks, data-block bits, input and output bits (OB35, DB12.DBX2.6,
    # I0.7): the program's places, shown beside its diagnostics.
    ("plc-address", r"(?<![\w.])(?:OB\d{1,3}|DB\d{1,4}(?:\.DB[XBWD]\d{1,5}(?:\.[0-7])?)?|[IQ]\d\.[0-7])(?![\w.])"),
    # Electricity meters' OBIS register ids (IEC 62056: C.1.0 serial, 1.8.0 energy, 0.9.1 time, F.F.0 error
    # register): the label of the reading beside it, not a code.
    ("register", r"(?<![\w.])(?:[CFLP]|\d{1,2})\.[0-9F]\.\d{1,2}(?![\w.])"),
    ("version", r"(?<![\w])v\.?\s?\d+(?:\.\d+)+[a-z]?(?![\w])"),
    ("version", r"(?<![\w])v\d+(?![\w.])"),
    ("number", r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w,])"),  # thousands separators: 1,200
    ("number", r"(?<![\w.,])\d+,\d{1,2}(?![\w,])"),  # decimal comma: 12,50
    ("phone", r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,8}){1,4}(?![\w]|-\w)"),
    ("phone", r"(?<![\w.-])\d{3}-\d{4}(?![\w-])"),  # a local number: 555-0199
    # The label ends in a space or punctuation: PG796 is a token of its own, not "page 796".
    ("labelled", r"(?<![\w])(?:" + _LABEL_VALUE + r")(?:\s+|\s*[.:#=]\s*)(?:no\.?|nr\.?|number|#)?\s*[:#=]?\s*"
                 r"[\w./:+()-]*\d[\w./:+()-]*"),
    ("labelled", r"\bat\s+\d{1,2}(?:[:.]\d{2})?\b"),  # "at 14.30"
))

# A signed reading with its unit, "-83 dBm" (grammar.prepare_line keeps the space before its sign).
SIGNED_READING = re.compile(r"[-+]\s?\d+(?:[.,]\d+)?\s?(?:" + _UNITS + r")(?![\w%°])")
_PHONE_MIN_DIGITS = 8  # shorter digit groups ("024-371") are as likely a code as a phone number


_UNIT_WORD = re.compile(rf"(?:{_UNITS}|iso|gps|rssi|snr|vswr|odo|trip|batt|bat|temp|hz|rpm|volt|amp|psi)",
                        re.IGNORECASE)


def is_unit(word: str) -> bool:
    """True when a word names a unit or a measured quantity (RPM, ISO, GPS, kWh): its number is a reading."""
    return _UNIT_WORD.fullmatch(word) is not None


@dataclass(frozen=True, slots=True)
class Ordinary:
    """A span of a text line holding an ordinary number, and what kind it is."""

    kind: str
    start: int
    end: int


def _valid(kind: str, text: str) -> bool:
    digits = re.findall(r"\d+", text)
    if kind == "date" and re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", text):
        a, b = int(digits[0]), int(digits[1])
        return 1 <= a <= 31 and 1 <= b <= 31 and min(a, b) <= 12  # 13.20.00 is no date: an HP code
    if kind == "date" and re.fullmatch(r"\d{4}[./-]\d{1,2}[./-]\d{1,2}", text):
        return 1 <= int(digits[1]) <= 12 and 1 <= int(digits[2]) <= 31
    if kind == "time":
        return int(digits[0]) <= 24
    if kind == "phone":
        return len("".join(digits)) >= _PHONE_MIN_DIGITS or text.lstrip().startswith(("+", "("))
    if kind == "ip":
        return all(int(d) <= 255 for d in digits[:4])
    return True


def ordinary_spans(line: str) -> list[Ordinary]:
    """Spans of the line that hold ordinary numbers (may overlap)."""
    out: list[Ordinary] = []
    for kind, rx in _RULES:
        for m in rx.finditer(line):
            if _valid(kind, m.group(0)):
                out.append(Ordinary(kind, m.start(), m.end()))
    return out


def ordinary_at(spans: list[Ordinary], start: int, end: int) -> Ordinary | None:
    """The ordinary span overlapping [start, end), if any."""
    return next((s for s in spans if s.start < end and start < s.end), None)
