"""Generate the OCR dev/bench data set: synthetic error-screen clips through phone capture and real codecs.

Deterministic (seeded). Writes <out>/clip_NNN.(webm|mp4) and <out>/labels.json; labels hold the true code.
    python bench/make_dataset.py [--out .dataset/bench] [--jobs 2] [--per-sample 2]
The open set (issue 10): random codes of 58 formats from 13 device families, drawn from each format's grammar,
never from the catalog; families are split into tuned and held-out (docs/performance.md, "Open formats"):
    python bench/make_dataset.py --kind open --split tuned --seed 1 --out .dataset/open-tuned-1
    python bench/make_dataset.py --kind open --families obd,washer --per-format 3 --seed 2 --out DIR
The fresh split: 12 further families nobody tuning the reader has seen (testkit/synth/fresh_formats.py; docs/
performance.md, "Fresh evaluation families"); labels carry split "fresh" and manifest.json lists the families:
    python bench/make_dataset.py --split fresh --per-format 1 --seed 5 --out .dataset/fresh-5 --jobs 1
The second fresh split, fresh2: 12 more families (testkit/synth/fresh2_formats.py; "Second fresh evaluation families
(fresh2)"); labels carry split "fresh" (hidden in reports like the fresh split), manifest.json names fresh2, and
locations.json gives the code's box on each rendered screen:
    python bench/make_dataset.py --split fresh2 --per-format 1 --negatives 24 --seed <seed> --out DIR --jobs 1
The third, fresh3: 12 more families on new screen kinds (testkit/synth/fresh3_formats.py; "Third fresh evaluation
families (fresh3)"); output as fresh2's (labels split "fresh", manifest naming fresh3, locations.json):
    python bench/make_dataset.py --split fresh3 --per-format 1 --negatives 24 --seed <seed> --out DIR --jobs 1
The fourth, fresh4: 12 more families, three more screen kinds (testkit/synth/fresh4_formats.py; "Fourth fresh evaluation
families (fresh4)"); output as fresh3's (labels split "fresh", manifest naming fresh4, locations.json):
    python bench/make_dataset.py --split fresh4 --per-format 1 --negatives 24 --seed <seed> --out DIR --jobs 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from the repo root

from testkit.synth.clips import ClipSpec, make_error_clip  # noqa: E402
from testkit.synth.codec import encode_clip  # noqa: E402
from testkit.synth.formats import FAMILIES, HELD_OUT_FAMILIES, TUNED_FAMILIES  # noqa: E402
from testkit.synth.fresh2_formats import FRESH2_FAMILIES  # noqa: E402
from testkit.synth.fresh2_screens import (  # noqa: E402
    FRESH2,
    Fresh2ClipSpec,
    fresh2_code_box,
    plan_fresh2,
    render_fresh2_clip,
)
from testkit.synth.fresh3_formats import FRESH3_FAMILIES  # noqa: E402
from testkit.synth.fresh3_screens import (  # noqa: E402
    FRESH3,
    Fresh3ClipSpec,
    fresh3_code_box,
    plan_fresh3,
    render_fresh3_clip,
)
from testkit.synth.fresh4_formats import FRESH4_FAMILIES  # noqa: E402
from testkit.synth.fresh4_screens import (  # noqa: E402
    FRESH4,
    Fresh4ClipSpec,
    fresh4_code_box,
    plan_fresh4,
    render_fresh4_clip,
)
from testkit.synth.fresh_formats import FRESH_FAMILIES  # noqa: E402
from testkit.synth.fresh_screens import FRESH, FreshClipSpec, plan_fresh, render_fresh_clip  # noqa: E402
from testkit.synth.open_set import OpenClipSpec, plan_open, render_open_clip  # noqa: E402
from testkit.synth.screens import NEGATIVE_LINES, SAMPLES, ScreenSample, random_style, screen_text  # noqa: E402

SIZES = ((640, 360), (1280, 720))
FPS = 10  # phones drop to this at low WebRTC bitrates; keeps generation fast


@dataclass(frozen=True, slots=True)
class ClipLabel:
    """Ground truth of one clip."""

    file: str
    code: str  # "" for a screen without an error code
    family: str
    lang: str
    layout: str
    width: int
    height: int
    codec: str
    kbps: int
    fps: int
    screen_from_s: float  # when the screen comes into view
    format: str = ""  # open set: the code format ("negative" for screens without a code)
    accept: tuple[str, ...] = ()  # open set: every spelling that counts as the code (see bench/ocr_accuracy.py)
    font: str = ""
    split: str = ""  # "fresh" for the fresh split (families never looked at while tuning)


def plan(seed: int, per_sample: int) -> list[tuple[int, ClipSpec, str, str, str, int]]:
    """Every clip to make: (index, spec, family, lang, codec, kbps)."""
    rng = np.random.default_rng(seed)
    jobs = []
    items: list[tuple[str, str, str, str, ScreenSample | None]] = []
    for sample in SAMPLES:
        for _ in range(per_sample):
            items.append((sample.code, screen_text(sample), sample.family, sample.lang, sample))
    for lines in NEGATIVE_LINES:
        for _ in range(per_sample):
            lang = "zh" if any(ord(c) > 0x2E80 for c in "".join(lines)) else "en"
            items.append(("", "\n".join(lines), "", lang, None))
    for i, (code, text, family, lang, shown) in enumerate(items):
        style = random_style(rng, shown)
        size = SIZES[i % len(SIZES)]
        codec = ("vp8", "h264")[(i // 2) % 2]
        kbps = int(rng.integers(6, 31)) * 50  # 300..1500
        spec = ClipSpec(code, text, style, size, FPS, lead_in_s=0.6, screen_s=2.4, seed=int(rng.integers(1 << 30)))
        jobs.append((i, spec, family, lang, codec, kbps))
    return jobs


def make_one(job: tuple[int, ClipSpec, str, str, str, int], out: Path) -> ClipLabel:
    """Render, encode and label one clip."""
    i, spec, family, lang, codec, kbps = job
    frames = make_error_clip(spec)
    path = encode_clip(frames, out / f"clip_{i:03d}", codec, kbps, spec.fps)
    return ClipLabel(path.name, spec.code, family, lang, spec.style.layout, spec.size[0], spec.size[1], codec, kbps,
                     spec.fps, spec.lead_in_s)


OPEN_LEAD_IN_S, OPEN_SCREEN_S = 0.6, 2.4


def make_open_one(spec: OpenClipSpec, out: Path) -> ClipLabel:
    """Render, film, encode and label one clip of the open set."""
    frames = render_open_clip(spec, FPS, OPEN_LEAD_IN_S, OPEN_SCREEN_S)
    path = encode_clip(frames, out / f"clip_{spec.index:03d}", spec.codec, spec.kbps, FPS)
    c = spec.content
    return ClipLabel(path.name, c.code, spec.family, c.lang, spec.style.layout, spec.size[0], spec.size[1], spec.codec,
                     spec.kbps, FPS, OPEN_LEAD_IN_S, spec.format, c.accept, spec.style.font)


def _fresh_split_clip(spec: Any, render: Callable[..., Any], out: Path) -> ClipLabel:
    """Render with the split's own renderer, film, encode and label one clip of a fresh split (split "fresh")."""
    frames = render(spec, FPS, OPEN_LEAD_IN_S, OPEN_SCREEN_S)
    path = encode_clip(frames, out / f"clip_{spec.index:03d}", spec.codec, spec.kbps, FPS)
    c = spec.content
    return ClipLabel(path.name, c.code, spec.family, c.lang, spec.style.layout, spec.size[0], spec.size[1], spec.codec,
                     spec.kbps, FPS, OPEN_LEAD_IN_S, spec.format, c.accept, spec.style.font, FRESH)


def make_fresh_one(spec: FreshClipSpec, out: Path) -> ClipLabel:
    """Render, film, encode and label one clip of the fresh split."""
    return _fresh_split_clip(spec, render_fresh_clip, out)


def make_fresh2_one(spec: Fresh2ClipSpec, out: Path) -> ClipLabel:
    """Render, film, encode and label one clip of the fresh2 split (split "fresh": reports hide it the same way)."""
    return _fresh_split_clip(spec, render_fresh2_clip, out)


def make_fresh3_one(spec: Fresh3ClipSpec, out: Path) -> ClipLabel:
    """Render, film, encode and label one clip of the fresh3 split (split "fresh": reports hide it the same way)."""
    return _fresh_split_clip(spec, render_fresh3_clip, out)


def make_fresh4_one(spec: Fresh4ClipSpec, out: Path) -> ClipLabel:
    """Render, film, encode and label one clip of the fresh4 split (split "fresh": reports hide it the same way)."""
    return _fresh_split_clip(spec, render_fresh4_clip, out)


# The later blind splits, written alike: name -> (planner, clip maker, code box).
LOCATED_SPLITS: dict[str, tuple[Callable[..., list[Any]], Callable[..., ClipLabel], Callable[[Any], list[float]]]] = {
    FRESH2: (plan_fresh2, make_fresh2_one, fresh2_code_box),
    FRESH3: (plan_fresh3, make_fresh3_one, fresh3_code_box),
    FRESH4: (plan_fresh4, make_fresh4_one, fresh4_code_box),
}


def open_families(split: str, families: str) -> list[str]:
    """The families of an open set: an explicit comma list, else those of the split."""
    if families:
        return [f.strip() for f in families.split(",") if f.strip()]
    return list({"tuned": TUNED_FAMILIES, "held-out": HELD_OUT_FAMILIES, "all": FAMILIES,
                 FRESH: FRESH_FAMILIES, FRESH2: FRESH2_FAMILIES, FRESH3: FRESH3_FAMILIES,
                 FRESH4: FRESH4_FAMILIES}[split])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(".dataset/bench"))
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--per-sample", type=int, default=2, help="clips per sample screen (sizes alternate)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--kind", choices=("catalog", "open"), default="catalog",
                    help="catalog: the 28 sample screens (codes the reader knows); open: random codes of open formats")
    ap.add_argument("--split", choices=("tuned", "held-out", "all", FRESH, *LOCATED_SPLITS), default="tuned",
                    help="open: which families; fresh, fresh2, fresh3, fresh4: the fresh splits' own families (imply "
                         "the open kind)")
    ap.add_argument("--families", default="", help="open: comma-separated families (overrides --split)")
    ap.add_argument("--per-format", type=int, default=1, help="open: screens per format (each filmed at both sizes)")
    ap.add_argument("--negatives", type=int, default=8, help="open: screens with ordinary numbers and no code")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    maker: Callable[..., ClipLabel]
    jobs: list[Any]
    if args.split == FRESH:
        families = open_families(args.split, args.families)
        try:
            jobs = cast(list[Any], plan_fresh(families, args.seed, args.per_format, args.negatives, SIZES))
        except ValueError as exc:
            raise SystemExit(str(exc)) from exc
        maker = make_fresh_one
        manifest = {"split": FRESH, "families": families, "seed": args.seed, "per_format": args.per_format,
                    "negatives": args.negatives, "formats": sorted({j.format for j in jobs} - {"negative"})}
        (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    elif args.split in LOCATED_SPLITS:
        families = open_families(args.split, args.families)
        planner, maker, _ = LOCATED_SPLITS[args.split]
        try:
            jobs = cast(list[Any], planner(families, args.seed, args.per_format, args.negatives, SIZES))
        except ValueError as exc:
            raise SystemExit(str(exc)) from exc
        manifest = {"split": args.split, "label_split": FRESH, "families": families, "seed": args.seed,
                    "per_format": args.per_format, "negatives": args.negatives,
                    "formats": sorted({j.format for j in jobs} - {"negative"})}
        (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    elif args.kind == "open":
        try:
            jobs = cast(list[Any], plan_open(open_families(args.split, args.families), args.seed, args.per_format,
                                             args.negatives, SIZES))
        except ValueError as exc:
            raise SystemExit(str(exc)) from exc
        maker = make_open_one
    else:
        jobs, maker = cast(list[Any], plan(args.seed, args.per_sample)), make_one
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            labels = list(pool.map(maker, jobs, [args.out] * len(jobs)))
    else:
        labels = [maker(j, args.out) for j in jobs]
    (args.out / "labels.json").write_text(json.dumps([asdict(lb) for lb in labels], indent=1, ensure_ascii=False))
    if args.split in LOCATED_SPLITS:  # where the code is on each rendered screen (shares of its width and height)
        code_box = LOCATED_SPLITS[args.split][2]
        locations = [{"file": lb.file, "box": code_box(j)} for j, lb in zip(jobs, labels, strict=True)]
        (args.out / "locations.json").write_text(json.dumps(locations, indent=1))
    n_pos = sum(1 for lb in labels if lb.code)
    print(f"{len(labels)} clips ({n_pos} with a code, {len(labels) - n_pos} without) in {args.out} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
