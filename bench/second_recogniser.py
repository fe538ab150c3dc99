"""Tesseract psm 7 alone, RapidOCR alone, and Tesseract + RapidOCR where unsure, on code-line crops.

Screens from the bench generator are filmed (synthetic phone capture, 640x360 and 1280x720), the pipeline
finds and prepares the screen region and Tesseract's layout pass finds the words; the crop of the word
nearest the true code is what the code re-read (diagnostics/reread.py) would hand the recognisers. Prints,
side by side from one run: exact reads (case-insensitive, spaces removed), crops whose parsed codes hold the
truth, crops with a wrong code, and CPU ms per crop (this thread's CPU time, one onnxruntime/OMP thread).
    python bench/second_recogniser.py [--seeds 3] [--severity 0.8]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core for tesseract; must precede its loading

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synth.capture import random_capture_params, render_capture  # noqa: E402
from bench.synth.screens import SAMPLES, random_style, render_error_screen, screen_size_for, screen_text  # noqa: E402
from diagnostics.analyzer import FrameAnalyzer  # noqa: E402
from diagnostics.config import DiagnosticsConfig  # noqa: E402
from diagnostics.frames import to_gray  # noqa: E402
from diagnostics.ocr import OcrEngine, TesserocrEngine  # noqa: E402
from diagnostics.patterns import find_codes  # noqa: E402
from diagnostics.preprocess import prepare  # noqa: E402
from diagnostics.rapid import RapidLineReader  # noqa: E402
from diagnostics.reread import _crop  # noqa: E402
from diagnostics.second_opinion import is_unsure, second_opinion  # noqa: E402

cv2.setNumThreads(1)
SIZES = ((640, 360), (1280, 720))


@dataclass(frozen=True, slots=True)
class CodeCrop:
    """One code word's crop as the re-read sees it, with Tesseract's layout-pass text and confidence."""

    truth: str
    crop: np.ndarray
    layout_text: str
    layout_confidence: float
    height: int  # of the filmed frame


@dataclass(slots=True)
class Tally:
    """One method's results over all crops."""

    exact: int = 0
    parsed: int = 0
    wrong: int = 0
    cpu_ms: list[float] = field(default_factory=list)

    def add(self, truth: str, text: str, cpu_ms: float) -> None:
        self.exact += _norm(text) == _norm(truth)
        codes = {m.code for m in find_codes(text, assume_keyword=True)}
        self.parsed += truth in codes
        self.wrong += bool(codes - {truth})
        self.cpu_ms.append(cpu_ms)


def _norm(text: str) -> str:
    return text.replace(" ", "").upper()


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (short strings)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def code_crops(engine: OcrEngine, config: DiagnosticsConfig, seeds: int, severity: float) -> Iterator[CodeCrop]:
    """Crops of the word nearest the true code, over every text sample x size x seed (segment panels skipped)."""
    analyzer = FrameAnalyzer(config, engine)
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        for i, sample in enumerate(SAMPLES):
            style = random_style(rng, sample)
            size = SIZES[(i + seed) % 2]
            screen_size = screen_size_for(style, rng)
            params = random_capture_params(rng, size, screen_size[0] / screen_size[1], severity)
            if style.layout == "sevenseg":
                continue  # no text line for a recogniser: the segment decoder reads these
            screen = render_error_screen(sample.code, screen_text(sample), style, screen_size)
            frame = render_capture(screen, params, size)
            region, _ = analyzer.locate(to_gray(frame))[0]
            ocr_in = prepare(region, config.target_text_px, config.max_ocr_width)
            words = [w for ln in engine.read(ocr_in, "eng") for w in ln.words if w.box[2] >= 2 and w.box[3] >= 4]
            if not words:
                continue
            word = min(words, key=lambda w: _distance(_norm(w.text), sample.code))
            if _distance(_norm(word.text), sample.code) > len(sample.code) // 2 + 1:
                continue  # the layout pass did not see the code as a word: no crop the re-read would get
            yield CodeCrop(sample.code, _crop(ocr_in, word.box), word.text, word.confidence, size[1])


def timed(read: Callable[[], str]) -> tuple[str, float]:
    start = time.thread_time()
    text = read()
    return text, (time.thread_time() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3, help="screens per sample (each a new style and take)")
    ap.add_argument("--severity", type=float, default=0.8, help="capture severity (tilt, blur, glare, moire)")
    ap.add_argument("--tessdata", default=DiagnosticsConfig().tessdata_path)
    args = ap.parse_args(argv)
    config = DiagnosticsConfig(tessdata_path=args.tessdata, second_recogniser=False)
    engine = TesserocrEngine(config.tessdata_path, "eng")
    reader = RapidLineReader()
    crops = list(code_crops(engine, config, args.seeds, args.severity))
    for c in crops[:2]:  # load both models before timing
        engine.read_code(c.crop)
        reader.read_line(c.crop)
    names = ("tesseract psm 7", "rapidocr", "tesseract + rapidocr where unsure")
    tallies = {h: {n: Tally() for n in names} for h in (360, 720, 0)}
    asked = 0
    for c in crops:
        tess, tess_ms = timed(lambda c=c: engine.read_code(c.crop).replace(" ", ""))
        rapid, rapid_ms = timed(lambda c=c: reader.read_line(c.crop).text)
        # The hook as the pipeline uses it: Tesseract's re-read stands unless it is unsure (then RapidOCR reads).
        both, both_extra = timed(lambda c=c, t=tess: second_opinion(reader, c.crop, t, c.layout_confidence))
        asked += is_unsure(tess, c.layout_confidence)
        for h in (c.height, 0):
            tallies[h][names[0]].add(c.truth, tess, tess_ms)
            tallies[h][names[1]].add(c.truth, rapid, rapid_ms)
            tallies[h][names[2]].add(c.truth, both, tess_ms + both_extra)
    print(f"code-line crops: {len(crops)} from {args.seeds} takes of {len(SAMPLES)} samples (segment panels and "
          f"screens whose code the layout pass missed excluded); severity {args.severity}; "
          f"RapidOCR consulted on {asked} crops")
    for h, label in ((360, "640x360"), (720, "1280x720"), (0, "all")):
        n = sum(1 for c in crops if h in (0, c.height))
        print(f"{label}: {n} crops")
        for name, t in tallies[h].items():
            print(f"  {name:<36} exact {t.exact / max(1, n):6.1%}  code parsed {t.parsed / max(1, n):6.1%}  "
                  f"wrong code {t.wrong / max(1, n):5.1%}  CPU ms/crop median {np.median(t.cpu_ms):5.1f} "
                  f"mean {np.mean(t.cpu_ms):5.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
