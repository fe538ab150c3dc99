"""The open code grammar: code-like tokens of a text line, their shape, and confusion repair by position.

A code is found by its shape (letters, digits and separators mixed the way device codes are), not by membership
in a list. Which positions hold digits is inferred from the token itself: a run's majority, the letter prefix
and digit body structure, 0x for hex. Whether a shape is trusted on a given screen is decided by the caller
(extract.py) from its prior here and the context around it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from diagnostics.context import (
    has_keyword,
    is_abbreviated_caption,
    is_caption_word,
    is_garbled_label,
    is_keyword,
    keyword_before,
)
from diagnostics.known import NO_CODES, KnownCodes
from diagnostics.ordinary import SIGNED_READING, Ordinary, is_unit, ordinary_at, ordinary_spans

Shape = Literal["hex", "prefixed", "dotted", "grouped", "numeric", "short", "letters", "model", "group"]

# What OCR reads instead of a digit (e: a barred zero; b/g/q: 6 and 9 with open loops).
DIGIT_FIX = {
    "O": "0", "o": "0", "Q": "0", "D": "0", "U": "0", "@": "0", "°": "0", "e": "0", "θ": "0",
    "I": "1", "l": "1", "|": "1", "i": "1", "!": "1", "]": "1", "[": "1", "L": "1",
    "Z": "2", "z": "2", "S": "5", "s": "5", "$": "5", "B": "8", "G": "6", "b": "6", "g": "9", "q": "9", "T": "7",
}
# ... instead of a hex digit: B and D are hex digits themselves; lower-case hex letters are only upper-cased.
HEX_FIX = {k: v for k, v in DIGIT_FIX.items() if k not in "BDbe"}
# ... instead of a letter in a prefix: an E whose middle bar blurs into the stem reads as a currency sign.
LETTER_FIX = {"£": "E", "€": "E", "$": "S", "5": "S", "(": "C"}
# Prefix letters that are as often a misread digit at the prefix/body border (EO4 is E04, CHO5 is CH05).
_BORDER_DIGITS = frozenset("OoQlI|SsZzBG")
_NEAR_DIGITS = frozenset("OoQlI|")  # ... the ones drawn almost exactly like a digit (O and 0, l and 1)
# The underscore of controller alert ids (BMS_w107, PLC_a12) is a separator of its own: it is part of the code.
_SEPARATORS = "-.:_"
_SEPARATOR_FIX = {"–": "-", "—": "-", "~": "-", "=": "-", "·": ".", ";": ":", "：": ":"}
_GLYPHS = frozenset("@$|!£€°θ[]")  # symbols OCR substitutes for code glyphs

# Prior belief that a token of a shape is an error code, before context (extract.py adds keyword, prominence and
# catalog evidence and compares the sum with DiagnosticsConfig.code_threshold, 1.0 by default).
PRIOR = {
    "hex8": 1.1,  # 0x8007045D: nothing else on a screen looks like it
    "hex": 0.7,  # 0x7B: short hex also appears in technical text
    "prefixed-sep": 0.9,  # E-204, ERR-1024, E:15: prefix, separator, 3+ digits
    "prefixed-sep2": 0.75,  # AL-12, E:51: two digits after the separator
    "prefixed-long": 0.8,  # SC542, P0420, F0002: prefix and 3+ digits (also model numbers: M404)
    "prefixed-short": 0.5,  # E5, CH05, H6: appliance codes, but also channel and program numbers
    "spaced": 0.45,  # ALM 021, SC 542: a prefix word and a number, as often a label and a count (BR 40)
    "dotted-hex": 0.9,  # 49.4C02, 13.B2.D2: a hex letter after the dot is no decimal number
    "dotted3": 0.7,  # 13.20.00: three groups (dates with a year are ordinary and removed before)
    "dotted-small": 0.3,  # 2.4.1, 1.8.0: one digit per group, a version or a register more often than a code
    "dotted": 0.5,  # 79.04: as much a decimal reading as a code (alone under an error title: a code)
    "comma-pair": 0.3,  # (31,5): only in brackets, and then as much a reading as a code without a caption
    "grouped": 0.5,  # 024-371, U4-01 without a prefix: part numbers look the same
    "grouped33": 0.6,  # 105-977: three and three digits (no phone, date or time has this shape; copier status codes)
    "hex-groups": 0.8,  # 0300-0C00-0002-A41E: three or more groups of four hex digits (health-management codes)
    "long-prefix": 0.75,  # VCLEFT-W107, PUMP_F12: a controller or module mnemonic, a separator and an alert id
    "numeric": 0.25,  # 1602: only after "Error", "Code" ... (then even with one repaired glyph)
    "digit": 0.15,  # "Error 7": one digit, only right after an error keyword and ending its line
    "short": 0.45,  # 5E, 2A: segment displays, or after an error keyword
    "letters": 0.35,  # dE, OE, LE: only on bare segment displays or after an error keyword
    "model": 0.0,  # M404dn, WM14T790, HL2270DW: product names, never by shape alone
    "labelled-group": 1.0,  # SPN 421 FMI 16, MID 128 SID 217 FMI 15: two or more labelled numbers read as one code
    "named": 0.6,  # Err 23, M_STATUS 94: the device's own name for the number, printed as part of the code
    "code-groups": 0.8,  # R344 03 660, Y40 7894: a prefixed code and number groups after it, ending the line
    "byte-groups": 0.25,  # 03 F1 03 70: status bytes in hex, only right after an error label ("F.F: 03 F1 03 70")
}
EXTRA_GROUP = 0.2  # a second dash group (SC990-01, E000007-0001) makes a prefixed code more specific
MAX_TOKEN = 16  # alphanumerics; longer runs are serials, hashes or URLs
_SEGMENT_LOWER = frozenset("bcdhnortu")  # letters seven-segment displays draw in lower case (dE, bE, nF)
MODEL_MIN_LEN = 7  # four letter/digit runs make a model name only this long (P0A80 is an OBD code)
MAX_PREFIX = 4  # letters before the digits (ERR, ALM, SC, P); longer is a word
MAX_LONG_PREFIX = 8  # ... unless in capitals and followed by a dash or underscore and an id (VCFRONT-A123)
_DIGIT_LIKE_LEAD = frozenset("OoQ@Il|!SsZzBGbg")  # letters as often a misread digit at the start of a digit group
# Screen words in capitals that look like a prefix (ECO 40, MAX 100) or a two-letter segment code (ON, HI).
_WORDS_TEXT = """ON OFF OK NO GO UP HI LO IN OUT AM PM TV PC AC DC USB HDMI LAN WAN WIFI ECO MAX MIN AUTO TEMP SPIN
RPM KG LB MODE SET END RUN PRG PROG CH CYC DRY WASH HOT COLD TIME DAY MON TUE WED THU FRI SAT SUN JAN FEB MAR APR
MAY JUN JUL AUG SEP OCT NOV DEC ID TEL FAX PIN ISO DIN VER REV NR PAGE TRAY SN PN QTY TOTAL LEVEL VOL"""
_WORDS = frozenset(_WORDS_TEXT.split())
# Vendor and product-line names: the token after one is a model name (Epson WF-7840, LaserJet Pro M404), unless
# an error keyword says otherwise.
_VENDOR_TEXT = """hp brother canon epson xerox lexmark ricoh kyocera konica minolta sharp samsung lg bosch
siemens miele whirlpool electrolux aeg haier daikin mitsubishi panasonic toshiba fujitsu hitachi midea gree cisco
netgear tp-link asus linksys zyxel ubiquiti dell lenovo acer"""
_VENDOR_WORDS = frozenset(_VENDOR_TEXT.split())
_LINE_TEXT = """laserjet officejet deskjet envy pixma maxify imageclass workforce ecotank expression pro
series model type modell modèle modelo typ"""
_LINE_WORDS = frozenset(_LINE_TEXT.split())


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """A code-like token of one line: normalised, its shape and the evidence the line itself gives."""

    code: str  # normalised (or the catalog's spelling when known)
    shape: Shape
    family: str | None  # a guess from the shape (0x8... -> windows); the catalog has the last word
    raw: str  # the characters as read
    repairs: int  # characters changed by confusion repair
    real_digits: int  # digits read as digits
    start: int
    end: int
    prior: float  # PRIOR of its shape
    keyword_before: bool  # an error keyword or label right before it ("Error code:") or as its own prefix
    known: bool  # a catalogued code


@dataclass(frozen=True, slots=True)
class _Parsed:
    code: str
    shape: Shape
    prior_key: str
    repairs: int
    real_digits: int
    prefix: str


def _fix(ch: str, table: dict[str, str]) -> str:
    return table.get(ch, ch.upper())


def _changed(read: str, fixed: str) -> bool:
    return read != fixed and read.upper() != fixed


_HEX = re.compile(r"[0O@oQ°D][xX×%kK]([0-9A-Fa-fOoIl|!SsZzGgTQ]{1,8})")


# The 0 of 0x lost at a blurred left edge (x8007045D): eight hex digits after the x still say HRESULT.
_HEX_NO_ZERO = re.compile(r"[xX]([0-9A-Fa-fOoIl|!SsZzGgTQ]{4,8})")  # fewer than 8: a short hex, never X800704


# Other hex notations: the IEC 61131 literal of PLCs (16#86DA) and the assembler suffix (86DAh) are kept as written.
_HEX_IEC = re.compile(r"16#([0-9A-Fa-fOo]{2,8})")
_HEX_SUFFIX = re.compile(r"([0-9][0-9A-Fa-f]{1,7})[h]")


def _parse_other_hex(token: str) -> _Parsed | None:
    """16#86DA and 0A1Fh: hex in the notations of PLCs and assemblers, with its notation."""
    m = _HEX_IEC.fullmatch(token)
    if m is not None:
        body = m.group(1).upper().replace("O", "0")
        return _Parsed("16#" + body, "hex", "hex", sum(c in "Oo" for c in m.group(1)),
                       sum(c.isdigit() for c in m.group(1)), "16#")
    m = _HEX_SUFFIX.fullmatch(token)
    if m is not None and re.search("[A-Fa-f]", m.group(1)) and len(m.group(1)) >= 3:
        return _Parsed(m.group(1).upper() + "h", "hex", "hex", 0, sum(c.isdigit() for c in m.group(1)), "")
    return None


def _parse_hex(token: str) -> _Parsed | None:
    other = _parse_other_hex(token)
    if other is not None:
        return other
    if _HEX_NO_ZERO.fullmatch(token):
        token = "?" + token  # counted as one repair below
    m = _HEX.fullmatch(token) or (re.fullmatch(r"\?[xX](.{4,8})", token) if token[0] == "?" else None)
    if m is None:
        return None
    body = "".join(_fix(c, HEX_FIX) for c in m.group(1))
    repairs = (token[0] != "0") + (token[1] != "x" and token[1] != "X") + sum(
        _changed(a, b) for a, b in zip(m.group(1), body, strict=True))
    real = sum(c.isdigit() for c in m.group(1)) + (token[0] == "0")  # the 0 of 0x is a digit read (0xCC)
    return _Parsed("0x" + body, "hex", "hex8" if len(body) == 8 else "hex", repairs, real, "0x")


def _split_prefix(seg: str, whole: bool) -> tuple[str, str]:
    """A first segment's leading letters and the rest; border letters before digits go to the rest (EO4)."""
    i = 0
    while i < len(seg) and (seg[i].isalpha() or seg[i] in "£€" or (i == 0 and seg[i] == "$")):
        i += 1
    prefix, rest = seg[:i], seg[i:]
    if rest[:1].isdigit() and len(rest) <= 3:  # PS7996 keeps its S: a long number has its prefix as written
        while len(prefix) > 1 and prefix[-1] in _BORDER_DIGITS:
            if len(rest) == 2 and prefix[-1] not in _NEAR_DIGITS and prefix[-2] not in _NEAR_DIGITS:
                # Letter, S/Z/B/G, two digits: a prefix as printed (vending codes SS11, HS01, US00), unless a glyph drawn
                # like a digit comes before it (COG55 is C0655); a 5 read as S beside two clear digits is rarer.
                break
            prefix, rest = prefix[:-1], prefix[-1] + rest
    elif whole and not rest and len(prefix) == 2 and prefix[1] in _BORDER_DIGITS and prefix[0] not in _BORDER_DIGITS:
        prefix, rest = prefix[:1], prefix[1:]  # ES after "错误代码" is E5; an all-letter ES stays letters otherwise
    return prefix, rest


def _fix_run(run: str, hex_ok: bool, separated: bool = False, after_prefix: bool = False) -> tuple[str, int, int]:
    """A body run with confusables made digits (or hex digits) when digits are its majority.

    Which positions are hex is inferred from the run: a hex letter no digit looks like (A, C, E, F) makes B and D
    hex digits too (3CB, 0C0B); an upper-case letter that starts a run of three or more digits after a separator
    (W123 of BMS-W123) or one B or D among three or more digits (7D240, 44B1) is read as written."""
    digits = sum(c.isdigit() for c in run)
    if not hex_ok and re.search("[ACEF]", run) and re.fullmatch("[0-9A-F]+", run) and digits:
        hex_ok = True
    if after_prefix and re.fullmatch(r"[0-9][BD]", run):
        return run, 0, 1  # a prefix and a hex byte (Cr8B, A5D): a B or D after its one digit is as printed
    lead = run[:1]
    if (separated and lead.isupper() and lead not in _DIGIT_LIKE_LEAD and len(run) >= 4 and run[1:].isdigit()) or (
            digits >= 3 and len(run) == digits + 1 and re.fullmatch(r"\d+[BD]\d+", run)):
        return run, 0, digits
    letters = sum(c.isalpha() and c not in DIGIT_FIX and not (hex_ok and c.upper() in "ABCDEF") for c in run)
    table = HEX_FIX if hex_ok else DIGIT_FIX
    out = "".join(_fix(c, table) for c in run) if digits >= letters else run.upper()
    repairs = sum(_changed(a, b) for a, b in zip(run, out, strict=True))
    return out, repairs, digits


def _runs(s: str) -> int:
    """Alternations between letters and digits (WM14T790 has four runs)."""
    kinds = [c.isdigit() for c in s if c.isalnum()]
    return 1 + sum(a != b for a, b in zip(kinds, kinds[1:], strict=False)) if kinds else 0


_MODEL_PART = re.compile(r"[A-Za-z]{0,3}\d{3,5}[A-Za-z]{2,4}")
# Letters that end a model name and are no digit look-alike (a trailing I, O, S or B may be a misread digit: P0420I).
_MODEL_END = "ACEFHJKMNPRVWXY"
# MFC-148700W: a series prefix, a long digit run and a model letter; M7240N: a letter, four+ digits and one.
_SERIES_MODEL = re.compile(rf"[A-Za-z]{{0,3}}\d{{3,6}}[{_MODEL_END}]{{1,4}}")
_GLUED_MODEL = re.compile(rf"[A-Z]{{1,3}}\d{{4,6}}[{_MODEL_END}]{{1,3}}")


def _is_model(token: str) -> bool:
    """Product names: lower-case letters after digits (M404dn), or letters, digits, letters, digits (WM14T790)."""
    # Lower-case letters that are no digit look-alike (b g l o q s e i u z are kept for repair).
    if re.search(r"\d[a-z]*[acdfhjkmnprtv-y][a-z]*$", token) and len(token) >= 4:
        return True
    if "-" in token or "." in token or ":" in token:
        # MFC-L2710DW, DCP-T720DW: a series prefix and a model part with letters after its digits.
        parts = re.split(r"[-.:]", token)
        if len(parts) != 2 or not parts[0].isalpha():
            return False
        series = len(parts[0]) >= 2 and not is_keyword(parts[0]) and bool(_SERIES_MODEL.fullmatch(parts[1]))
        return bool(_MODEL_PART.fullmatch(parts[1])) or series
    if _GLUED_MODEL.fullmatch(token):
        return True
    if _runs(token) >= 4 and len(token) >= MODEL_MIN_LEN:
        return True
    # HL2270DW: letters after a long digit run ending the name
    return bool(re.fullmatch(r"[A-Za-z]{2,}\d{3,}[A-Za-z]{2,}", token))


_OBD_AS_WRITTEN = re.compile(r"[PCBU][0-3]\d[0-9A-F]{2}")


def parse(token: str) -> _Parsed | None:
    """A token's code reading: normalised spelling, shape and repairs; None when it has no code's shape."""
    token = "".join(_SEPARATOR_FIX.get(c, c) for c in token)
    if not token or not any(c.isalnum() for c in token):
        return None
    hexed = _parse_hex(token)
    if hexed is not None:
        return hexed
    if _COMMA_PAIR.fullmatch(token):
        return _Parsed(token, "grouped", "comma-pair", 0, sum(c.isdigit() for c in token), "")
    if re.fullmatch(r"[1-9][BD]", token):
        return _Parsed(token, "short", "short", 0, 1, "")  # 1B, 9D alone: a controller's hex byte, as written
    if _OBD_AS_WRITTEN.fullmatch(token):
        # An OBD-II code as written (SAE J2012: system letter, 0-3, three hex digits): its B and D are hex digits.
        return _Parsed(token, "prefixed", "prefixed-long", 0, sum(c.isdigit() for c in token), token[0])
    if any(not (c.isalnum() or c in _SEPARATORS or c in _GLYPHS) for c in token) or not token.isascii() and \
            any(not (c.isascii() or c in _GLYPHS) for c in token):
        return None
    segs = re.split(r"([-.:_])", token)
    parts, seps = segs[0::2], segs[1::2]
    if any(not p for p in parts) or len(parts) > 4 or sum(len(p) for p in parts) > MAX_TOKEN:
        return None
    if any(_HEX.fullmatch(p) for p in parts[1:]):
        return None  # a hex literal is a token of its own: "ACK:0xBB" is a label and 0xBB, never ACK:0X88
    alnum = sum(len(p) for p in parts)
    # Dotted service codes start with a decimal group: O4.F5.E2 is 04.F5.E2, not a prefix O.
    dotted = (bool(seps) and all(s == "." for s in seps) and any(c.isdigit() for c in parts[0])
              and all(c.isdigit() or c in DIGIT_FIX for c in parts[0])
              and (parts[0][0].isdigit() or parts[0][0] in _DIGIT_LIKE_LEAD))  # T099.3 has a prefix T
    # Groups of four hex digits (0C00-84BF, 0300-0C00-0002-A41E): B and D are hex digits there, not 8 and 0.
    hex_groups = (len(parts) >= 2 and all(len(p) == 4 for p in parts) and set(seps) == {"-"}
                  and all(re.fullmatch("[0-9A-Fa-fOo]{4}", p) for p in parts) and any(c.isdigit() for c in token))
    prefix, rest = ("", parts[0]) if dotted or hex_groups else _split_prefix(parts[0], whole=len(parts) == 1)
    long_prefix = (MAX_PREFIX < len(prefix) <= MAX_LONG_PREFIX and prefix.isupper() and not rest and len(parts) == 2
                   and seps[0] in "-_" and sum(c.isdigit() for c in parts[1]) >= 3)
    if len(prefix) > MAX_PREFIX and not long_prefix:
        return None  # a word, or ERROR1602 and the like: a word glued to a number is split by the caller
    if not prefix and not rest and len(parts) == 1:
        return None
    body_runs = ([rest] if rest else []) + parts[1:]
    if prefix and not rest and all(p.isalpha() for p in parts[1:]) and alnum == 2:
        # All letters and at most two glyphs: dE, OE, L.E on a segment display (the dot is part of the code:
        # F.E and FE are different codes of one boiler).
        code = "".join(_fix(c, LETTER_FIX) if c in LETTER_FIX and not c.isalnum() else c.upper()
                       for c in prefix + "".join(s + p for s, p in zip(seps, parts[1:], strict=True)))
        return _Parsed(code, "letters", "letters", 0, 0, code)
    if prefix and not body_runs:
        return None  # a word
    fixed_prefix = "".join(_fix(c, LETTER_FIX) if not c.isalpha() else c.upper() for c in prefix)
    repairs = sum(_changed(a, b) for a, b in zip(prefix, fixed_prefix, strict=True))
    out_runs: list[str] = []
    real = 0
    for i, run in enumerate(body_runs):
        glued = i == 0 and bool(rest)
        hex_ok = bool(dotted) and i > 0 or hex_groups or (
            glued and set(prefix) <= set("ABCDEF") and bool(re.fullmatch("[0-9A-F]+", run))
            and (len(prefix) >= 2 or len(prefix) == 1 and prefix in "ACEF" and bool(re.search("[0-9][BD]", run))
                 and len(prefix + run) <= 6))
        # AA9B, C3B1: hex letters before a hex run (a B or D after a hex letter is a hex digit, not 8 or 0)
        fixed, rep, dig = _fix_run(run, hex_ok, separated=not glued, after_prefix=glued and bool(prefix))
        out_runs.append(fixed)
        repairs += rep
        real += dig
    if real == 0 and not any(c.isdigit() for c in "".join(out_runs)):
        return None  # no digit even after repair: a word (ABC-DEF)
    # Rebuild with the separators as read, the prefix's own separator included.
    if rest:
        code = fixed_prefix + out_runs[0] + "".join(s + r for s, r in zip(seps, out_runs[1:], strict=True))
    else:
        code = fixed_prefix + "".join(s + r for s, r in zip(seps, out_runs, strict=True))
    body = "".join(out_runs)
    if _is_model(token):
        return _Parsed(code, "model", "model", repairs, real, fixed_prefix)
    shape: Shape
    if long_prefix:
        shape, key = "prefixed", "long-prefix"
    elif prefix:
        shape = "prefixed"
        digits = sum(c.isdigit() for c in out_runs[0])
        sep_after_prefix = not rest and bool(seps)
        first = out_runs[0]
        if sep_after_prefix:
            key = "prefixed-sep" if len(first) >= 3 else "prefixed-sep2"
        else:
            key = "prefixed-long" if digits >= 3 else "prefixed-short"
        if len(first) > 8:
            key = "prefixed-short"  # a prefix and a long number is a serial more often than a code
    elif dotted:
        shape = "dotted"
        if any(c.isalpha() for c in "".join(out_runs[1:])):
            key = "dotted-hex"
        elif all(len(r) == 1 for r in out_runs):
            key = "dotted-small"  # 2.4.1, 1.8.0, 1.5: versions, registers and readings far more often than codes
        else:
            key = "dotted3" if len(out_runs) >= 3 else "dotted"
    elif seps:
        if ":" in seps:
            return None  # digit groups joined by colons are clock times, even garbled (19:40:281)
        shape, key = "grouped", "grouped33" if re.fullmatch(r"\d{3}-\d{3}", code) else "grouped"
        if hex_groups and len(out_runs) >= 3:
            key = "hex-groups"
    elif body.isdigit():
        # A lone digit is a code only right after an error keyword at the end of its line (find_codes checks);
        # elsewhere it is the first glyph of a code split by OCR, or a count.
        shape, key = "numeric", "digit" if len(body) < 2 else "numeric"
        if len(body) < 2 and real == 0:
            return None
    elif len(body) <= 3:
        shape, key = "short", "short"
    else:
        shape, key = "numeric", "numeric"  # 4C02-like mixes: only after an error keyword
    return _Parsed(code, shape, key, repairs, real, fixed_prefix)


def guess_family(code: str, shape: Shape) -> str | None:
    """A family guess from the shape alone; None when the shape says nothing."""
    if shape == "hex" and len(code) == 10:
        return "windows"
    if shape == "prefixed" and re.fullmatch(r"[PBCU][0-3][0-9A-F]{3}", code):
        return "obd-ii"
    return None


# ---------------------------------------------------------------------------------------------------- tokens

# OCR often splits a code at its punctuation ("49 .4C02", "E- 204"): join such pieces first.
# A word of four or more letters before a colon is a label, not a code's prefix ("Olay: R110 05 298", "Storing: MID
# 164 SID 206 FMI 7"): its space is kept.
_SPLIT_AT_PUNCT = re.compile(r"(?<=[0-9A-Za-z])\s+(?=[.:\-][0-9A-Za-z])|(?<![^\W\d_]{4}\.)(?<=[0-9A-Za-z][.\-])\s+"
                             r"(?=[0-9A-Za-z])"
                             r"|(?<![^\W_]{4}:)(?<=[0-9A-Za-z]:)\s+(?=[0-9A-Za-z])")
_CJK = r"\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff01-\uff60"
_CJK_BORDER = re.compile(rf"(?<=[{_CJK}])(?=[0-9A-Za-z@$£€])|(?<=[0-9A-Za-z])(?=[{_CJK}])")
_CHUNK = re.compile(r"\S+")
_EDGE = "\"'()[]{}<>,;!?*«»“”‘’"  # quoting and sentence punctuation around a token
_TRAIL = ".:-"  # a sentence's full stop, a label's colon


@dataclass(frozen=True, slots=True)
class Token:
    """A chunk of a line that may be a code, with its place in the (prepared) line."""

    text: str
    start: int
    end: int


_SPLIT_HEX = re.compile(r"(?<![0-9A-Za-z])([0O@]?[xX][0-9A-Fa-fOo]{2,7})\s+([0-9A-Fa-fOo]{1,6})(?![0-9A-Za-z])")


def _join_hex(m: re.Match[str]) -> str:
    """0x800704 45D: a space OCR put inside an HRESULT; joined only when the pieces make exactly eight digits."""
    digits = len(m.group(1)) - m.group(1).lower().index("x") - 1 + len(m.group(2))
    return m.group(1) + m.group(2) if digits == 8 else m.group(0)


def _join_split(m: re.Match[str]) -> str:
    """A space inside a code is dropped; the one before a signed reading ("RSSI -83 dBm") stays, and so does the one
    after a dotted label's colon (an OBIS register "F.F.0: 87210200", "C.1.0: ...": a label and its value)."""
    if SIGNED_READING.match(m.string, m.end()):
        return m.group(0)
    head = m.string[:m.start()].rsplit(None, 1)[-1] if m.string[:m.start()].strip() else ""
    return m.group(0) if head.endswith(":") and "." in head else ""


class _AsciiGlyphs(dict[int, str]):
    """str.translate table: digits of any script (٣, ३, ๓) and full-width letters and digits (Ｅ２) as ASCII."""

    def __missing__(self, key: int) -> str:
        ch = chr(key)
        if ch.isdecimal() and not ch.isascii():
            out = str(unicodedata.decimal(ch))
        elif 0xFF10 <= key <= 0xFF19 or 0xFF21 <= key <= 0xFF3A or 0xFF41 <= key <= 0xFF5A:
            out = chr(key - 0xFEE0)
        else:
            out = ch
        self[key] = out
        return out


_ASCII_GLYPHS = _AsciiGlyphs()


def prepare_line(line: str) -> str:
    """The line with native and full-width digits made ASCII, a code's split punctuation joined and Chinese/Japanese
    text spaced from Latin (one character for one except the joins)."""
    if not line.isascii():
        line = line.translate(_ASCII_GLYPHS)
    return _SPLIT_HEX.sub(_join_hex, _SPLIT_AT_PUNCT.sub(_join_split, _CJK_BORDER.sub(" ", line)))


def tokens(line: str) -> list[Token]:
    """Whitespace chunks with edge punctuation trimmed; a keyword glued by a colon is cut off (Error:E-204)."""
    out: list[Token] = []
    for m in _CHUNK.finditer(line):
        text, start = m.group(0), m.start()
        lead = len(text) - len(text.lstrip(_EDGE + "#"))  # "Error #31204": the hash is a label
        text, start = text[lead:], start + lead
        text = text.rstrip(_EDGE).rstrip(_TRAIL)
        glued = re.match(r"([^\W\d_]{3,})[:：#=]", text)
        id_label = re.match(r"(?:id|no|nr|num)[:：#=](?=\w)", text, re.IGNORECASE)  # "Event ID:2829"
        garbled = re.match(r"([^\s:：#=.]{3,12})[:：#=.]", text)
        # "Error:1602" is a keyword and a code; "ERR:72" is one code (a short prefix keeps its colon); a label
        # read with confused glyphs ("OTC:P0301", "DIC.P0301", "C0de:E14") is cut off before the code is shaped.
        if id_label:
            cut = id_label.end()
            text, start = text[cut:], start + cut
        elif glued and (len(glued.group(1)) >= 4 and is_caption_word(glued.group(1))
                        or glued.group(1).lower() == "dtc"
                        or is_keyword(glued.group(1)) and not is_abbreviated_caption(glued.group(1))):
            # "Fel:3244", "Kod:127": a three-letter caption word written out is a label (ERR:72, ALM:21 are codes)
            cut = glued.end()
            text, start = text[cut:], start + cut
        elif garbled and _is_cut_label(garbled.group(1)) and len(text) > garbled.end():
            cut = garbled.end()
            text, start = text[cut:], start + cut
        elif glued and text[glued.end() - 1] in ":：" and not is_keyword(glued.group(1)) \
                and re.fullmatch(r"\d{3,}", text[glued.end():]):
            # SHS:5067: a caption (often a CJK label read as Latin) glued to a number is no prefix of it
            cut = glued.end()
            text, start = text[cut:], start + cut
        if text:
            out.append(Token(text, start, start + len(text)))
    return out


def _is_cut_label(word: str) -> bool:
    """A garbled label glued to a code: DTC, Code, Error and the like read with confused glyphs, not ERR (ERR:72)."""
    return is_garbled_label(word) and word.upper() != "ERR"


def _spaced_pairs(toks: list[Token], line: str) -> list[Token]:
    """A capitals prefix and a number written apart (ALM 021, SC 542): joined without the space."""
    out = []
    for a, b in zip(toks, toks[1:], strict=False):
        if (re.fullmatch(r"[A-Z]{1,4}", a.text) and a.text not in _WORDS and not is_unit(a.text)
                and re.fullmatch(r"\d{2,6}(-\d{1,4})?", b.text)
                and line[a.end:b.start].strip() == ""):
            out.append(Token(a.text + b.text, a.start, b.end))
    return out


# Codes of several tokens (issue 10): devices print some codes as labelled groups or with their own name.
# - labelled groups: two or more capitals labels each with a number (J1939 "SPN 421 FMI 16", J1587 "MID 128 SID 217
#   FMI 15"): one code, written with its labels;
# - named numbers: a label the device prints as the number's name, glued by a space - an identifier with an underscore
#   ("M_STATUS 94"), an abbreviated caption ("Err 23", "ALM 021", "FLT 12"), or a capitals unit name after an error
#   caption ("Fault: CCU 523620.09"); a caption word written out ("Error 46", "Fault 23", "STATE 306") names what
#   follows and is not part of the code;
# - a prefixed code followed by number groups that end the line ("R344 03 660" event, partition, zone; "Y40 7894").
_GROUP_LABEL = r"[A-Z][A-Z0-9]{1,3}"
_GROUP_START = r"(?:(?<![\w.:/#-])|(?<=[^\W\d_]{2}:))"  # a token's start, or right after a label's colon (ID:E380)
_LABELLED_GROUP = re.compile(
    rf"{_GROUP_START}{_GROUP_LABEL} \d{{1,6}}(?: +{_GROUP_LABEL} \d{{1,6}}){{1,3}}(?![\w.:/%°#-])")
_NAMED = re.compile(_GROUP_START + r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Za-z]{2,4}) +"
                    r"(\d{1,6}(?:\.\d{1,2})?|[0-9A-F]{2})(?![\w.:/%°#-])")
_CODE_GROUPS = re.compile(_GROUP_START + r"[A-Z]{1,3}\d{2,4}(?: \d{2,4}){1,2}(?=\s*$)")
_BYTE_GROUPS = re.compile(_GROUP_START + r"[0-9A-F]{2}(?: [0-9A-F]{2}){2,7}(?=\s*$)")


def _group_match(line: str, start: int, end: int, key: str, known: KnownCodes, before: bool) -> CodeMatch:
    raw = line[start:end]
    code = " ".join(raw.upper().split())
    catalogued = known.match(code) if len(known) else None
    return CodeMatch(catalogued or code, "group", None, raw, 0, sum(c.isdigit() for c in raw), start, end, PRIOR[key],
                     before, catalogued is not None)


def _multi_token_codes(line: str, spans: list[Ordinary], known: KnownCodes, assume_keyword: bool) -> list[CodeMatch]:
    """Codes written as several tokens on one line (see above), ordinary numbers left out."""
    out: list[CodeMatch] = []

    def free(start: int, end: int) -> bool:
        return ordinary_at(spans, start, end) is None and not any(start < m.end and m.start < end for m in out)

    for m in _LABELLED_GROUP.finditer(line):
        labels = re.findall(_GROUP_LABEL + r"(?= \d)", m.group(0))
        if free(m.start(), m.end()) and not any(lb in _WORDS or is_unit(lb) for lb in labels):
            out.append(_group_match(line, m.start(), m.end(), "labelled-group", known,
                                    assume_keyword or keyword_before(line, m.start())))
    for m in _NAMED.finditer(line):
        label, value = m.group(1), m.group(2)
        if not free(m.start(), m.end()) or label in _WORDS or is_unit(label):
            continue
        before = assume_keyword or keyword_before(line, m.start())
        if "_" in label:
            key = "named"
            prior_bonus = 0.2  # an identifier with an underscore is a program's name for the value
        elif is_abbreviated_caption(label):
            key, prior_bonus, before = "named", 0.0, True
        elif label.isupper() and not has_identifier_label(label) and (
                before and (value.isdigit() or "." in value) or re.fullmatch(r"\d{3,6}\.\d{1,2}", value)):
            key, prior_bonus = "named", 0.0  # a control unit and its SPN.FMI (CCU 523620.09)
        else:
            continue
        if not any(c.isdigit() for c in value) and "_" not in label:
            continue  # M_STATUS ED: a hex byte after a program's name; ON AC, OK GO are words
        match = _group_match(line, m.start(), m.end(), key, known, before)
        out.append(CodeMatch(match.code, match.shape, match.family, match.raw, 0, match.real_digits, match.start,
                             match.end, match.prior + prior_bonus, match.keyword_before, match.known))
    for m in _BYTE_GROUPS.finditer(line):
        # Hex status bytes spaced as a device prints them, one code; only after an error label (a MAC address, a
        # hex dump or a row of readings has none).
        # (Digits only, "01 13 01 70", they are shaped like a phone number too: the label says which.)
        clear = all(sp.kind == "phone" for sp in spans if sp.start < m.end() and m.start() < sp.end) and not any(
            m.start() < o.end and o.start < m.end() for o in out)
        if clear and (assume_keyword or keyword_before(line, m.start())) \
                and any(c.isdigit() for c in m.group(0)) and not _after_identifier_label(line, m.start()):
            out.append(_group_match(line, m.start(), m.end(), "byte-groups", known, True))
    for m in _CODE_GROUPS.finditer(line):
        if free(m.start(), m.end()) and not _after_identifier_label(line, m.start()):
            out.append(_group_match(line, m.start(), m.end(), "code-groups", known,
                                    assume_keyword or keyword_before(line, m.start())))
    return out


_HEX_INSIDE = re.compile(r"(?<![0-9A-Za-z])[0O@][xX][0-9A-Fa-fOo]{8}(?![0-9A-Za-z])")


def _pieces(toks: list[Token]) -> tuple[list[Token], list[Token]]:
    """Parts of chunks that OCR glued together: 8-digit hex inside (label:0x...), and the sides of a colon."""
    hexes, sides = [], []
    for tok in toks:
        for m in _HEX_INSIDE.finditer(tok.text):
            if m.group(0) != tok.text:
                hexes.append(Token(m.group(0), tok.start + m.start(), tok.start + m.end()))
        if ":" in tok.text and any(c.isalpha() for c in tok.text.split(":")[0]):  # label:code, not 19:40:28
            at = 0
            for part in tok.text.split(":"):
                if part and part != tok.text:
                    sides.append(Token(part, tok.start + at, tok.start + at + len(part)))
                at += len(part) + 1
    return hexes, sides


def find_codes(line: str, assume_keyword: bool = False, known: KnownCodes = NO_CODES) -> list[CodeMatch]:
    """Every code-like token of one text line, repaired and ordinary numbers left out, in line order.

    A token with no digit read as a digit (all repaired: CO, ES) is kept only after an error keyword, or when
    catalogued; assume_keyword treats every token as preceded by one (to ask "could there be a code?")."""
    line = prepare_line(line)
    spans = ordinary_spans(line)
    toks = tokens(line)
    joined = _spaced_pairs(toks, line)
    hexes, sides = _pieces(toks)
    found: list[CodeMatch] = _multi_token_codes(line, spans, known, assume_keyword)
    # Most specific first: codes of several tokens, a glued hex code, a prefix written apart, whole chunks, then a
    # chunk's colon sides.
    for tok in hexes + joined + toks + sides:
        if any(tok.start < m.end and m.start < tok.end for m in found):
            continue
        match = _match(tok, line, spans, assume_keyword, known, spaced=tok in joined)
        if match is not None:
            found.append(match)
    return sorted(found, key=lambda m: m.start)


_OBD_LETTER = {"P": "P", "B": "B", "C": "C", "U": "U", "8": "B", "(": "C", "G": "C", "V": "U", "R": "P"}
_OBD_FIRST = {"0": "0", "1": "1", "2": "2", "3": "3", "O": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1",
              "L": "1", "Z": "2", "z": "2"}


def _dtc_before(line: str, start: int) -> bool:
    """True when the word right before position start is a DTC label, as read or garbled (OTC, DIC, 0TC)."""
    m = re.search(r"(?<![^\s])([^\s:：#=.]{3})\s*[:：#=.]?\s*$", line[:start])
    return m is not None and is_garbled_label(m.group(1), "dtc")


def _obd_code(token: str) -> str | None:
    """The OBD-II code a token after a DTC label stands for: a system letter, 0-3, three hex digits."""
    if len(token) == 6:
        # A glyph OCR doubled (B00301): the one undoubled reading that fits the shape.
        fits = {code for i in range(1, 6) if token[i] == token[i - 1]
                if (code := _obd_code(token[:i] + token[i + 1:])) is not None}
        return fits.pop() if len(fits) == 1 else None
    if len(token) != 5:
        return None
    first = _OBD_LETTER.get(token[0].upper())
    second = _OBD_FIRST.get(token[1])
    rest = "".join(_fix(c, HEX_FIX) for c in token[2:])
    if first is None or second is None or not re.fullmatch(r"[0-9A-F]{3}", rest):
        return None
    return first + second + rest


def _after_product_word(line: str, start: int, token: str) -> bool:
    """True when a model name follows a product-line word (Pro M404), or a vendor name (Epson WF-7840, Canon MF4450: two+
    letters and four+ digits; Canon E-204 and Ricoh SC542 stay codes)."""
    words = line[:start].split()
    word = words[-1].strip(":,").lower() if words else ""
    if word in _LINE_WORDS:
        return True
    return word in _VENDOR_WORDS and bool(re.fullmatch(r"[A-Za-z]{2,}-?\d{4,}[A-Za-z]*|[A-Za-z]+\d{3,}[A-Za-z]+", token))


# Labels of identifiers and addresses: the next few tokens on their line are that identifier (or its pieces, when
# OCR split it: "MAC 3C:4 D:E9:A2", "IP 192.168. 193.11"), unless an error keyword comes between.
_IDENTIFIER_LABEL = re.compile(
    r"(?<![^\W_])(?:model|modell|mod[eè]le|modelo|printer|product|serial|s\s*/\s*n|sn|p\s*/\s*n|part|mac|ip|"
    r"ipv[46]|gateway|subnet|mask|dns|host|hostname|ssid|firmware|fw|version|ver|software|sw|build|rev|revision|"
    r"bios|kernel|imei|uuid|型号|序列号|版本)(?![^\W\d_])(?:\s*(?:no\.?|nr\.?|number|name|#|address|addr))?\s*[:#=.]?",
    re.IGNORECASE)
_IDENTIFIER_REACH = 3  # tokens after the label that it names


def has_identifier_label(line: str) -> bool:
    """True when the line names an identifier or address (Serial ..., IP ..., Firmware ...)."""
    return _IDENTIFIER_LABEL.search(line) is not None


def _after_identifier_label(line: str, start: int) -> bool:
    """True when an identifier label (Model, S/N, MAC, IP, Firmware ...) names the token at start."""
    for m in _IDENTIFIER_LABEL.finditer(line[:start]):
        between = line[m.end():start]
        if len(between.split()) < _IDENTIFIER_REACH and not has_keyword(between):
            return True
    return False


_COMMA_PAIR = re.compile(r"\d{1,3},\d{1,3}")


def _bracketed_pair(span: Ordinary, tok: Token, line: str) -> bool:
    """A pair of numbers in brackets, "(31,5)", is an infusion pump's error pair, not a decimal reading."""
    return (span.kind == "number" and _COMMA_PAIR.fullmatch(tok.text) is not None and tok.start > 0
            and line[tok.start - 1] in "([" and line[tok.end:tok.end + 1] in (")", "]"))


def _phone_shaped_code(span: Ordinary, tok: Token, line: str) -> bool:
    """Two digit groups shaped like a local phone number are a code right after an error caption ("Błąd: 2144-8288",
    module and description) or alone on their line (a caption stacked above): a phone number has a label of its own."""
    if span.kind != "phone" or span.start != tok.start or span.end != tok.end:
        return False
    return keyword_before(line, tok.start) or (line.strip() == tok.text and re.fullmatch(r"\d{4}-\d{4}", tok.text)
                                              is not None)


def _title_word_prefix(token: str, parsed: _Parsed) -> bool:
    """A prefix of three letters or more written as a word, a capital and lower case (Tota, Salt): a word, not a code's
    prefix (mnemonics mix cases: IuP-77); abbreviated captions (Err) are the exception."""
    p = re.match(r"[^\W\d_]*", token)
    word = p.group(0) if p else ""
    return (len(word) >= 3 and word[0].isupper() and word[1:].islower() and parsed.shape == "prefixed"
            and not is_abbreviated_caption(word))


def _reading_follows(line: str, end: int, spans: list[Ordinary]) -> bool:
    """True when an ordinary reading (a quantity, percentage or temperature) comes right after position end."""
    rest = line[end:]
    gap = len(rest) - len(rest.lstrip())
    return gap > 0 and any(sp.start == end + gap and sp.kind in ("quantity", "percent", "temperature")
                           for sp in spans)


def _garbled_word(token: str, parsed: _Parsed) -> bool:
    """A word of another script (or a garbled one) read as Latin look-alikes: lower-case letters kept as letters beside
    lower-case letters repaired into digits ("Pa6oTa" for Работа). Codes are printed in capitals or as segment glyphs;
    a lower-case glyph that is a digit look-alike next to ordinary lower-case letters is a word, not a code."""
    if parsed.shape in ("hex", "letters") or not parsed.repairs:
        return False
    kept = sum(c.islower() and c not in DIGIT_FIX for c in token)
    repaired = sum(c.islower() and c in DIGIT_FIX for c in token)
    return kept >= 1 and repaired >= 1


def _after_reading_word(line: str, start: int) -> bool:
    """True when the word right before start names a unit or measured quantity (GPS 12, Batt 5, RPM 1200)."""
    words = line[:start].split()
    return bool(words) and is_unit(words[-1].strip(":=#"))


def _match(tok: Token, line: str, spans: list[Ordinary], assume_keyword: bool, known: KnownCodes,
           spaced: bool) -> CodeMatch | None:
    span = ordinary_at(spans, tok.start, tok.end)
    if span is not None and not _phone_shaped_code(span, tok, line) and not _bracketed_pair(span, tok, line):
        return None
    parsed = parse(tok.text)
    if parsed is None:
        return None
    catalogued = known.match(parsed.code, tok.text) if len(known) else None
    if catalogued is not None and len(catalogued) <= 2 and catalogued.upper() != parsed.code:
        catalogued = None  # two glyphs collide with too much (Ui is no U1): only their exact spelling counts
    if catalogued is not None and parsed.prefix and catalogued.isdigit():
        catalogued = None  # S100 read with a letter prefix is no catalogued number 5100
    before = assume_keyword or keyword_before(line, tok.start)
    obd = _obd_code(tok.text) if _dtc_before(line, tok.start) else None
    if obd is None and parsed.shape == "numeric" and _dtc_before(line, tok.start):
        return None  # a DTC has a system letter: a bare number after the label is a misread or a count
    if obd is not None:
        # After a DTC label an OBD-II shape fixes each position (PISC7 is P15C7).
        parsed = _Parsed(obd, "prefixed", "prefixed-long", sum(_changed(a, b) for a, b in zip(tok.text, obd,
                                                                                              strict=False)),
                         sum(c.isdigit() for c in tok.text), obd[0])
    if not before and (_after_product_word(line, tok.start, tok.text) or _after_identifier_label(line, tok.start)):
        return None  # Epson WF-7840, LaserJet Pro M404, Model: M7240N, MAC 3C:4 D:E9:A2: an identifier
    if parsed.prefix and parsed.shape == "prefixed" and is_keyword(parsed.prefix):
        before = True  # ERR-1024, ALM021: the prefix says what it is
    if parsed.shape == "letters" and (parsed.code in _WORDS or tok.text.islower()
                                      or any(c.islower() and c not in _SEGMENT_LOWER for c in tok.text)):
        return None  # ON, HI, lower-case words (be, de) and letters no segment display draws (Ui), catalogued or not
    if catalogued is None and parsed.shape == "model":
        return None
    if parsed.shape == "model":
        parsed = _Parsed(parsed.code, "prefixed", "prefixed-long", parsed.repairs, parsed.real_digits, parsed.prefix)
    if parsed.real_digits == 0 and parsed.shape != "letters" and not before:
        return None
    if not before and _title_word_prefix(tok.text, parsed):
        return None  # "Tota19085", "Salt100": a word glued to a number (a code's prefix is in capitals)
    if not before and len(parsed.code) <= 3 and _reading_follows(line, tok.end, spans):
        return None  # "R1 8%", "T2 45°C", "P1 3.2 bar": a channel's name before its reading
    if not before and _garbled_word(tok.text, parsed):
        return None  # "Pa6oTa" (Работа read by a Latin-only recogniser): a word whose letters were read as digits
    if not before and parsed.shape == "numeric" and _after_reading_word(line, tok.start):
        return None  # "GPS 12", "Batt 5", "RPM 1200": a measured quantity names the number
    if parsed.prior_key == "digit" and not (keyword_before(line, tok.start) and not line[tok.end:].strip()):
        return None  # "Fehler 5" ends its line; "Error 1 602" is a code OCR split, "Error 1 of 3" a count
    key = "spaced" if spaced and parsed.shape == "prefixed" else parsed.prior_key
    body = parsed.code[len(parsed.prefix):].lstrip(_SEPARATORS)
    # A second group after the body (SC990-01, E:97:64, T07:C82) makes a prefixed code more specific.
    prior = PRIOR[key] + (EXTRA_GROUP if parsed.shape == "prefixed" and any(c in body for c in "-:") else 0.0)
    code = catalogued or parsed.code
    return CodeMatch(code, parsed.shape, guess_family(code, parsed.shape), tok.text, parsed.repairs,
                     parsed.real_digits, tok.start, tok.end, prior, before, catalogued is not None)
