"""Text-level recall of line finding and recognition on filmed fresh2 screens, where the code's box is known.

For a few frames of each clip with a code (a fresh2 set: locations.json gives the code's box on the rendered
screen, the plan gives the filming geometry), the code's box is carried into the frame and into the prepared image
the analyzer reads, and each step is asked on its own:
  region   the analyzer's first region (screen outline or text block) holds the code's box
  finder   a line of the morphological finder (diagnostics/lines.py) covers the code's box
  det      a line of the DBNet detector (diagnostics/detect.py) on the prepared image covers it
  page     Tesseract's page read (the analyzer's lines, all passes) holds the code's text
  tess     Tesseract psm 7 (code characters) reads the code in a crop of its true box (prepared image)
  rapid    RapidOCR recognition (whole alphabet) reads it in the same crop
  rapid-fr RapidOCR recognition of the code's box cut from the frame itself at its full resolution
  det-fr   a line of the detector run on the whole grey frame (same reduced scale) covers the code's box there
  det+rd   RapidOCR recognition of the detector's box that covers the code (prepared image)
  dfr+rd   RapidOCR recognition of the frame detector's box that covers the code, cut from the frame
  det+rr   RapidOCR recognition of the detector's box (prepared image) cut from the rectified region at its own
           resolution, in the prepared image's polarity (what the analyzer's detected-lines pass reads)
  view     the analyzer with the line detector on, reading the frame as the second of a still view (the frame
           before it read first): its lines, all passes, hold the code's text
So a code lost at stage (a) (absent from every OCR line) is put down to the line finding or to recognition.

    python bench/line_recall.py --data .dataset/fresh2-72001 [--frames 3] [--by layout|format|family]
    python bench/line_recall.py --seed 72101 --per-format 1     # renders, films and VP8-codes the clips itself
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core for tesseract; must precede its loading

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.make_dataset import FPS, OPEN_LEAD_IN_S, OPEN_SCREEN_S, SIZES  # noqa: E402
from diagnostics.analyzer import FrameAnalyzer  # noqa: E402
from diagnostics.catalog import load_catalogs  # noqa: E402
from diagnostics.config import DiagnosticsConfig  # noqa: E402
from diagnostics.detect import LineDetector  # noqa: E402
from diagnostics.frames import to_gray  # noqa: E402
from diagnostics.known import KnownCodes  # noqa: E402
from diagnostics.lines import find_lines  # noqa: E402
from diagnostics.ocr import TesserocrEngine  # noqa: E402
from diagnostics.preprocess import is_light_on_dark, prepare  # noqa: E402
from diagnostics.rapid import RapidLineReader  # noqa: E402
from diagnostics.screen import rectify_transform  # noqa: E402
from testkit.synth.clips import film_geometry  # noqa: E402
from testkit.synth.codec import decode_clip, encode_clip  # noqa: E402
from testkit.synth.fresh2_formats import FRESH2_FAMILIES  # noqa: E402
from testkit.synth.fresh2_screens import fresh2_code_box, plan_fresh2, render_fresh2_clip  # noqa: E402

cv2.setNumThreads(1)
COLUMNS = ("region", "finder", "det", "det-fr", "page", "tess", "rapid", "rapid-fr", "det+rd", "dfr+rd", "det+rr",
           "view")
COVER = 0.6  # share of the code's box a line box must hold
TALL = 3.0  # ... while being at most this many times the code's height (not a whole block)
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _norm(text: str) -> str:
    return "".join(text.split()).upper()


def _holds(text: str, accepted: set[str]) -> bool:
    t = _norm(text)
    return any(a and a in t for a in accepted)


def _map(m: np.ndarray, box: Box) -> Box:
    """The bounding box of a box's corners under a 3x3 map."""
    x0, y0, x1, y1 = box
    pts = cv2.perspectiveTransform(np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32), m)[0]
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def _covers(line: tuple[int, int, int, int], code: Box) -> bool:
    lx, ly, lw, lh = line
    ix = max(0.0, min(lx + lw, code[2]) - max(lx, code[0]))
    iy = max(0.0, min(ly + lh, code[3]) - max(ly, code[1]))
    area = max(1e-6, (code[2] - code[0]) * (code[3] - code[1]))
    return ix * iy >= COVER * area and lh <= TALL * max(1.0, code[3] - code[1])


def _crop(gray: np.ndarray, box: Box, pad: float = 0.3) -> np.ndarray:
    x0, y0, x1, y1 = box
    p = pad * (y1 - y0) + 2
    h, w = gray.shape[:2]
    return gray[max(0, int(y0 - p)): min(h, int(y1 + p) + 1), max(0, int(x0 - p)): min(w, int(x1 + p) + 1)]


def _full_res_crop(gray: np.ndarray, screen_to_frame: np.ndarray, box: Box) -> np.ndarray:
    """The code's box (screen pixels, with a margin) cut upright from the frame at the frame's own resolution."""
    x0, y0, x1, y1 = box
    p = 0.3 * (y1 - y0)
    quad = cv2.perspectiveTransform(np.array([[[x0 - p, y0 - p], [x1 + p, y0 - p], [x1 + p, y1 + p],
                                               [x0 - p, y1 + p]]], np.float32), screen_to_frame)[0]
    m, size = rectify_transform(quad, 0.0)
    return cv2.warpPerspective(gray, m, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="a fresh2 set made by bench/make_dataset.py")
    ap.add_argument("--seed", type=int, help="instead of --data: plan, render and encode fresh2 clips of this seed")
    ap.add_argument("--per-format", type=int, default=1, help="with --seed: screens per format")
    ap.add_argument("--frames", type=int, default=3, help="frames per clip, spread over the screen's time")
    ap.add_argument("--by", choices=("layout", "format", "family", "size"), default="layout")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args(argv)
    if args.data:
        manifest = json.loads((args.data / "manifest.json").read_text())
        if manifest.get("split") != "fresh2":
            raise SystemExit("bench/line_recall.py needs a fresh2 set (it has the code's box on each screen)")
        labels = {lb["file"]: lb for lb in json.loads((args.data / "labels.json").read_text())}
        boxes = {loc["file"]: loc["box"] for loc in json.loads((args.data / "locations.json").read_text())}
        specs = plan_fresh2(manifest["families"], manifest["seed"], manifest["per_format"], manifest["negatives"],
                            SIZES)
    elif args.seed is not None:
        specs = plan_fresh2(list(FRESH2_FAMILIES), args.seed, args.per_format, 0, SIZES)
        labels, boxes = {}, {}
    else:
        raise SystemExit("--data or --seed")
    tmp = Path(tempfile.mkdtemp(prefix="line-recall-"))
    config = DiagnosticsConfig()
    engine = TesserocrEngine(config.tessdata_path, config.languages)
    known = KnownCodes(load_catalogs(config.catalog_path, None).catalog.codes())
    analyzer = FrameAnalyzer(config, engine, known=known)
    viewer = FrameAnalyzer(replace(config, line_detector=True), engine, known=known)
    reader = RapidLineReader(allowed=None)
    detector = LineDetector()
    rows: dict[str, list[dict[str, bool]]] = defaultdict(list)
    det_ms: list[float] = []
    det_fr_ms: list[float] = []
    todo = [s for s in specs if s.content.code]
    if args.limit:
        todo = todo[: args.limit]
    for spec in todo:
        if args.data:
            name = next(f for f in labels if f.startswith(f"clip_{spec.index:03d}."))
            share = boxes[name]
            frames = decode_clip(args.data / name)
        else:
            share = fresh2_code_box(spec)
            path = encode_clip(render_fresh2_clip(spec, FPS, OPEN_LEAD_IN_S, OPEN_SCREEN_S), tmp / "clip", spec.codec,
                               spec.kbps, FPS)
            frames = decode_clip(path)
        accepted = {_norm(a) for a in spec.content.accept} | {_norm(spec.content.code)}
        sw, sh = spec.screen_size
        code_box: Box = (share[0] * sw, share[1] * sh, share[2] * sw, share[3] * sh)
        geometry = film_geometry((sh, sw), spec.size, FPS, OPEN_LEAD_IN_S, OPEN_SCREEN_S,
                                 np.random.default_rng(spec.seed))
        first = int(round(OPEN_LEAD_IN_S * FPS))
        picks = np.linspace(first + 3, len(frames) - 1, args.frames).astype(int)
        group = {"layout": spec.style.layout, "format": spec.format, "family": spec.family,
                 "size": f"{spec.size[1]}p"}[args.by]
        for i in picks:
            to_frame = geometry[int(i)]
            if to_frame is None:
                continue
            gray = to_gray(frames[int(i)][1])
            region, how = analyzer.locate(gray)[0]
            if how == "frame":
                frame_to_region = np.eye(3)
            else:
                corners, inset = analyzer.located[how]
                frame_to_region = rectify_transform(corners, inset)[0]
            ocr_in = prepare(region, config.target_text_px, config.max_ocr_width)
            scale = np.diag([ocr_in.shape[1] / region.shape[1], ocr_in.shape[0] / region.shape[0], 1.0])
            box = _map(scale @ frame_to_region @ to_frame, code_box)
            h, w = ocr_in.shape[:2]
            centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            row = {"region": 0 <= centre[0] < w and 0 <= centre[1] < h}
            row["finder"] = any(_covers(b.box, box) for b in find_lines(ocr_in, config.target_text_px))
            cpu = time.thread_time()
            det = detector.detect(ocr_in)
            det_ms.append((time.thread_time() - cpu) * 1000)
            covering = [d for d in det if _covers(d.box, box)]
            row["det"] = bool(covering)
            analysis = analyzer.analyze(frames[int(i)][1])
            row["page"] = any(_holds(ln.text, accepted) for ln in analysis.lines)
            crop = _crop(ocr_in, box) if row["region"] else np.zeros((1, 1), np.uint8)
            row["tess"] = crop.size > 16 and _holds(engine.read_code(cv2.copyMakeBorder(
                crop, 8, 8, 8, 8, cv2.BORDER_REPLICATE)), accepted)
            row["rapid"] = crop.size > 16 and _holds(reader.read_line(crop).text, accepted)
            row["rapid-fr"] = _holds(reader.read_line(_full_res_crop(gray, to_frame, code_box)).text, accepted)
            row["det+rd"] = any(_holds(reader.read_line(_crop(ocr_in, (d.x, d.y, d.x + d.w, d.y + d.h), 0.15)).text,
                                       accepted) for d in covering)
            upright = 255 - region if is_light_on_dark(region) else region
            sx, sy = region.shape[1] / ocr_in.shape[1], region.shape[0] / ocr_in.shape[0]
            row["det+rr"] = any(_holds(reader.read_line(_crop(upright, (d.x * sx, d.y * sy, (d.x + d.w) * sx,
                                                                        (d.y + d.h) * sy), 0.15)).text, accepted)
                                for d in covering)
            before = viewer.analyze(frames[max(0, int(i) - 2)][1])
            seen = viewer.analyze(frames[int(i)][1], before.still)
            row["view"] = any(_holds(ln.text, accepted) for ln in seen.lines)
            frame_box = _map(to_frame, code_box)
            cpu = time.thread_time()
            det_fr = [d for d in detector.detect(gray) if _covers(d.box, frame_box)]
            det_fr_ms.append((time.thread_time() - cpu) * 1000)
            row["det-fr"] = bool(det_fr)
            row["dfr+rd"] = any(_holds(reader.read_line(_crop(gray, (d.x, d.y, d.x + d.w, d.y + d.h), 0.15)).text,
                                       accepted) for d in det_fr)
            rows[group].append(row)
            rows["all"].append(row)
    print(f"{args.data or f'fresh2 seed {args.seed}'}: {len(todo)} clips with a code, {args.frames} frames each; share of frames where each step "
          f"holds the code (see the module docstring)")
    print(f"  {args.by:<22}{'frames':>7}" + "".join(f"{c:>9}" for c in COLUMNS))
    for group in sorted(rows, key=lambda g: (g == "all", g)):
        rs = rows[group]
        print(f"  {group:<22}{len(rs):>7}" + "".join(f"{sum(r[c] for r in rs) / len(rs):>9.0%}" for c in COLUMNS))
    if det_ms:
        print(f"DBNet on the prepared image (longer side <= {detector.max_side} px): CPU ms median "
              f"{np.median(det_ms):.0f}, p95 {np.percentile(det_ms, 95):.0f}; on the frame: median {np.median(det_fr_ms):.0f}, "
              f"p95 {np.percentile(det_fr_ms, 95):.0f} (per-thread CPU time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
