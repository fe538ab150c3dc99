"""Multi-frame consensus: a code is confirmed when read consistently, once per session."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from diagnostics.config import DiagnosticsConfig
from diagnostics.extract import CodeRead
from diagnostics.known import skeleton


@dataclass(slots=True)
class Candidate:
    """A code read at least once and not yet confirmed; keeps its best frame."""

    code: str
    shape: str
    family: str | None
    times: deque[float] = field(default_factory=deque)
    confidences: deque[float] = field(default_factory=deque)  # of the reads at `times`
    reads: int = 0
    best_confidence: float = -1.0
    best_time: float = 0.0
    best_text: str = ""
    best_shown: str = ""
    best_frame: np.ndarray | None = None
    best_ocr_input: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A code that just became confirmed, with its best evidence."""

    code: str
    shape: str
    family: str | None
    confidence: float
    frame_time: float
    text: str
    frame: np.ndarray
    ocr_input: np.ndarray | None
    frames_seen: int
    shown: str = ""  # the code as the screen showed it in the best read, label included


def is_near_variant(a: str, b: str) -> bool:
    """One glyph misread, dropped or added (edit distance 1): E-000/E-900, E21/E2."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _two_off(a: str, b: str) -> bool:
    """Long codes (7+ characters) differing in exactly two places: still a plausible misread."""
    return len(a) == len(b) >= 7 and sum(x != y for x, y in zip(a, b, strict=True)) == 2


# Shapes specific enough that two equal weak reads of a long code are unlikely to be chance: a number, a pair of
# number groups or a two-letter token read weakly twice may be two misreads of anything (or an ordinary number).
_SPECIFIC_SHAPES = frozenset({"hex", "prefixed", "dotted"})
LONG_CODE = 6  # characters from which a specific shape counts weak reads in full


def _is_long(code: str, shape: str) -> bool:
    return len(code) >= LONG_CODE and shape in _SPECIFIC_SHAPES


MISREAD_CACHE = 4096  # spellings remembered per session
CLEAR_READ = 0.8  # a read this confident is clear, though not sure enough to stand alone

# Glyph pairs OCR confuses on blurred or compressed displays (closed loops, stroke ends lost).
_CONFUSED = frozenset(frozenset(p) for p in (
    "08", "06", "09", "0C", "0D", "0Q", "68", "89", "38", "39", "35", "56", "5S", "8B", "17", "1I", "27", "2Z",
    "4A", "EF", "6G",
))


def is_confusion_variant(a: str, b: str) -> bool:
    """Same layout, differing only in commonly confused glyphs (13.26.66 for 13.20.00, SC998-81 for SC990-01)."""
    if a == b or len(a) != len(b):
        return False
    same = 0
    for x, y in zip(a, b, strict=True):
        if x == y:
            same += x.isalnum()
        elif frozenset((x, y)) not in _CONFUSED:
            return False
    return same >= 1  # a glyph has to agree beyond the punctuation (the E of E-668 and E-000)


def _misread_of(a: str, b: str) -> bool:
    """a is a plausible misread of b: one glyph off, two off in a long code, only confusable glyphs or separators
    off (the same confusion skeleton: SC99O-01 and SC990.01)."""
    return is_near_variant(a, b) or _two_off(a, b) or is_confusion_variant(a, b) or (
        a != b and skeleton(a) == skeleton(b))


class Consensus:
    """Accumulates per-frame code reads of one stream. Not thread-safe."""

    def __init__(self, config: DiagnosticsConfig, known_codes: frozenset[str] = frozenset()) -> None:
        self._c = config
        self._known = known_codes
        self._candidates: dict[str, Candidate] = {}
        self._confirmed: dict[str, float] = {}  # code -> last time it was seen
        self._glimpsed = float("-inf")  # last time a code was read too weakly to count
        # Whether a spelling is a misread of some catalogued code: compared with every catalogued code (~800), so
        # remembered per spelling (a screen's code is read in frame after frame); forgotten when the catalog changes.
        self._misread_cache: dict[str, bool] = {}

    def replace_known_codes(self, known_codes: frozenset[str]) -> None:
        """The catalog changed: judge reads from now on against these codes."""
        self._known = known_codes
        self._misread_cache.clear()

    @property
    def confirmed_codes(self) -> set[str]:
        """Codes already reported in this session."""
        return set(self._confirmed)

    def pending(self, t: float) -> bool:
        """A code was read within the confirmation window but not yet confirmed (another look would settle it)."""
        if t - self._glimpsed <= self._c.confirm_window_s:
            return True
        return any(c.times and t - c.times[-1] <= self._c.confirm_window_s for c in self._candidates.values())

    def mark_reported(self, code: str, t: float) -> None:
        """A code was reported by other means (a full-resolution scan): the video must not report it again."""
        self._confirmed[code] = t
        self._candidates.pop(code, None)

    def _suppressed(self, code: str, t: float) -> bool:
        if code in self._confirmed:
            self._confirmed[code] = t
            return True
        for done, last in self._confirmed.items():
            if _misread_of(code, done) and t - last <= self._c.variant_suppress_s:
                return True  # a misread of a code still on screen, not a new code
        return False

    def add(self, reads: list[CodeRead], frame: np.ndarray, t: float,
            ocr_input: np.ndarray | None = None) -> list[Confirmation]:
        """Record one analysed frame's reads at time t; returns codes confirmed by this frame."""
        out: list[Confirmation] = []
        for read in reads:
            long_code = _is_long(read.code, read.shape)
            # Weak reads of short codes are kept: they add up for a catalogued code and back it as misreads.
            floor = self._c.min_long_read_confidence if long_code else self._c.min_weak_read_confidence
            if self._suppressed(read.code, t):
                continue
            if read.confidence < floor:
                self._glimpsed = t  # too weak to count, but another look at the screen may read it well
                continue
            cand = self._candidates.get(read.code)
            if cand is None:
                cand = self._candidates[read.code] = Candidate(read.code, read.shape, read.family)
            cand.times.append(t)
            cand.confidences.append(read.confidence)
            while cand.times and t - cand.times[0] > self._c.confirm_window_s:
                cand.times.popleft()
                cand.confidences.popleft()
            cand.reads += 1
            if read.confidence > cand.best_confidence:
                cand.best_confidence = read.confidence
                cand.best_time = t
                cand.best_text = read.text
                cand.best_shown = read.shown
                cand.best_frame = frame
                cand.best_ocr_input = ocr_input
            needed = self._c.confirm_reads
            # One sure read confirms a catalogued code; an uncatalogued one needs frames that agree (a misread
            # of anything is as likely as a new code), and an extra one (uncatalogued_extra_reads).
            single_ok = read.confidence >= self._c.single_read_confidence and read.code in self._known
            if read.code not in self._known:
                needed += self._c.uncatalogued_extra_reads
                # A strong read needs no second one (a short clip or a moving view may never give it): after an
                # error caption, no glyph repaired, read surely, far above the threshold.
                single_ok = (read.introduced and read.repairs == 0
                             and read.confidence >= self._c.strong_read_confidence
                             and read.evidence >= self._c.code_threshold + self._c.strong_read_margin)
            if self._misread_of_known(read.code):
                # A glyph or two away from a catalogued code (E-900 vs E-000): likely a misread, so it has
                # to be read more often, and never on a single read.
                needed += 2
                single_ok = False
            if long_code:
                enough = len(cand.times) >= needed
            elif read.code in self._known:
                # Weak reads of a catalogued short code (E:46 at 0.43, 0.43, 0.14) add up to their share.
                enough = len(cand.times) >= needed and sum(cand.confidences) >= needed * self._c.min_read_confidence
            else:
                enough = self._strong_reads(cand) >= needed  # an uncatalogued short code needs clear reads
            if enough or single_ok:
                out.append(self._confirm(self._vote(cand, t), t))
            elif self._backed_by_misreads(cand, t):
                out.append(self._confirm(cand, t))
        return out

    def _backed_by_misreads(self, cand: Candidate, t: float) -> bool:
        """A catalogued code, read just now, whose recent misreads (49.4002 for 49.4C02) add up with its own reads.

        Glyphs that OCR keeps confusing (C/0) split one screen's reads over several spellings; together they
        are as good as agreeing reads, but only the catalogued spelling, read at least once, is confirmed, and
        only with one read more than plain agreement needs, unless its own read was clear (then a long code
        needs no extra read, and weak misreads of a short one count too)."""
        if cand.code not in self._known:
            return False
        rivals = [c for c in self._candidates.values()
                  if c is not cand and c.code not in self._known and c.times
                  and t - c.times[-1] <= self._c.confirm_window_s and _misread_of(c.code, cand.code)]
        misreads = sum(self._strong_reads(c) for c in rivals)
        own = self._strong_reads(cand)
        needed = self._c.confirm_reads + 1
        if cand.best_confidence >= CLEAR_READ:
            if _is_long(cand.code, cand.shape):
                needed -= 1  # one clear read of a long catalogued code and a misread of it agree well enough
            else:
                misreads = sum(len(c.times) for c in rivals)  # weak misreads (E-009 at 0.3) back a clear read
        return misreads > 0 and own > 0 and own + misreads >= needed

    def _strong_reads(self, cand: Candidate) -> int:
        """Reads in the window that count in full (weak reads of short codes do not back anything)."""
        if _is_long(cand.code, cand.shape):
            return len(cand.times)
        return sum(conf >= self._c.min_read_confidence for conf in cand.confidences)

    def _misread_of_known(self, code: str) -> bool:
        hit = self._misread_cache.get(code)
        if hit is None:
            if len(self._misread_cache) > MISREAD_CACHE:
                self._misread_cache.clear()  # a long call with many garbled reads: bounded memory
            hit = self._misread_cache[code] = code not in self._known and any(_misread_of(code, k)
                                                                              for k in self._known)
        return hit

    def _vote(self, cand: Candidate, t: float) -> Candidate:
        """Among near-variant readings of the same screen, the most often read one (then the known one)."""
        # Misreads of one screen's code (same skeleton, a glyph off) vote together: the majority spelling wins.
        rivals = [c for c in self._candidates.values() if c is cand or _misread_of(c.code, cand.code)]
        recent = [c for c in rivals if c.times and t - c.times[-1] <= self._c.confirm_window_s]
        if self._misread_of_known(cand.code):
            # The catalogued spelling, read in the same window, explains the misread better than any count.
            known = [c for c in self._candidates.values() if c.code in self._known and c.times
                     and t - c.times[-1] <= self._c.confirm_window_s and _misread_of(cand.code, c.code)]
            if known:
                return max(known, key=lambda c: (len(c.times), c.best_confidence))
        # Readings that look like misreads of a catalogued code count for less, as they do for confirmation.
        return max(recent or [cand], key=lambda c: (len(c.times) - 2 * self._misread_of_known(c.code),
                                                    c.code in self._known, c.best_confidence))

    def _confirm(self, cand: Candidate, t: float) -> Confirmation:
        del self._candidates[cand.code]
        self._confirmed[cand.code] = t
        # Pending near-variants were most likely misreads of this code.
        for other in [c for c in self._candidates if _misread_of(c, cand.code)]:
            del self._candidates[other]
        assert cand.best_frame is not None
        return Confirmation(cand.code, cand.shape, cand.family, cand.best_confidence, cand.best_time,
                            cand.best_text, cand.best_frame, cand.best_ocr_input, cand.reads, cand.best_shown)
