"""OCR engines: tesserocr in-process (kept loaded) with a pytesseract subprocess fallback."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from diagnostics.errors import OcrUnavailableError


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One recognised text line with its mean word confidence (0..1)."""

    text: str
    confidence: float


class OcrEngine(Protocol):
    """Reads text lines from a grey uint8 image. One instance per thread."""

    name: str

    def read(self, gray: np.ndarray, languages: str | None = None, single_line: bool = False) -> list[OcrLine]:
        """Recognise gray (HxW uint8); languages overrides the engine default (e.g. "eng")."""
        ...


def _group_lines(words: list[tuple[tuple[int, int, int], str, float]]) -> list[OcrLine]:
    lines: dict[tuple[int, int, int], list[tuple[str, float]]] = {}
    for key, word, conf in words:
        if word.strip():
            lines.setdefault(key, []).append((word, conf))
    out = []
    for key in sorted(lines):
        ws = lines[key]
        out.append(OcrLine(" ".join(w for w, _ in ws), float(np.mean([c for _, c in ws])) / 100.0))
    return out


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
        self._tesserocr = tesserocr
        self._path = tessdata_path
        self._default = languages
        self._apis: dict[tuple[str, bool], object] = {}
        self._api(languages, False)  # fail early on missing language data

    def _api(self, languages: str, single_line: bool):  # type: ignore[no-untyped-def]
        key = (languages, single_line)
        api = self._apis.get(key)
        if api is None:
            t = self._tesserocr
            psm = t.PSM.SINGLE_LINE if single_line else t.PSM.SPARSE_TEXT
            try:
                api = t.PyTessBaseAPI(path=self._path, lang=languages, psm=psm, oem=t.OEM.LSTM_ONLY)
            except RuntimeError as exc:
                raise OcrUnavailableError(f"tesseract cannot load {languages!r} from {self._path}: {exc}") from exc
            api.SetVariable("debug_file", "/dev/null")
            self._apis[key] = api
        return api

    def read(self, gray: np.ndarray, languages: str | None = None, single_line: bool = False) -> list[OcrLine]:
        """Recognise a grey image and return its text lines."""
        t = self._tesserocr
        api = self._api(languages or self._default, single_line)
        img = np.ascontiguousarray(gray)
        h, w = img.shape[:2]
        api.SetImageBytes(img.tobytes(), w, h, 1, w)
        api.Recognize()
        words: list[tuple[tuple[int, int, int], str, float]] = []
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
                words.append(((block, par, line), word, r.Confidence(level)))
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

    def read(self, gray: np.ndarray, languages: str | None = None, single_line: bool = False) -> list[OcrLine]:
        """Recognise a grey image and return its text lines."""
        psm = 7 if single_line else 11
        data = self._pt.image_to_data(
            gray, lang=languages or self._default, config=f'--tessdata-dir "{self._path}" --oem 1 --psm {psm}',
            output_type=self._pt.Output.DICT,
        )
        words = []
        for i, word in enumerate(data["text"]):
            conf = float(data["conf"][i])
            if word and conf >= 0:
                words.append(((data["block_num"][i], data["par_num"][i], data["line_num"][i]), word, conf))
        return _group_lines(words)


def make_engine(tessdata_path: str, languages: str, prefer: str = "tesserocr") -> OcrEngine:
    """The fastest available engine: tesserocr in-process, else pytesseract."""
    if prefer == "tesserocr":
        try:
            return TesserocrEngine(tessdata_path, languages)
        except OcrUnavailableError as exc:
            if "cannot be imported" not in str(exc):
                raise
    return PytesseractEngine(tessdata_path, languages)
