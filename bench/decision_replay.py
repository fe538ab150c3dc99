"""The text -> code decision and the consensus replayed on real OCR output: clips' analysed frames, no OCR run.

`bench/ocr_accuracy.py --dump FILE` keeps every analysed frame's OCR lines (with word confidences and boxes); this
script feeds them through the current `extract_codes` and `Consensus` and reports recall and false codes per clip,
with the line each false code came from. The OCR passes a frame ran depended on the decision of the run that made the
dump (a pass runs when no code was found), so a replay is an estimate of a new decision on the same reads, not a
clip run: confirm with bench/ocr_accuracy.py.

    python bench/decision_replay.py /tmp/fresh2-72001.json [--misses] [--false]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnostics.catalog import load_catalogs  # noqa: E402
from diagnostics.config import DiagnosticsConfig  # noqa: E402
from diagnostics.consensus import Consensus  # noqa: E402
from diagnostics.extract import extract_codes  # noqa: E402
from diagnostics.known import KnownCodes  # noqa: E402
from diagnostics.ocr import OcrLine, OcrWord  # noqa: E402

_FRAME = np.zeros((2, 2, 3), np.uint8)


def _norm(code: str) -> str:
    return "".join(code.split()).upper()


def _lines(frame: dict[str, Any]) -> list[OcrLine]:
    return [OcrLine(ln["text"], ln["conf"], tuple(OcrWord(w[0], w[1], (w[2][0], w[2][1], w[2][2], w[2][3]))
                                                  for w in ln["words"]))
            for ln in frame["lines"]]


def replay(clip: dict[str, Any], config: DiagnosticsConfig, known: KnownCodes) -> tuple[list[str], dict[str, str]]:
    """The codes the consensus confirms from the clip's frames, and for each the line of its best read."""
    consensus = Consensus(config, known.codes)
    codes: list[str] = []
    lines_of: dict[str, str] = {}
    for frame in clip["frames"]:
        reads = extract_codes(_lines(frame), known, config.code_threshold)
        for r in reads:
            lines_of.setdefault(r.code, r.line)
        for c in consensus.add(reads, _FRAME, frame["t"]):
            codes.append(c.code)
    return codes, lines_of


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dumps", nargs="+", type=Path)
    ap.add_argument("--misses", action="store_true", help="list missed clips with the frames' reads")
    ap.add_argument("--false", action="store_true", help="list clips with a false code and the line it came from")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="a DiagnosticsConfig tunable")
    args = ap.parse_args(argv)
    overrides = {k: type(getattr(DiagnosticsConfig(), k))(v) for k, _, v in (p.partition("=") for p in args.set)}
    config = replace(DiagnosticsConfig(), **overrides)
    known = KnownCodes(load_catalogs(config.catalog_path, None).catalog.codes())
    for path in args.dumps:
        clips = json.loads(path.read_text())
        hits = false = coded = neg_false = then_hits = then_false = 0
        for clip in clips:
            label = clip["label"]
            accepted = {_norm(a) for a in label.get("accept") or ()} | ({_norm(label["code"])} if label["code"] else set())
            codes, lines_of = replay(clip, config, known)
            wrong = [c for c in codes if _norm(c) not in accepted]
            hit = bool(accepted) and any(_norm(c) in accepted for c in codes)
            coded += bool(accepted)
            hits += hit
            false += bool(wrong)
            neg_false += bool(wrong) and not accepted
            then_hits += bool(accepted) and any(_norm(c) in accepted for c in clip["codes"])
            then_false += any(_norm(c) not in accepted for c in clip["codes"])
            tag = f"{label['file']} {label.get('format')} {label.get('layout')} {label.get('lang')} {label['height']}p"
            if args.false and wrong:
                print(f"  FALSE {tag}: truth {label['code']!r} -> {codes} (then {clip['codes']})")
                for c in wrong:
                    print(f"      {c}: {lines_of.get(c)!r}")
            if args.misses and accepted and not hit:
                reads = sorted({r["code"] for f in clip["frames"] for r in f["reads"]})
                print(f"  MISS {tag}: truth {label['code']!r} -> {codes}; dumped reads {reads}")
        print(f"{path}: {len(clips)} clips, {coded} with a code: recall {hits}/{coded} = {hits / max(1, coded):.1%} "
              f"(dump's run {then_hits}); clips with a false code {false}/{len(clips)} (dump's run {then_false}), "
              f"negatives with one {neg_false}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
