"""From OCR lines to code reads: the grammar's candidates, scored by context and prominence, with confidence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from diagnostics.context import has_keyword, is_caption, is_keyword, is_large, label_start, median_height
from diagnostics.grammar import CodeMatch, find_codes, has_identifier_label, prepare_line
from diagnostics.known import NO_CODES, KnownCodes, skeleton
from diagnostics.ocr import OcrLine, OcrWord

REPAIR_PENALTY = 0.04  # confidence lost per repaired character
MAX_TEXT_CHARS = 400
DEFAULT_THRESHOLD = 1.0  # DiagnosticsConfig.code_threshold's default, for callers without a config

# Evidence added to a shape's prior (grammar.PRIOR); a candidate is a code when the sum reaches the threshold.
KEYWORD_BEFORE = 0.8  # "Error code: X", "DTC: X", "故障 X": the screen says what X is
KEYWORD_ON_LINE = 0.45  # "X Call service": the keyword is near but names X less directly
KEYWORD_ON_SCREEN = 0.3  # a title "SERVICE ERROR" above the code
OWN_LINE = 0.3  # codes tend to stand on a line of their own (with at most a keyword)
LARGE = 0.3  # ... and to be drawn larger than the message around them
BARE_DISPLAY = 0.6  # a panel showing nothing but the token (segment displays): only shapes with a letter
CATALOGUED = 0.4  # the catalog knows this spelling: a doubted shape is still a code (79.04 under an error title)
KEYWORD_MIN_CONFIDENCE = 0.4  # a keyword read less surely than this is as likely garbage shaped like a word
STATUS_PAGE = 0.3  # an unlabelled, uncatalogued token on a page of identifiers without any error word
STRONG_SHAPE = 0.9  # shapes no identifier takes (SRVO-050, 0x8007045D, 49.4C02): alone on a line, a status page keeps them
REPAIR_EVIDENCE = 0.05  # each repaired glyph makes the reading a little less certain to be a code
_NUMBER_SHAPES = frozenset({"numeric", "grouped", "dotted"})  # a screen showing only a number is a reading
_TWO_GLYPHS = 2  # codes this short (dE, 5E, E5)


@dataclass(frozen=True, slots=True)
class CodeRead:
    """One code read in one frame."""

    code: str
    shape: str  # grammar shape it was read in ("hex", "prefixed", ...)
    family: str | None
    confidence: float  # 0..1
    line: str  # the line the code was read in
    text: str  # the whole screen's text, lines joined by newlines
    labelled: bool = True  # an error keyword on its own line vouches for it (not just the screen's title)
    shown: str = ""  # the code as the screen shows it, with the label before it ("Error code: E-204", "FAULT 146")
    evidence: float = 0.0  # the shape's prior and the context's evidence summed (compared with the threshold)
    repairs: int = 0  # glyphs changed by confusion repair
    introduced: bool = False  # an error caption right before it (on its line or stacked above), not only on the screen


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate with the evidence for it summed up."""

    match: CodeMatch
    line: OcrLine
    score: float
    screen_keyword: bool
    standing_out: bool  # long enough, or labelled, on its own line, large or on a bare display
    labelled: bool  # an error keyword right before it or on its line: evidence of its own
    introduced: bool = False  # an error caption right before it, on its line or stacked above


# A camera's exposure readings (ISO 400, a shutter time 1/125) make its F-numbers apertures (F2.8, F11), not codes.
_EXPOSURE = re.compile(r"(?<![\w])ISO\s?\d{2,6}(?!\w)|(?<![\w/.])1/\d{2,5}(?![\w/])")
_APERTURE = re.compile(r"[Ff]/?(?:1\.[0-9]|[2-9](?:\.\d)?|1[0-9]|2[0-2]|32)")
_ANNOTATION = re.compile(r"^\s*[(\[][^()\[\]]{1,20}[)\]]\s*$")


def screen_text(lines: list[OcrLine]) -> str:
    """The readable text of the screen: non-empty lines, trimmed to MAX_TEXT_CHARS."""
    # Lines without two letters or digits are OCR noise from icons, rules and borders (":(", "—").
    kept = [ln.text.strip() for ln in lines if sum(ch.isalnum() for ch in ln.text) >= 2]
    return "\n".join(kept)[:MAX_TEXT_CHARS]


def _is_bare_display(lines: list[OcrLine]) -> bool:
    """A screen showing little more than a code (seven-segment panels)."""
    tokens = [tok for ln in lines for tok in ln.text.split()]
    return 0 < len(tokens) <= 2


def _words_of(line: OcrLine, match: CodeMatch) -> list[OcrWord]:
    """The words a code was read from (one, or the pieces OCR split it into)."""
    raw = match.raw.replace(" ", "")
    return [w for w in line.words if w.text and (raw in w.text or (len(w.text) >= 2 and w.text in raw))]


def _trusted_text(line: OcrLine) -> str:
    """The line's words read well enough to vouch as a keyword (garbled CJK read as Latin gives "ERR" at 0.15)."""
    if not line.words:
        return line.text
    return " ".join(w.text for w in line.words if w.confidence >= KEYWORD_MIN_CONFIDENCE)


def _only_keywords(text: str) -> bool:
    """True when text holds nothing but error keywords and punctuation ("Error code:")."""
    return all(has_keyword(tok) for tok in text.split() if any(ch.isalnum() for ch in tok))


def _keyword_vouches(line: OcrLine, match: CodeMatch, code_words: list[OcrWord]) -> bool:
    """A keyword before the code counts unless it was read unsurely (the code's own prefix, ERR-1024, always)."""
    prefix = re.match(r"[^\W\d_]+", match.raw)
    if prefix and is_keyword(prefix.group(0)) or not code_words or not line.words:
        return True
    first = line.words.index(code_words[0])
    return first == 0 or line.words[first - 1].confidence >= KEYWORD_MIN_CONFIDENCE


def _score_all(lines: list[OcrLine], known: KnownCodes, assume_keyword: bool = False) -> list[Scored]:
    """Every candidate of the screen with its evidence summed; assume_keyword scores each as if labelled."""
    text = "\n".join(_trusted_text(ln) for ln in lines)
    screen_kw = has_keyword(text)
    bare = _is_bare_display(lines)
    # A status page: no error word anywhere, but identifiers listed (Serial ..., IP ...). Its lone tokens (M303W,
    # M776) are more identifiers; a code on it has to be catalogued, labelled or drawn large.
    status_page = not screen_kw and not bare and any(has_identifier_label(ln.text) for ln in lines)
    typical = median_height([w for ln in lines for w in ln.words])
    camera = any(_EXPOSURE.search(ln.text) for ln in lines)
    out: list[Scored] = []
    for i, ln in enumerate(lines):
        matches = find_codes(ln.text, assume_keyword, known)
        if not matches:
            continue
        line_kw = has_keyword(_trusted_text(ln))
        prepared = prepare_line(ln.text)
        for m in matches:
            if camera and _APERTURE.fullmatch(m.raw):
                continue  # F11 beside ISO 400 and 1/125 is the lens aperture
            if m.shape == "prefixed" and " " in prepared[m.start:m.end] and not (m.keyword_before or screen_kw
                                                                                  or m.known):
                continue  # "PLU 6923": a capitals name and a number are a reading on a screen without an error word
            code_words = _words_of(ln, m)
            # On a line of its own: nothing else on the line but keywords ("Error code: X", "X").
            # An annotation in brackets after the code ("SRVO-050  (G:1 A:6)": group and axis) leaves it alone.
            own_line = _only_keywords(prepared[:m.start] + " " + _ANNOTATION.sub("", prepared[m.end:]))
            large = any(is_large(w, typical) for w in code_words)
            before = m.keyword_before and (assume_keyword or _keyword_vouches(ln, m, code_words))
            # A caption line right above ("Error code" / "3x30", "ALARM" / "SV0401"): a label-value row stacked.
            before = before or (own_line and not prepared[:m.start].strip(" #*([") and _caption_above(lines, i, known))
            # A label-value row: one capitals label before a strong shape ("HMS 0300-0C00-0002-A41E", "ACK 0xCC").
            # Only a structured value (its groups joined by separators) and a label read surely: garbled glyphs of
            # another script read as Latin ("ARE S85E14") are no label-value row.
            own_line = own_line or (m.prior >= STRONG_SHAPE - 0.1 and not m.code.isalnum()
                                    and not prepared[m.end:].strip()
                                    and _LABEL_ONLY.fullmatch(prepared[:m.start]) is not None
                                    and prepared[:m.start].strip(" :") in _trusted_text(ln).split()
                                    and not has_identifier_label(prepared[:m.start]))
            # Codes this short hide in any text: they count only when they stand out or are labelled.
            standing_out = len(m.code) > _TWO_GLYPHS or before or own_line or large or bare
            score = m.prior - REPAIR_EVIDENCE * m.repairs
            if before:
                score += KEYWORD_BEFORE
            elif line_kw:
                score += KEYWORD_ON_LINE
            elif screen_kw:
                score += KEYWORD_ON_SCREEN
            score += OWN_LINE if own_line else 0.0
            if large:
                score += LARGE
            if bare and m.shape not in _NUMBER_SHAPES:
                score += BARE_DISPLAY
            if m.known and (m.shape not in _NUMBER_SHAPES or before or screen_kw or bare or large):
                # A catalogued plain number (12, 79.04) is also any reading: the catalog vouches for it only where
                # something else says an error is shown.
                score += CATALOGUED
            elif status_page and not before and not large and not (own_line and m.prior >= STRONG_SHAPE):
                score -= STATUS_PAGE
            out.append(Scored(m, ln, score, screen_kw or bare, standing_out, before or line_kw, before))
    return out


Stage = Literal["absent", "garbled", "shape", "context", "screen", "read"]
STAGES: tuple[Stage, ...] = ("absent", "garbled", "shape", "context", "screen", "read")


def stage_of(lines: list[OcrLine], accepted: set[str], known: KnownCodes = NO_CODES,
             threshold: float = DEFAULT_THRESHOLD) -> Stage:
    """How far a true code (accepted spellings, upper case, no white space) got from these lines to the reads.

    absent: in no line; garbled: only with confused glyphs or separators (the same skeleton); shape: in a line
    but the grammar offers no candidate for it even after a keyword; context: a candidate below the threshold
    (or too short to stand out); screen: passing, but another candidate of its line or screen was kept; read: among
    the frame's reads. For benches that attribute misses (bench/ocr_accuracy.py --stages)."""
    texts = ["".join(ln.text.split()).upper() for ln in lines]
    if not any(a in t for a in accepted for t in texts):
        skeletons = {skeleton(a) for a in accepted}
        return "garbled" if any(s and s in skeleton(t) for s in skeletons for t in texts) else "absent"

    def norm(code: str) -> str:
        return "".join(code.split()).upper()

    if any(norm(r.code) in accepted for r in extract_codes(lines, known, threshold)):
        return "read"
    scored = [s for s in _score_all(lines, known) if norm(s.match.code) in accepted]
    if any(s.score >= threshold and s.standing_out for s in scored):
        return "screen"
    if scored or any(norm(s.match.code) in accepted for s in _score_all(lines, known, assume_keyword=True)):
        return "context"
    return "shape"


NUMBER_PRIOR = 0.25  # grammar.PRIOR["numeric"]: a plain number between a caption and its code is a reading
_LABEL_ONLY = re.compile(r"\s*[A-Z]{2,5}\s*:?\s*")
CAPTION_REACH = 3  # lines a caption may stand above its code, the lines between holding only ordinary readings


def _caption_above(lines: list[OcrLine], i: int, known: KnownCodes) -> bool:
    """A caption line above line i labels its code: right above, or with only lines of ordinary readings between (an
    alarm list's "Fehler" / "Bed 67/78°C" / "#27756"), never across a message, a code-like token or an error word."""
    for j in range(i - 1, max(-1, i - 1 - CAPTION_REACH), -1):
        if _captioned_from_above(lines[j], lines[i], i - j):
            return True
        if not any(ch.isdigit() for ch in lines[j].text) or has_keyword(_trusted_text(lines[j])) \
                or any(m.prior > NUMBER_PRIOR for m in find_codes(lines[j].text, known=known)):
            return False
    return False


def _captioned_from_above(above: OcrLine, line: OcrLine, rows: int = 1) -> bool:
    """The line above is an error caption alone, read surely, and sits right over this line (when boxes are known)."""
    if not is_caption(_trusted_text(above)):
        return False
    if not above.words or not line.words:
        return True
    ax0 = min(w.box[0] for w in above.words)
    ax1 = max(w.box[0] + w.box[2] for w in above.words)
    ay1 = max(w.box[1] + w.box[3] for w in above.words)
    lx0 = min(w.box[0] for w in line.words)
    lx1 = max(w.box[0] + w.box[2] for w in line.words)
    ly0 = min(w.box[1] for w in line.words)
    height = max(max(w.box[3] for w in above.words), max(w.box[3] for w in line.words))
    # Close below (a line and a half of the larger text per row) and overlapping it sideways.
    return -0.5 * height <= ly0 - ay1 <= 1.5 * height * rows and min(ax1, lx1) > max(ax0, lx0)


def lacks_context(lines: list[OcrLine], known: KnownCodes = NO_CODES, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """True when some code-shaped token was only dropped for want of an error keyword (e.g. one in another script)."""
    # Scored as if each token were labelled: ES (E5 with its 5 read as S) needs its keyword to be a code at all.
    return any(not s.screen_keyword and s.score >= threshold and s.match.shape not in _NUMBER_SHAPES
               for s in _score_all(lines, known, assume_keyword=True))


def shown_as(line: OcrLine, match: CodeMatch) -> str:
    """The code as the screen shows it: its tokens and an error label right before them on its line."""
    prepared = prepare_line(line.text)
    start = label_start(prepared, match.start) if match.keyword_before else None
    return " ".join(prepared[match.start if start is None else start:match.end].split())


def _code_confidence(line: OcrLine, match: CodeMatch) -> float:
    """Confidence of the words the code was read from (garbled neighbours do not drag it down)."""
    confs = [w.confidence for w in _words_of(line, match)]
    return max(confs) if confs else line.confidence


def _one_per_line(passing: list[Scored]) -> list[Scored]:
    """The best-supported candidate of each line: a second token on a code's line is a caption, a label or a
    misread piece of it far more often than a second code (several codes stand on lines of their own)."""
    best: dict[int, Scored] = {}
    for s in passing:
        key = id(s.line)
        if key not in best or (s.score, len(s.match.code)) > (best[key].score, len(best[key].match.code)):
            best[key] = s
    return [s for s in passing if best[id(s.line)] is s]


def _one_per_screen(kept: list[tuple[Scored, CodeRead]]) -> list[tuple[Scored, CodeRead]]:
    """The screen's best-supported code, and beside it only codes whose own line carries an error keyword.

    A screen shows one error far more often than several: a second candidate without a keyword of its own (a
    model name, a dotted number, a MAC fragment on another line) is an ordinary token that the screen's title
    lent its keyword to. Several codes stand each on a labelled line ("Error E-204" / "Error SC542")."""
    if len(kept) <= 1:
        return kept
    top = max(kept, key=lambda p: (p[0].labelled, p[0].score, p[1].confidence))
    return [p for p in kept if p is top or p[0].labelled]


def extract_codes(lines: list[OcrLine], known: KnownCodes = NO_CODES,
                  threshold: float = DEFAULT_THRESHOLD) -> list[CodeRead]:
    """The codes on the screen whose shape and context reach the threshold, one per line, best confidence per code.

    Reads of one code on several lines (a title and a detail line) are one code: the same confusion skeleton
    keeps the best-supported spelling. Codes beyond the best one need a keyword on their own line."""
    text = screen_text(lines)
    passing = [s for s in _score_all(lines, known) if s.score >= threshold and s.standing_out]
    by_skeleton: dict[str, tuple[Scored, CodeRead]] = {}
    for s in _one_per_line(passing):
        m = s.match
        conf = max(0.0, min(1.0, _code_confidence(s.line, m)) - REPAIR_PENALTY * m.repairs)
        read = CodeRead(m.code, m.shape, m.family, conf, s.line.text.strip(), text, s.labelled, shown_as(s.line, m),
                        round(s.score, 3), m.repairs, s.introduced)
        key = skeleton(m.code)
        held = by_skeleton.get(key)
        if held is None or (s.score, conf) > (held[0].score, held[1].confidence):
            by_skeleton[key] = (s, read)
    return [read for _, read in _one_per_screen(list(by_skeleton.values()))]
