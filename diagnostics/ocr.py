"""OCR engines: tesserocr in-process (kept loaded) with a pytesseract subprocess fallback."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from diagnostics.errors import OcrUnavailableError
from diagnostics.script import Script, is_latin_lookalike, script_of

CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZx:-."  # what device error codes are written with


Recogniser = Literal["tesseract", "tesseract-code", "rapidocr", "segments"]


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One recognised word: text, confidence (0..1) and box (x, y, w, h) in the input image, with the evidence the
    decision may weigh: which recogniser read it (its confidence means that recogniser's: Tesseract's word
    confidence, RapidOCR's mean character probability of the word), and how tall its glyphs are against the screen
    (box height / the prepared screen's height; 0 when not known). script and latin_lookalike (properties) tell what
    the glyphs as read are written in."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]
    recogniser: Recogniser = "tesseract"
    height_share: float = 0.0

    @property
    def script(self) -> Script:
        """The script of the word's letters as read ("latin", "han", "cyrillic", "mixed", "none" ...)."""
        return script_of(self.text)

    @property
    def latin_lookalike(self) -> bool:
        """Read as Latin look-alikes of a Cyrillic or Greek word ("Работа" read "Pa6oTa"): see script.py."""
        return is_latin_lookalike(self.text)


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One recognised text line with its mean word confidence (0..1) and its words."""

    text: str
    confidence: float
    words: tuple[OcrWord, ...] = ()


class OcrEngine(Protocol):
    """Reads text lines from a grey uint8 image. One instance per thread."""

    name: str

    def read(self, gray: np.ndarray, languages: str | None = None) -> list[OcrLine]:
        """Recognise gray (HxW uint8); languages overrides the engine default (e.g. "eng")."""
        ...

    def read_code(self, gray: np.ndarray) -> str:
        """Read one short line restricted to CODE_CHARS (English model, single-line layout)."""
        ...


Box = tuple[int, int, int, int]


ROW_OVERLAP = 0.6  # share of the smaller word height two lines' boxes share vertically to be one row
ROW_HEIGHTS = 1.6  # ... with heights no further apart than this ratio
ROW_GAP = 12.0  # ... and a horizontal gap of at most this many line heights (a label and its value in a table)


def _line(words: list[OcrWord]) -> OcrLine:
    return OcrLine(" ".join(w.text for w in words), float(np.mean([w.confidence for w in words])), tuple(words))


def _same_row(a: list[OcrWord], b: list[OcrWord]) -> bool:
    """Two pieces of text on one row: sharing most of their height, of similar size, not far apart."""
    ay0, ay1 = min(w.box[1] for w in a), max(w.box[1] + w.box[3] for w in a)
    by0, by1 = min(w.box[1] for w in b), max(w.box[1] + w.box[3] for w in b)
    ha, hb = ay1 - ay0, by1 - by0
    if min(ha, hb) <= 0 or max(ha, hb) > ROW_HEIGHTS * min(ha, hb):
        return False
    if min(ay1, by1) - max(ay0, by0) < ROW_OVERLAP * min(ha, hb):
        return False
    ax0, ax1 = min(w.box[0] for w in a), max(w.box[0] + w.box[2] for w in a)
    bx0, bx1 = min(w.box[0] for w in b), max(w.box[0] + w.box[2] for w in b)
    gap = max(bx0 - ax1, ax0 - bx1)
    return gap <= ROW_GAP * max(ha, hb)


def join_rows(pieces: list[list[OcrWord]]) -> list[list[OcrWord]]:
    """Tesseract's lines with the pieces of one row joined, left to right.

    Tesseract's layout analysis puts a label and its value in different blocks when a wide gap separates them
    ("Error code:" ... "307.68" on a web page, a table's columns): joined, the label is context for the value."""
    rows: list[list[OcrWord]] = []
    for piece in pieces:
        for row in rows:
            if _same_row(row, piece):
                row.extend(piece)
                row.sort(key=lambda w: w.box[0])
                break
        else:
            rows.append(list(piece))
    return rows


def _group_lines(words: list[tuple[tuple[int, int, int], str, float, Box]]) -> list[OcrLine]:
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for key, word, conf, box in words:
        if word.strip():
            lines.setdefault(key, []).append(OcrWord(word.strip(), max(0.0, conf) / 100.0, box))
    rows = join_rows([lines[key] for key in sorted(lines)])
    return [_line(ws) for ws in sorted(rows, key=lambda ws: min(w.box[1] for w in ws))]


class TesserocrEngine:
    """tesserocr PyTessBaseAPI, one loaded API per language set; not thread-safe (one per worker)."""

    name = "tesserocr"

    def __init__(self, tessdata_path: str, languages: str) -> None:
        try:
            import tesserocr
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise OcrUnavailableError(f"tesserocr cannot be imported: {exc}") from exc
        if not os.path.isdir(tessdata_path):
            raise OcrUnavailableError(f"tessdata path {tessdata_path!r} does not exist")
        # Leptonica prints harmless complaints about layout boxes on stderr; they are noise in a server log.
        tesserocr.set_leptonica_log_level(tesserocr.LeptLogLevel.NONE)
        self._tesserocr = tesserocr
        self._path = tessdata_path
        self._default = languages
        self._apis: dict[tuple[str, bool], object] = {}
        self._api(languages, False)  # fail early on missing language data

    def _api(self, languages: str, code_line: bool):  # type: ignore[no-untyped-def]
        key = (languages, code_line)
        api = self._apis.get(key)
        if api is None:
            t = self._tesserocr
            psm = t.PSM.SINGLE_LINE if code_line else t.PSM.SPARSE_TEXT
            try:
                api = t.PyTessBaseAPI(path=self._path, lang=languages, psm=psm, oem=t.OEM.LSTM_ONLY)
            except RuntimeError as exc:
                raise OcrUnavailableError(f"tesseract cannot load {languages!r} from {self._path}: {exc}") from exc
            api.SetVariable("debug_file", "/dev/null")
            if code_line:
                api.SetVariable("tessedit_char_whitelist", CODE_CHARS)
            self._apis[key] = api
        return api

    def _set(self, api, gray: np.ndarray) -> None:  # type: ignore[no-untyped-def]
        img = np.ascontiguousarray(gray)
        h, w = img.shape[:2]
        api.SetImageBytes(img.tobytes(), w, h, 1, w)

    def read_code(self, gray: np.ndarray) -> str:
        """Read one short line restricted to CODE_CHARS."""
        api = self._api("eng", True)
        self._set(api, gray)
        return str(api.GetUTF8Text()).strip()

    def read(self, gray: np.ndarray, languages: str | None = None) -> list[OcrLine]:
        """Recognise a grey image and return its text lines."""
        t = self._tesserocr
        api = self._api(languages or self._default, False)
        self._set(api, gray)
        api.Recognize()
        words: list[tuple[tuple[int, int, int], str, float, Box]] = []
        it = api.GetIterator()
        block = par = line = 0
        level = t.RIL.WORD
        for r in t.iterate_level(it, level):
            if r.IsAtBeginningOf(t.RIL.BLOCK):
                block += 1
            if r.IsAtBeginningOf(t.RIL.PARA):
                par += 1
            if r.IsAtBeginningOf(t.RIL.TEXTLINE):
                line += 1
            try:
                word = r.GetUTF8Text(level)
            except RuntimeError:  # tesserocr raises on empty results
                continue
            if word:
                x0, y0, x1, y1 = r.BoundingBox(level)
                words.append(((block, par, line), word, r.Confidence(level), (x0, y0, x1 - x0, y1 - y0)))
        return _group_lines(words)

    def close(self) -> None:
        """Release the loaded APIs."""
        for api in self._apis.values():
            api.End()  # type: ignore[attr-defined]
        self._apis.clear()


class PytesseractEngine:
    """Fallback through the tesseract command line (one subprocess per call, much slower)."""

    name = "pytesseract"

    def __init__(self, tessdata_path: str, languages: str) -> None:
        try:
            import pytesseract
        except ImportError as exc:  # pragma: no cover
            raise OcrUnavailableError(f"pytesseract cannot be imported: {exc}") from exc
        try:
            pytesseract.get_tesseract_version()
        except Exception as exc:  # pytesseract raises its own types when the binary is missing
            raise OcrUnavailableError(f"tesseract binary not usable: {exc}") from exc
        self._pt = pytesseract
        self._path = tessdata_path.rstrip("/")
        self._default = languages

    def read(self, gray: np.ndarray, languages: str | None = None) -> list[OcrLine]:
        """Recognise a grey image and return its text lines."""
        data = self._pt.image_to_data(
            gray, lang=languages or self._default, config=f'--tessdata-dir "{self._path}" --oem 1 --psm 11',
            output_type=self._pt.Output.DICT,
        )
        words = []
        for i, word in enumerate(data["text"]):
            conf = float(data["conf"][i])
            if word and conf >= 0:
                key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
                box = (data["left"][i], data["top"][i], data["width"][i], data["height"][i])
                words.append((key, word, conf, box))
        return _group_lines(words)

    def read_code(self, gray: np.ndarray) -> str:
        """Read one short line restricted to CODE_CHARS."""
        cfg = f'--tessdata-dir "{self._path}" --oem 1 --psm 7 -c tessedit_char_whitelist={CODE_CHARS}'
        return str(self._pt.image_to_string(gray, lang="eng", config=cfg)).strip()


_per_thread = threading.local()


def thread_engine(tessdata_path: str, languages: str) -> OcrEngine:
    """The calling thread's engine for these settings, created (models loaded) on first use.

    Tesseract APIs are not thread-safe and slow to load: one per worker thread, kept for its lifetime.
    """
    engines: dict[tuple[str, str], OcrEngine] = _per_thread.__dict__.setdefault("engines", {})
    key = (tessdata_path, languages)
    if key not in engines:
        engines[key] = make_engine(tessdata_path, languages)
    return engines[key]


def make_engine(tessdata_path: str, languages: str, prefer: str = "tesserocr") -> OcrEngine:
    """The fastest available engine: tesserocr in-process, else pytesseract."""
    if prefer == "tesserocr":
        try:
            return TesserocrEngine(tessdata_path, languages)
        except OcrUnavailableError as exc:
            if "cannot be imported" not in str(exc):
                raise
    return PytesseractEngine(tessdata_path, languages)
