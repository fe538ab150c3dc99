"""The text -> code decision alone, as if OCR had read every line right: recall and false codes per format.

Screens' lines come from the generators' plans (no rendering, no OCR), so this separates what the grammar and the
decision lose (stages "shape", "context", "screen" of diagnostics.extract.stage_of) from what recognition loses.
Fresh screens in Arabic and Korean keep their captions here, which Tesseract (eng+chi_sim) does not read.

    python bench/text_decision.py --split fresh --seeds 71100-71103 [--misses]
    python bench/text_decision.py --split tuned --seeds 100-103
    python bench/text_decision.py --split fresh2 --seeds 71000-71003   # dev seeds only (70000-70999 are reporting)
    python bench/text_decision.py --split fresh2 --seeds 72100-72103 --by-family   # recall per device family
    python bench/text_decision.py --split fresh3 --seeds 71000-71003
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnostics.catalog import load_catalogs  # noqa: E402
from diagnostics.config import DiagnosticsConfig  # noqa: E402
from diagnostics.extract import extract_codes, stage_of  # noqa: E402
from diagnostics.known import KnownCodes  # noqa: E402
from diagnostics.ocr import OcrLine  # noqa: E402
from testkit.synth.formats import HELD_OUT_FAMILIES, TUNED_FAMILIES  # noqa: E402
from testkit.synth.fresh2_formats import FRESH2_FAMILIES  # noqa: E402
from testkit.synth.fresh2_screens import plan_fresh2  # noqa: E402
from testkit.synth.fresh3_formats import FRESH3_FAMILIES  # noqa: E402
from testkit.synth.fresh3_screens import plan_fresh3  # noqa: E402
from testkit.synth.fresh_formats import FRESH_FAMILIES  # noqa: E402
from testkit.synth.fresh_screens import plan_fresh  # noqa: E402
from testkit.synth.open_set import plan_open  # noqa: E402

SIZE = ((640, 360),)  # one size: the text is the same at every size


def _norm(code: str) -> str:
    return "".join(code.split()).upper()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuned", "held-out", "fresh", "fresh2", "fresh3"), default="tuned")
    ap.add_argument("--seeds", default="100-103", help="first-last (inclusive)")
    ap.add_argument("--per-format", type=int, default=2)
    ap.add_argument("--negatives", type=int, default=8)
    ap.add_argument("--misses", action="store_true", help="list the lines of every miss and false code")
    ap.add_argument("--by-family", action="store_true",
                    help="recall and false-code screens per device family (to read families apart)")
    args = ap.parse_args(argv)
    first, _, last = args.seeds.partition("-")
    known = KnownCodes(load_catalogs(DiagnosticsConfig().catalog_path, None).catalog.codes())
    stages: dict[str, Counter[str]] = defaultdict(Counter)
    false: Counter[str] = Counter()
    screens: Counter[str] = Counter()
    family_of: dict[str, str] = {}
    for seed in range(int(first), int(last or first) + 1):
        specs: list[Any]
        if args.split == "fresh":
            specs = list(plan_fresh(list(FRESH_FAMILIES), seed, args.per_format, args.negatives, SIZE))
        elif args.split == "fresh2":
            specs = list(plan_fresh2(list(FRESH2_FAMILIES), seed, args.per_format, args.negatives, SIZE))
        elif args.split == "fresh3":
            specs = list(plan_fresh3(list(FRESH3_FAMILIES), seed, args.per_format, args.negatives, SIZE))
        else:
            families = TUNED_FAMILIES if args.split == "tuned" else HELD_OUT_FAMILIES
            specs = list(plan_open(list(families), seed, args.per_format, args.negatives, SIZE))
        for spec in specs:
            content = spec.content
            lines = [OcrLine(ln.text, 0.9) for ln in content.lines]
            codes = [r.code for r in extract_codes(lines, known)]
            accepted = {_norm(a) for a in content.accept} | ({_norm(content.code)} if content.code else set())
            screens[spec.format] += 1
            family_of[spec.format] = "negative" if not content.code else str(spec.family)
            stage = stage_of(lines, accepted, known) if content.code else "negative"
            stages[spec.format][stage] += 1
            wrong = [c for c in codes if _norm(c) not in accepted]
            false[spec.format] += bool(wrong)
            if args.misses and (wrong or stage not in ("read", "negative")):
                print(f"  {spec.format} {content.lang} {stage}: {[ln.text for ln in content.lines]} -> {codes}"
                      f" (truth {content.code!r})")
    total: Counter[str] = Counter()
    print(f"{'format':<24}{'screens':>8}{'read':>6}{'shape':>7}{'context':>8}{'screen':>7}  false-code screens")
    for fmt in sorted(stages):
        c = stages[fmt]
        total.update(c)
        print(f"{fmt:<24}{screens[fmt]:>8}{c['read'] + c['negative']:>6}{c['shape']:>7}{c['context']:>8}"
              f"{c['screen']:>7}  {false[fmt]}")
    if args.by_family:
        fam_stages: dict[str, Counter[str]] = defaultdict(Counter)
        fam_false: Counter[str] = Counter()
        for fmt, c in stages.items():
            fam_stages[family_of[fmt]].update(c)
            fam_false[family_of[fmt]] += false[fmt]
        print(f"{'family':<24}{'screens':>8}{'read':>6}  recall  false-code screens")
        for fam in sorted(fam_stages):
            c = fam_stages[fam]
            n = sum(c.values())
            coded_n = n - c["negative"]
            rate = f"{c['read'] / coded_n:6.1%}" if coded_n else "     -"
            print(f"{fam:<24}{n:>8}{c['read'] + c['negative']:>6}  {rate}  {fam_false[fam]}")
    coded = sum(total.values()) - total["negative"]
    print(f"text-level recall {total['read']}/{coded} = {total['read'] / max(1, coded):.1%} (absent/garbled: "
          f"{total['absent'] + total['garbled']}); screens with a false code {sum(false.values())}/"
          f"{sum(screens.values())}, negatives {false['negative']}/{screens['negative']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
