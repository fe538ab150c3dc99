"""Second look at code-like words: re-read their crops restricted to the characters codes use."""

from __future__ import annotations

import re
from dataclasses import replace

import cv2
import numpy as np

from diagnostics.glyphs import restore_zeros
from diagnostics.grammar import CodeMatch, find_codes
from diagnostics.known import NO_CODES, KnownCodes
from diagnostics.ocr import OcrEngine, OcrLine, OcrWord, Recogniser
from diagnostics.second_opinion import LineReader, second_opinion

MAX_REREADS = 4  # per frame, lowest confidence first, to bound the cost
REREAD_CONFIDENCE = 0.85  # what a constrained re-read is worth: needs a second frame to confirm
SURE = 0.9  # a code read this confidently with no repairs needs no second look
_HAS_DIGIT = re.compile(r"\d")


def _codes(text: str, known: KnownCodes) -> list[CodeMatch]:
    """Codes of a word as a re-read judges them: two letters alone (OO, a blank crop's noise) are no evidence."""
    return [m for m in find_codes(text, assume_keyword=True, known=known) if m.shape != "letters" or m.known]


def _needs_second_look(word: OcrWord, known: KnownCodes) -> bool:
    if not 2 <= len(word.text) <= 16:
        return False
    matches = _codes(word.text, known)
    if matches and word.confidence >= SURE and all(m.repairs == 0 for m in matches):
        return False
    return bool(matches) or bool(_HAS_DIGIT.search(word.text))


def _crop(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    pad_y, pad_x = int(0.3 * h) + 2, int(0.4 * h) + 2
    crop = gray[max(0, y - pad_y): y + h + pad_y, max(0, x - pad_x): x + w + pad_x]
    return cv2.copyMakeBorder(crop, 8, 8, 8, 8, cv2.BORDER_REPLICATE)


def reread_code_words(engine: OcrEngine, gray: np.ndarray, lines: list[OcrLine],
                      second: LineReader | None = None, known: KnownCodes = NO_CODES) -> list[OcrLine]:
    """Lines with code-like words replaced by their constrained re-read when that parses more cleanly.

    With a second reader, a crop Tesseract stays unsure about is also read by it (second_opinion decides)."""
    todo = sorted(((w.confidence, i, j) for i, ln in enumerate(lines) for j, w in enumerate(ln.words)
                   if _needs_second_look(w, known)))[:MAX_REREADS]
    if not todo:
        return lines
    out = list(lines)
    for _, i, j in todo:
        word = out[i].words[j]
        if word.box[2] < 2 or word.box[3] < 4:
            continue
        crop = _crop(gray, word.box)
        text = engine.read_code(crop).replace(" ", "")
        before = _codes(word.text, known)
        after = _codes(text, known)
        # The first read stays when the re-read shows no code, when it was clean and reasonably sure, or when
        # the re-read needed more repairs.
        keep_first = not after or (bool(before) and (
            (min(m.repairs for m in before) == 0 and word.confidence >= REREAD_CONFIDENCE)
            or min(m.repairs for m in after) > min(m.repairs for m in before)))
        if before and after and any(ch.islower() for ch in word.text) and min(m.repairs for m in before) == 0 \
                and _glyphs(after) < _glyphs(before):
            # The re-read's alphabet has no lower case: "Err:21" comes back as "E:21". A clean first read that
            # the re-read only shortens keeps its glyphs (the code as printed).
            keep_first = True
        known_before, known_after = any(m.known for m in before), any(m.known for m in after)
        if known_before != known_after:
            # A catalogued spelling explains the glyphs better than a clean but unknown one (5C542 -> SC542
            # against a re-read C542 that lost its S).
            keep_first = known_before
        text, codes = (word.text, before) if keep_first else (text, after)
        recogniser: Recogniser = word.recogniser if keep_first else "tesseract-code"
        if second is not None:
            better = second_opinion(second, crop, text, word.confidence if keep_first else REREAD_CONFIDENCE)
            if better != text:
                text, codes, recogniser = better, _codes(better, known), "rapidocr"
        if codes:  # slashed, barred and dotted zeros read as 8, 9 or 6: their holes tell
            text = restore_zeros(_tight_crop(gray, word.box), text)
        if text == word.text:
            continue
        new_word = replace(word, text=text, confidence=max(word.confidence, REREAD_CONFIDENCE), recogniser=recogniser)
        words = list(out[i].words)
        words[j] = new_word
        out[i] = OcrLine(" ".join(w.text for w in words), float(np.mean([w.confidence for w in words])), tuple(words))
    return out


def _glyphs(codes: list[CodeMatch]) -> int:
    """Letters and digits of the longest code."""
    return max(sum(ch.isalnum() for ch in m.code) for m in codes)


def _tight_crop(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    return gray[max(0, y - 2): y + h + 2, max(0, x - 2): x + w + 2]


def read_lone_line(engine: OcrEngine, gray: np.ndarray, second: LineReader | None = None) -> OcrLine | None:
    """The single text line of a near-empty screen, read as a code; None if the text is not one line."""
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    h, w = bw.shape
    n, _, stats, _ = cv2.connectedComponentsWithStats(bw)
    boxes = [stats[i] for i in range(1, n)
             if 6 <= stats[i][3] < 0.5 * h and stats[i][2] < 0.5 * w and stats[i][0] > 0 and stats[i][1] > 0
             and stats[i][0] + stats[i][2] < w and stats[i][1] + stats[i][3] < h]
    if not boxes or len(boxes) > 16:
        return None
    tall = max(b[3] for b in boxes)
    boxes = [b for b in boxes if b[3] >= 0.5 * tall]  # glyphs, not specks
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    if y1 - y0 > 1.6 * tall:  # more than one line
        return None
    crop = _crop(gray, (int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
    text = engine.read_code(crop).replace(" ", "")
    recogniser: Recogniser = "tesseract-code"
    if second is not None:
        first, text = text, second_opinion(second, crop, text, REREAD_CONFIDENCE)
        recogniser = recogniser if text == first else "rapidocr"
    box = (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
    return OcrLine(text, REREAD_CONFIDENCE, (OcrWord(text, REREAD_CONFIDENCE, box, recogniser),)) if text else None
