"""Tesseract psm 7 alone, RapidOCR alone, and Tesseract + RapidOCR where unsure, on code-line crops.

Screens from the bench generator are filmed (synthetic phone capture, 640x360 and 1280x720), the pipeline
finds and prepares the screen region and Tesseract's layout pass finds the words; the crop of the word
nearest the true code is what the code re-read (diagnostics/reread.py) would hand the recognisers. Prints,
side by side from one run: exact reads (case-insensitive, spaces removed), crops whose parsed codes hold the
truth, crops with a wrong code, and CPU ms per crop (this thread's CPU time, one onnxruntime/OMP thread).
    python bench/second_recogniser.py [--seeds 3] [--severity 0.8]
    python bench/second_recogniser.py --open SEED   (the open set's tuned families instead)
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core for tesseract; must precede its loading

import argparse  # noqa: E402
import functools  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnostics.analyzer import FrameAnalyzer  # noqa: E402
from diagnostics.config import DiagnosticsConfig  # noqa: E402
from diagnostics.frames import to_gray  # noqa: E402
from diagnostics.grammar import find_codes  # noqa: E402
from diagnostics.ocr import OcrEngine, OcrWord, TesserocrEngine  # noqa: E402
from diagnostics.preprocess import prepare  # noqa: E402
from diagnostics.rapid import RapidLineReader  # noqa: E402
from diagnostics.reread import _crop  # noqa: E402
from diagnostics.second_opinion import is_unsure, second_opinion  # noqa: E402
from testkit.synth.screens import SAMPLES  # noqa: E402
from testkit.synth.takes import Take, open_takes, takes  # noqa: E402

cv2.setNumThreads(1)


@dataclass(frozen=True, slots=True)
class CodeCrop:
    """One code word's crop as the re-read sees it, with Tesseract's layout-pass text and confidence."""

    truth: str
    crop: np.ndarray
    layout_text: str
    layout_confidence: float
    height: int  # of the filmed frame
    accepted: frozenset[str] = frozenset()  # normalised spellings that count as the code


@dataclass(slots=True)
class Tally:
    """One method's results over all crops."""

    exact: int = 0
    parsed: int = 0
    wrong: int = 0
    cpu_ms: list[float] = field(default_factory=list)

    def add(self, accepted: frozenset[str], text: str, cpu_ms: float) -> None:
        self.exact += _norm(text) in accepted
        codes = {_norm(m.code) for m in find_codes(text, assume_keyword=True)}
        self.parsed += bool(codes & accepted)
        self.wrong += bool(codes - accepted)
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


def code_crop(engine: OcrEngine, analyzer: FrameAnalyzer, config: DiagnosticsConfig, take: Take) -> CodeCrop | None:
    """The crop of the word nearest the true code, as the re-read would get it (None: no such word)."""
    if not take.truth or take.layout == "sevenseg":
        return None  # no text line for a recogniser: the segment decoder reads these
    region, _ = analyzer.locate(to_gray(take.frame))[0]
    ocr_in = prepare(region, config.target_text_px, config.max_ocr_width)
    words = [w for ln in engine.read(ocr_in, "eng") for w in ln.words if w.box[2] >= 2 and w.box[3] >= 4]
    if not words:
        return None
    def distance(w: OcrWord) -> int:
        return min(_distance(_norm(w.text), a) for a in take.accepted)

    word = min(words, key=distance)
    if distance(word) > len(take.truth) // 2 + 1:
        return None  # the layout pass did not see the code as a word: no crop the re-read would get
    return CodeCrop(take.truth, _crop(ocr_in, word.box), word.text, word.confidence, take.frame.shape[0],
                    frozenset(take.accepted))


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
    ap.add_argument("--open", type=int, metavar="SEED",
                    help="screens of the open set's tuned families (testkit/synth/open_set.py) with this seed instead")
    args = ap.parse_args(argv)
    config = DiagnosticsConfig(tessdata_path=args.tessdata, second_recogniser=False)
    engine = TesserocrEngine(config.tessdata_path, "eng")
    reader = RapidLineReader()
    if args.open is not None:
        all_takes = list(open_takes(args.open, args.severity))
        source = f"the open set's tuned families (seed {args.open})"
    else:
        all_takes = list(takes(args.seeds, args.severity))
        source = f"{args.seeds} takes of the {len(SAMPLES)} bench samples"
    analyzer = FrameAnalyzer(config, engine)
    crops = [c for c in (code_crop(engine, analyzer, config, t) for t in all_takes) if c is not None]
    for c in crops[:2]:  # load both models before timing
        engine.read_code(c.crop)
        reader.read_line(c.crop)
    names = ("tesseract psm 7", "rapidocr", "tesseract + rapidocr where unsure")
    tallies = {h: {n: Tally() for n in names} for h in (360, 720, 0)}
    asked = 0

    def tesseract(crop: CodeCrop) -> str:
        return engine.read_code(crop.crop).replace(" ", "")

    def rapidocr(crop: CodeCrop) -> str:
        return reader.read_line(crop.crop).text

    def hook(crop: CodeCrop, tess: str) -> str:
        # The hook as the pipeline uses it: Tesseract's re-read stands unless it is unsure (then RapidOCR reads).
        return second_opinion(reader, crop.crop, tess, crop.layout_confidence)

    for c in crops:
        tess, tess_ms = timed(functools.partial(tesseract, c))
        rapid, rapid_ms = timed(functools.partial(rapidocr, c))
        both, both_extra = timed(functools.partial(hook, c, tess))
        asked += is_unsure(tess, c.layout_confidence)
        for h in (c.height, 0):
            tallies[h][names[0]].add(c.accepted, tess, tess_ms)
            tallies[h][names[1]].add(c.accepted, rapid, rapid_ms)
            tallies[h][names[2]].add(c.accepted, both, tess_ms + both_extra)
    print(f"code-line crops: {len(crops)} from {source} (segment panels and "
          f"screens whose code the layout pass missed excluded); severity {args.severity}; "
          f"RapidOCR consulted on {asked} crops")
    for h, label in ((360, "640x360"), (720, "1280x720"), (0, "all")):
        n = sum(1 for c in crops if h in (0, c.height))
        print(f"{label}: {n} crops")
        for name, t in tallies[h].items():
            print(f"  {name:<36} exact {t.exact / max(1, n):6.1%}  code parsed {t.parsed / max(1, n):6.1%}  "
                  f"wrong code {t.wrong / max(1, n):5.1%}  CPU ms/crop median {np.median(t.cpu_ms):5.1f} "
                  f"mean {np.mean(t.cpu_ms):5.1f}")
    whole_frames(all_takes, engine, config, reader)
    return 0


def whole_frames(all_takes: list[Take], engine: OcrEngine, config: DiagnosticsConfig, reader: RapidLineReader) -> None:
    """The pipeline's cost per frame without and with the second recogniser, on the same frames back to back.

    Pairing each frame with itself cancels most of the drift a shared, busy machine adds to CPU timings.
    """
    without = FrameAnalyzer(config, engine)
    with_second = FrameAnalyzer(replace(config, second_recogniser=True), engine, reader)
    cpu: dict[str, dict[int, list[float]]] = {"off": {360: [], 720: []}, "on": {360: [], 720: []}}
    found = {"off": 0, "on": 0}
    wrong = {"off": 0, "on": 0}
    for take in all_takes:
        for name, analyzer in (("off", without), ("on", with_second)):
            analysis = analyzer.analyze(take.frame)
            cpu[name][take.frame.shape[0]].append(analysis.cpu_ms)
            codes = {_norm(r.code) for r in analysis.reads}
            found[name] += bool(codes & take.accepted)
            wrong[name] += bool(codes - take.accepted)
    n = sum(1 for t in all_takes if t.truth)
    print(f"whole frames, one analysis each ({len(all_takes)} frames, {n} with a code; no consensus):")
    for name in ("off", "on"):
        diffs = {h: np.array(cpu["on"][h]) - np.array(cpu["off"][h]) for h in (360, 720)}
        extra = f"; paired extra CPU ms median {np.median(diffs[720]):.1f} (720p) {np.median(diffs[360]):.1f} (360p)"
        print(f"  second recogniser {name:<3}  code read {found[name]}/{n}  wrong code on {wrong[name]} frames  "
              f"CPU ms/frame median 720p {np.median(cpu[name][720]):5.1f} 360p {np.median(cpu[name][360]):5.1f}"
              f"{extra if name == 'on' else ''}")


if __name__ == "__main__":
    raise SystemExit(main())
