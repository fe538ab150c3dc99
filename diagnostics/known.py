"""Catalogued codes as a matcher: a read is compared to the catalog's own spellings, up to confusable glyphs."""

from __future__ import annotations

from collections.abc import Iterable

# Glyphs OCR confuses, each mapped to one representative; separators and spaces are dropped, because devices
# and OCR both add or lose them ("SC 542", "E204" for E-204). Lower case maps through upper case first.
_SKELETON = str.maketrans({
    **dict.fromkeys("OQDU@°θ", "0"), **dict.fromkeys("IL|!][", "1"), "Z": "2", **dict.fromkeys("S$", "5"),
    "G": "6", "B": "8", "T": "7", **dict.fromkeys("£€", "E"), **dict.fromkeys("×%", "X"),
    **dict.fromkeys("-.:: _–—·,", None),
})


def skeleton(text: str) -> str:
    """The spelling with separators dropped and confusable glyphs merged (SC990-01, $C99O 01 -> 5C990001)."""
    return text.upper().translate(_SKELETON)


def _separators(text: str) -> set[str]:
    return {ch for ch in text if ch in _SEPARATOR_CHARS}


_SEPARATOR_CHARS = frozenset("-.:_")


_LOST_DASH_MIN, _LOST_DOT_MIN = 4, 5  # glyphs a code needs before a lost separator is believed


def _may_have_lost(read: str, code: str) -> bool:
    """Whether OCR may have lost the separators the catalogued spelling has and the read lacks: a short code's dot or
    dash is part of what it is (F.27 and F27, 50.4 and "Error 504", E-02 and E02 are different codes), a long
    code's is only a glyph OCR drops (E204 for E-204, 494C02 for 49.4C02)."""
    lost = _separators(code) - _separators(read)
    glyphs = sum(ch.isalnum() for ch in code)
    return not lost or glyphs >= (_LOST_DOT_MIN if "." in lost else _LOST_DASH_MIN)


def _places(text: str) -> set[int]:
    """Where separators stand, counted in glyphs before them: F2.8 (a dot after two glyphs) is no F.28 (after one)."""
    out, glyphs = set(), 0
    for ch in text:
        if ch in _SEPARATOR_CHARS:
            out.add(glyphs)
        elif ch.isalnum():
            glyphs += 1
    return out


class KnownCodes:
    """Catalogued codes indexed by skeleton: built in one pass over the code list, so cheap to rebuild on reload."""

    def __init__(self, codes: Iterable[str]) -> None:
        self._codes = frozenset(codes)
        self._by_skeleton: dict[str, list[str]] = {}
        for code in sorted(self._codes):
            self._by_skeleton.setdefault(skeleton(code), []).append(code)

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __len__(self) -> int:
        return len(self._codes)

    @property
    def codes(self) -> frozenset[str]:
        """The catalogued spellings."""
        return self._codes

    def match(self, *reads: str) -> str | None:
        """The catalogued spelling that one of the reads (raw or repaired) stands for, if any.

        A read spelt exactly as a catalogued code is that code. A read that only matches under the confusion
        skeleton is snapped when one catalogued code has that skeleton, or when exactly one of several does up
        to separators alone (E204 for E-204); otherwise the read is kept: F8 read as Fb must not become a different
        catalogued code."""
        for read in reads:
            if read in self._codes:
                return read
            # A separator the catalogued spelling lacks was printed, not invented by OCR: F.37 and F37 are
            # different codes of one boiler, so a read keeps a dot, colon or dash its catalogued twin has not.
            found = [c for c in self._by_skeleton.get(skeleton(read), ()) if _separators(read) <= _separators(c)
                     and _places(read) <= _places(c) and _may_have_lost(read, c)]
            if not found:
                continue
            upper = read.upper()
            exact = [c for c in found if c.upper() == upper]
            if exact:
                return exact[0]
            if len(found) == 1:
                return found[0]
            bare = "".join(ch for ch in upper if ch.isalnum())
            same_glyphs = [c for c in found if "".join(ch for ch in c.upper() if ch.isalnum()) == bare]
            if len(same_glyphs) == 1:
                return same_glyphs[0]
        return None

    def ambiguous(self, read: str) -> bool:
        """True when several catalogued codes share the read's confusion skeleton (F8 and Fb)."""
        return len(self._by_skeleton.get(skeleton(read), ())) > 1


NO_CODES = KnownCodes(())
