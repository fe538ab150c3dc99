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


def _separators(text: str) -> str:
    return "".join(ch for ch in text if not ch.isalnum())


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

        When several catalogued codes share a skeleton, the one spelt exactly as read wins, then the one whose
        separators agree, then the one with the most characters in common."""
        for read in reads:
            found = self._by_skeleton.get(skeleton(read))
            if not found:
                continue
            if len(found) == 1:
                return found[0]
            upper = read.upper()
            return max(found, key=lambda c: (c.upper() == upper, _separators(c) == _separators(read),
                                             sum(a == b for a, b in zip(c.upper(), upper, strict=False))))
        return None


NO_CODES = KnownCodes(())
