"""RapidOCR's PP-OCRv4 recognition model (onnxruntime, shipped in the wheel) as a second reader of code lines.

Only the recognition model is used: its detector costs ~0.7 s per 720p frame on one core, while the pipeline
already knows where the code-like words are. One reader per worker thread, loaded once, one onnxruntime thread.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import cv2
import numpy as np

from diagnostics.errors import OcrUnavailableError
from diagnostics.ocr import CODE_CHARS

MODEL = "ch_PP-OCRv4_rec_infer.onnx"
INPUT_HEIGHT = 48  # the model's fixed input height; width is dynamic
MAX_INPUT_WIDTH = 960  # crops longer than 20:1 are squeezed rather than made costlier
BATCH = 1  # crops per model call: batches of 2-12 cost more CPU per crop here (onnxruntime, one thread; docs)


def bundled_model(name: str) -> Any:
    """An onnxruntime session of a model shipped in the rapidocr wheel, on one thread (the pool runs one worker per
    core; more threads only contend); OcrUnavailableError when the package or the model is missing."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise OcrUnavailableError(f"onnxruntime cannot be imported: {exc}") from exc
    model = files("rapidocr_onnxruntime") / "models" / name
    if not model.is_file():
        raise OcrUnavailableError(f"the rapidocr wheel has no {name}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 4
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(model), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise OcrUnavailableError(f"onnxruntime cannot load {name}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class LineRead:
    """One crop read as a single line: text and mean per-character probability (0..1); char_confidences holds each
    character's probability, in the order of text (spaces included; empty when not known)."""

    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()

    def word_confidences(self) -> list[float]:
        """Mean character probability of each white-space separated word of text (the line's mean when unknown)."""
        words = self.text.split()
        if len(self.char_confidences) != len(self.text):
            return [self.confidence] * len(words)
        out, pos = [], 0
        for word in words:
            start = self.text.index(word, pos)
            pos = start + len(word)
            out.append(float(np.mean(self.char_confidences[start:pos])))
        return out


class RapidLineReader:
    """Reads one cropped text line, restricted to CODE_CHARS by default (CTC output masked). Not thread-safe."""

    name = "rapidocr"

    def __init__(self, allowed: str | None = CODE_CHARS + " ") -> None:
        try:
            from rapidocr_onnxruntime.ch_ppocr_rec.utils import CTCLabelDecode
        except ImportError as exc:
            raise OcrUnavailableError(f"rapidocr-onnxruntime cannot be imported: {exc}") from exc
        self._session = bundled_model(MODEL)
        self._input = self._session.get_inputs()[0].name
        meta = self._session.get_modelmeta().custom_metadata_map
        # CTCLabelDecode adds the blank (index 0) and the trailing space the model was trained with.
        self._chars: list[str] = CTCLabelDecode(character=meta["character"].splitlines()).character
        # allowed=None reads the model's whole alphabet (Chinese, Latin, digits, punctuation): whole screen lines.
        keep = set(allowed) if allowed is not None else set(self._chars)
        self._mask = np.array([i == 0 or ch in keep for i, ch in enumerate(self._chars)])

    def read_line(self, gray: np.ndarray) -> LineRead:
        """Read a grey (or BGR) crop holding one line; empty text when nothing allowed is seen."""
        return self.read_lines([gray])[0]

    def read_lines(self, crops: list[np.ndarray], batch: int = BATCH) -> list[LineRead]:
        """Read several one-line crops, in their order; crops of similar width share one model call.

        A screen's lines read one call each pay onnxruntime's per-call cost every time; batched by width (padding
        a crop to the widest of its batch costs compute), a view's dozen lines cost about a third less."""
        lines: list[np.ndarray | None] = [_model_input(c) for c in crops]
        out = [LineRead("", 0.0)] * len(crops)
        order = sorted((i for i, ln in enumerate(lines) if ln is not None), key=lambda i: lines[i].shape[1])  # type: ignore[union-attr]
        for start in range(0, len(order), max(1, batch)):
            group = order[start:start + max(1, batch)]
            width = 8 * math.ceil(max(lines[i].shape[1] for i in group) / 8)  # type: ignore[union-attr]
            padded = np.zeros((len(group), 3, INPUT_HEIGHT, width), np.float32)
            for k, i in enumerate(group):
                line = lines[i]
                assert line is not None
                padded[k, :, :, :line.shape[1]] = line  # the model wants three equal channels
            probs = self._session.run(None, {self._input: padded})[0]
            for k, i in enumerate(group):
                out[i] = self._decode(probs[k])
        return out

    def _decode(self, probs: np.ndarray) -> LineRead:
        """Greedy CTC decoding of one line's per-step probabilities, masked to the allowed characters."""
        probs = np.where(self._mask, probs, 0.0)
        best, best_p = probs.argmax(axis=1), probs.max(axis=1)
        text: list[str] = []
        confs: list[float] = []
        prev = 0
        for idx, p in zip(best.tolist(), best_p.tolist(), strict=True):
            if idx != prev and idx != 0:  # CTC: repeats collapse, blanks separate
                text.append(self._chars[idx])
                confs.append(p)
            prev = idx
        # Leading and trailing spaces are dropped with their probabilities (the line's confidence counts them, as it did).
        start = 0
        while start < len(text) and text[start] == " ":
            start += 1
        end = len(text)
        while end > start and text[end - 1] == " ":
            end -= 1
        out = "".join(text[start:end])
        kept = tuple(confs[start:end])
        return LineRead(out, float(np.mean(confs)) if out else 0.0, kept if out else ())


def _model_input(gray: np.ndarray) -> np.ndarray | None:
    """A crop scaled to the model's height and normalised to -1..1 (H x W float32); None when too small."""
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape[:2]
    if h < 2 or w < 2:
        return None
    width = min(MAX_INPUT_WIDTH, max(8, round(INPUT_HEIGHT * w / h)))
    interp = cv2.INTER_AREA if h > INPUT_HEIGHT else cv2.INTER_CUBIC
    out: np.ndarray = cv2.resize(gray, (width, INPUT_HEIGHT), interpolation=interp).astype(np.float32) / 127.5 - 1.0
    return out


_per_thread = threading.local()


def thread_line_reader() -> RapidLineReader:
    """The calling thread's reader, loaded on first use (onnxruntime sessions are kept per worker thread)."""
    reader: RapidLineReader | None = getattr(_per_thread, "reader", None)
    if reader is None:
        reader = _per_thread.reader = RapidLineReader()
    return reader


def thread_text_reader() -> RapidLineReader:
    """The calling thread's whole-alphabet reader (screen lines with their captions), loaded on first use."""
    reader: RapidLineReader | None = getattr(_per_thread, "text_reader", None)
    if reader is None:
        reader = _per_thread.text_reader = RapidLineReader(allowed=None)
    return reader
