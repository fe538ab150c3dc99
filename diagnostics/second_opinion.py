"""A second recogniser's opinion on a code crop that Tesseract read unsurely (one place for the whole rule)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from diagnostics.grammar import find_codes
from diagnostics.rapid import LineRead

SURE = 0.9  # a code Tesseract read this confidently, with no repairs, needs no second opinion
UNSURE_NON_CODE = 0.75  # a word with digits but no code, read below this, may be a garbled code
MIN_SECOND_CONFIDENCE = 0.8  # what the second reader must reach to replace Tesseract's reading


class LineReader(Protocol):
    """Reads one cropped text line (restricted to code characters)."""

    name: str

    def read_line(self, gray: np.ndarray) -> LineRead:
        """Text and confidence of a one-line crop."""
        ...


def _repairs(text: str) -> int | None:
    """Fewest repairs of any code in text; None when it holds no code."""
    matches = find_codes(text, assume_keyword=True)
    return min(m.repairs for m in matches) if matches else None


def is_unsure(text: str, confidence: float) -> bool:
    """Tesseract's reading of a code-like crop needs a second opinion: no code, repairs needed, or low confidence."""
    repairs = _repairs(text)
    if repairs is None:
        return confidence < UNSURE_NON_CODE
    return repairs > 0 or confidence < SURE


def second_opinion(reader: LineReader, crop: np.ndarray, text: str, confidence: float) -> str:
    """The better of Tesseract's text and the second reader's for one crop (Tesseract's when it was sure)."""
    if not is_unsure(text, confidence):
        return text
    other = reader.read_line(crop)
    if other.confidence < MIN_SECOND_CONFIDENCE:
        return text
    theirs, ours = _repairs(other.text.replace(" ", "")), _repairs(text)
    if theirs is None:
        return text
    # The second reading wins when only it shows a code, or when its code needed fewer repairs, or as many and it
    # is the surer one: the open grammar parses most misreads as some clean code (S899 for SC899).
    if ours is None or theirs < ours or (theirs == ours and other.confidence > confidence):
        return other.text.replace(" ", "")
    return text
