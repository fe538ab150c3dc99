"""From OCR lines to code reads: pattern matching, context rules, confidence and message text."""

from __future__ import annotations

from dataclasses import dataclass

from diagnostics.ocr import OcrLine
from diagnostics.patterns import find_codes, has_context, needs_context

REPAIR_PENALTY = 0.04  # confidence lost per repaired character
MAX_TEXT_CHARS = 400


@dataclass(frozen=True, slots=True)
class CodeRead:
    """One code read in one frame."""

    code: str
    pattern: str
    family: str | None
    confidence: float  # 0..1
    line: str  # the line the code was read in
    text: str  # the whole screen's text, lines joined by newlines


def screen_text(lines: list[OcrLine]) -> str:
    """The readable text of the screen: non-empty lines, trimmed to MAX_TEXT_CHARS."""
    # Lines without two letters or digits are OCR noise from icons, rules and borders (":(", "—").
    kept = [ln.text.strip() for ln in lines if sum(ch.isalnum() for ch in ln.text) >= 2]
    return "\n".join(kept)[:MAX_TEXT_CHARS]


def _is_bare_display(lines: list[OcrLine]) -> bool:
    """A screen showing little more than a code (seven-segment panels)."""
    tokens = [tok for ln in lines for tok in ln.text.split()]
    return 0 < len(tokens) <= 2


def lacks_context(lines: list[OcrLine]) -> bool:
    """True when some code was only dropped for want of an error keyword (e.g. one in another script)."""
    text = screen_text(lines)
    if has_context(text) or _is_bare_display(lines):
        return False
    return any(needs_context(m) for ln in lines for m in find_codes(ln.text, assume_keyword=True))


def _code_confidence(line: OcrLine, code: str) -> float:
    """Confidence of the words the code was read from (garbled neighbours do not drag it down)."""
    confs = [w.confidence for w in line.words if any(m.code == code for m in find_codes(w.text, assume_keyword=True))]
    return max(confs) if confs else line.confidence


def extract_codes(lines: list[OcrLine]) -> list[CodeRead]:
    """Every code on the screen that passes the context rules, best confidence per code."""
    text = screen_text(lines)
    context = has_context(text) or _is_bare_display(lines)
    best: dict[str, CodeRead] = {}
    for ln in lines:
        for match in find_codes(ln.text):
            if needs_context(match) and not context:
                continue
            conf = max(0.0, min(1.0, _code_confidence(ln, match.code)) - REPAIR_PENALTY * match.repairs)
            read = CodeRead(match.code, match.pattern, match.family, conf, ln.text.strip(), text)
            if match.code not in best or best[match.code].confidence < conf:
                best[match.code] = read
    return list(best.values())
