"""The error-code pattern library, with character-confusion repair that knows which slots hold digits."""

from __future__ import annotations

import re
from dataclasses import dataclass

# What OCR typically reads instead of the intended character, per kind of slot.
_DIGIT_FIX = {
    "O": "0", "o": "0", "Q": "0", "D": "0", "U": "0", "@": "0", "°": "0", "e": "0", "θ": "0",  # e: a barred zero
    "I": "1", "l": "1", "|": "1", "i": "1", "!": "1", "]": "1", "[": "1", "L": "1",
    "Z": "2", "z": "2", "S": "5", "s": "5", "$": "5", "B": "8", "G": "6", "b": "6", "g": "9", "q": "9", "T": "7",
}
_HEX_FIX = {
    "O": "0", "o": "0", "Q": "0", "U": "0", "@": "0", "°": "0", "D": "D",
    "I": "1", "l": "1", "|": "1", "i": "1", "!": "1", "]": "1", "[": "1",
    "Z": "2", "z": "2", "S": "5", "s": "5", "$": "5", "G": "6", "T": "7",
    "a": "A", "b": "B", "c": "C", "d": "D", "e": "E", "f": "F", "¢": "C", "€": "E",
}


@dataclass(frozen=True, slots=True)
class Slot:
    """A run of characters in a code: what each may be read as, what it becomes, how many."""

    accept: dict[str, str]  # read character -> normalised character
    low: int
    high: int


def _class(valid: str, fixes: dict[str, str] | None = None) -> dict[str, str]:
    out = {c: c for c in valid}
    for k, v in (fixes or {}).items():
        out.setdefault(k, v)
    return out


DIGIT = _class("0123456789", _DIGIT_FIX)
HEX = _class("0123456789ABCDEF", _HEX_FIX)
ZERO = _class("0", {"O": "0", "o": "0", "@": "0", "Q": "0", "D": "0", "U": "0", "°": "0", "(": "0"})
LETTER_X = _class("x", {"X": "x", "×": "x", "%": "x", "K": "x", "k": "x"})
DASH = _class("-", {"–": "-", "—": "-", "~": "-", "_": "-", "=": "-"})
DOT = _class(".", {",": ".", "·": "."})
COLON = _class(":", {";": ":", "：": ":"})
SPACE = _class(" ")
LETTER_E = ("£", "€")  # an E whose middle bar blurs into the stem reads as a currency sign


def letter(ch: str, *lookalikes: str) -> dict[str, str]:
    """A fixed letter, also accepted when read as one of its look-alikes."""
    return _class(ch, {x: ch for x in (ch.lower(), *lookalikes)})


def S(accept: dict[str, str], low: int = 1, high: int | None = None) -> Slot:
    """Slot shorthand."""
    return Slot(accept, low, low if high is None else high)


@dataclass(frozen=True, slots=True)
class CodePattern:
    """One code format as devices display it."""

    name: str
    family: str | None  # catalog family hint
    slots: tuple[Slot, ...]
    needs_context: bool  # only trusted with an error keyword on screen (or a bare code display)
    min_real_digits: int = 0  # digits that must be read as digits, not repaired from letters

    def regex(self) -> re.Pattern[str]:
        """Loose regex: every slot accepts its look-alikes; one group per slot."""
        parts = []
        for slot in self.slots:
            chars = "".join(re.escape(c) for c in sorted(slot.accept))
            parts.append(f"([{chars}]{{{slot.low},{slot.high}}})")
        return re.compile(r"(?<![A-Za-z0-9])" + "".join(parts) + r"(?![A-Za-z0-9])")


PATTERNS: tuple[CodePattern, ...] = (
    # Windows HRESULT / stop codes: 0x8007045D
    CodePattern("hresult", "windows", (S(ZERO), S(LETTER_X), S(HEX, 8)), needs_context=False, min_real_digits=3),
    # Canon-style E-204
    CodePattern("e-dash", "canon", (S(letter("E", *LETTER_E)), S(DASH), S(DIGIT, 3)), needs_context=False, min_real_digits=1),
    # Ricoh SC542, SC990-01
    CodePattern("sc", "ricoh", (S(letter("S", "5", "$")), S(letter("C", "(")), S(SPACE, 0, 1), S(DIGIT, 3),
                                S(DASH, 0, 1), S(DIGIT, 0, 2)), needs_context=False, min_real_digits=2),
    # Printer panels E:51
    CodePattern("e-colon", "generic-printer", (S(letter("E", *LETTER_E)), S(COLON), S(DIGIT, 2)), needs_context=False,
                min_real_digits=1),
    # HP service codes 49.4C02, 79.04, 13.20.00
    CodePattern("hp", "hp", (S(DIGIT, 2), S(DOT), S(HEX, 1, 5), S(DOT, 0, 1), S(HEX, 0, 2)), needs_context=True,
                min_real_digits=2),
    # Appliance codes E5, F3, E21, E04
    CodePattern("appliance", "appliance", (S(_class("EFCHLP", dict.fromkeys(LETTER_E, "E"))), S(DIGIT, 1, 2)), needs_context=True,
                min_real_digits=1),
)

CONTEXT_WORDS = re.compile(
    r"error|err\b|fault|failure|fail|service|code|jam|alarm|warning|stop|错误|故障|代码|报警|异常", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """A code found in a line of text, normalised."""

    code: str
    pattern: str
    family: str | None
    raw: str  # the characters as read
    repairs: int  # characters changed by confusion repair
    start: int
    end: int


def _normalise(pattern: CodePattern, groups: tuple[str, ...], keyword_before: bool) -> tuple[str, int, int] | None:
    out: list[str] = []
    repairs = real_digits = 0
    for slot, text in zip(pattern.slots, groups, strict=True):
        for ch in text:
            fixed = slot.accept[ch]
            if fixed != ch and not (ch.isalpha() and fixed == ch.upper()):
                repairs += 1
            elif ch.isdigit():
                real_digits += 1
            out.append(fixed)
    # An explicit "Error"/"故障" right before the code vouches for it even if every digit was repaired.
    if real_digits < pattern.min_real_digits and not keyword_before:
        return None
    return "".join(out).replace(" ", ""), repairs, real_digits


_COMPILED = tuple((p, p.regex()) for p in PATTERNS)
# OCR often splits a code at its punctuation ("49 .4C02", "E- 204"): join such pieces first.
_SPLIT_AT_PUNCT = re.compile(r"(?<=[0-9A-Za-z])\s+(?=[.:\-][0-9A-Za-z])|(?<=[0-9A-Za-z][.:\-])\s+(?=[0-9A-Za-z])")


def find_codes(line: str, assume_keyword: bool = False) -> list[CodeMatch]:
    """All codes in one text line, repaired, earlier and more specific patterns first, no overlaps.

    assume_keyword treats every code as preceded by an error keyword (to ask "could there be a code?").
    """
    line = _SPLIT_AT_PUNCT.sub("", line)
    found: list[CodeMatch] = []
    taken: list[tuple[int, int]] = []
    for pattern, rx in _COMPILED:
        for m in rx.finditer(line):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            keyword_before = assume_keyword or bool(CONTEXT_WORDS.search(line[max(0, m.start() - 12):m.start()]))
            norm = _normalise(pattern, m.groups(), keyword_before)
            if norm is None:
                continue
            code, repairs, _ = norm
            if pattern.name == "hp" and not _plausible_hp(code):
                continue
            found.append(CodeMatch(code, pattern.name, pattern.family, m.group(0), repairs, m.start(), m.end()))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda c: c.start)


def _plausible_hp(code: str) -> bool:
    """HP codes after the dot are hex; a single trailing dot or empty group is a misread."""
    return not code.endswith(".") and len(code) >= 4


def has_context(screen_text: str) -> bool:
    """True when the screen shows an error keyword (English or Chinese)."""
    return bool(CONTEXT_WORDS.search(screen_text) or CONTEXT_WORDS.search(screen_text.replace(" ", "")))


def needs_context(code: CodeMatch) -> bool:
    """Whether this kind of code is only trusted with an error keyword nearby or on a bare code display."""
    if code.pattern == "hp":
        # A hex letter (49.4C02) or two groups (13.20.00) make it specific; plain 79.04 could be a number.
        tail = code.code[3:]
        return not (any(c in "ABCDEF" for c in tail) and len(tail) >= 3) and code.code.count(".") < 2
    return next(p for p in PATTERNS if p.name == code.pattern).needs_context
