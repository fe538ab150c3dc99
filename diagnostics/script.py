"""Which script a word as read is written in, and whether it looks like another script's word read as Latin.

The recognisers here read Latin, Chinese and Japanese only: a Cyrillic or Greek word on a screen comes back as Latin
letters and digits that look like its glyphs ("Работа" as "Pa6oTa", "Ошибка" as "Owu6ka"), and such a mix of letters
and digits is shaped like a code. Its tell is how it is mixed: lower-case letters whose capitals come back after them
(a, o, T), and digits standing between letters where a Cyrillic letter has a digit twin (б -> 6, З -> 3, Ч -> 4).
Codes are written in capitals and digits, or in a capital prefix followed by digits, so these marks separate the two.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Script = Literal["latin", "han", "kana", "hangul", "cyrillic", "greek", "other", "mixed", "none"]

# Latin letters that Cyrillic or Greek letters look like (upper and lower case), as a Latin-only recogniser returns
# them: А В С Е Н К М О Р Т Х У, а с е о р х у, г -> r, п -> n, и -> u, ь -> b, к -> k, т -> m (italic), Я -> R,
# И -> N, Greek Α Β Ε Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ Ζ, α -> a, ι -> i, κ -> k, ν -> v, ο -> o, ρ -> p, υ -> u, χ -> x, γ -> y.
TWINS = frozenset("ABCEHKMOPTXYNRIZaceopxyrnubkmivtw")
DIGIT_TWINS = frozenset("0346")  # О -> 0, З/з -> 3, Ч -> 4, б -> 6
MIN_LETTERS = 3


def _script_of_char(ch: str) -> Script | None:
    if not ch.isalpha():
        return None
    if "a" <= ch.lower() <= "z":
        return "latin"
    name = unicodedata.name(ch, "")
    for key, script in (("CJK", "han"), ("HIRAGANA", "kana"), ("KATAKANA", "kana"), ("HANGUL", "hangul"),
                        ("CYRILLIC", "cyrillic"), ("GREEK", "greek"), ("LATIN", "latin")):
        if key in name:
            return script  # type: ignore[return-value]
    return "other"


def script_of(text: str) -> Script:
    """The script of text's letters: one name, "mixed" when letters of several scripts are in it, "none" without."""
    found = {s for s in (_script_of_char(ch) for ch in text) if s is not None}
    if not found:
        return "none"
    return found.pop() if len(found) == 1 else "mixed"


def is_latin_lookalike(text: str) -> bool:
    """A word a Cyrillic or Greek word read by a Latin-only recogniser would produce: at least MIN_LETTERS letters,
    every letter one with a Cyrillic or Greek twin, some lower case, and either a capital after a lower-case letter
    that is not the first ("Pa6oTa"; kPa is a unit) or a twin digit between two letters ("Pa6ota")."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < MIN_LETTERS or not all(ch in TWINS for ch in letters):
        return False
    if not any(ch.islower() for ch in letters):
        return False
    # Not right after a lower-case first letter: unit prefixes are written so (kPa, mA).
    capital_after_lower = any(letters[i - 1].islower() and letters[i].isupper() for i in range(2, len(letters)))
    glyphs = [ch for ch in text if ch.isalnum()]
    digit_inside = any(glyphs[i] in DIGIT_TWINS and glyphs[i - 1].isalpha() and glyphs[i + 1].isalpha()
                       for i in range(1, len(glyphs) - 1))
    return capital_after_lower or digit_inside
