"""OCR accuracy and speed of diagnostics on the synthetic bench set, next to plain pytesseract.

Prints code recall, false-code rate (clips where a code not on screen was reported), and ms per analysed
frame on one core; then plain pytesseract on raw frames, and the pipeline on the pytesseract fallback engine.
    python bench/make_dataset.py && python bench/ocr_accuracy.py [--data .dataset/bench] [--baseline-clips 16]
Replay technicians' labelled examples (lensdesk examples export DIR) instead:
    python bench/ocr_accuracy.py --examples DIR [--set second_recogniser=true]
On an open set (bench/make_dataset.py --kind open) it reports recall and false codes per family and per
format, tuned and held-out families apart (docs/performance.md, "Open formats"); no baselines. --stages puts each
missed code at the stage that lost it (OCR text, grammar, context, one per screen, consensus).

Comparison rule: a reported code matches the truth when, upper-cased and with all white space removed, it
equals one of the label's accepted spellings treated the same way (the code as the device shows it, plus
listed alternatives such as "105" for "ERR 105" or "0E" for a segment "OE"). Dashes, dots and colons count:
"E-21" is not "E21", "F.28" is not "F28". A clip has a false code when any reported code does not match.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core for tesseract; must precede its loading

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass, field, fields, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnostics.config import DiagnosticsConfig  # noqa: E402
from diagnostics.extract import STAGES, extract_codes, stage_of  # noqa: E402
from diagnostics.known import KnownCodes  # noqa: E402
from diagnostics.ocr import OcrEngine, OcrLine, PytesseractEngine, TesserocrEngine  # noqa: E402
from diagnostics.session import SessionDiagnostics  # noqa: E402
from diagnostics.still import read_still  # noqa: E402
from testkit.synth.codec import decode_clip  # noqa: E402

cv2.setNumThreads(1)


@dataclass(slots=True)
class ClipResult:
    """What one run over one clip produced."""

    label: dict[str, object]
    codes: list[str]
    ms: list[float] = field(default_factory=list)  # wall-clock per analysed frame
    cpu: list[float] = field(default_factory=list)  # CPU ms per analysed frame (incl. tesseract children)
    confirm_s: float | None = None
    stage: str | None = None  # --stages: how far a missed code got (STAGE_NAMES), None for a hit or a negative
    frames: list[dict[str, Any]] = field(default_factory=list)  # --dump: every analysed frame's lines and reads
    found: list[dict[str, Any]] = field(default_factory=list)  # --dump: each finding's code, shown text and message

    @property
    def truth(self) -> str:
        return str(self.label["code"])

    @property
    def accepted(self) -> set[str]:
        """The truth's accepted spellings, normalised (empty for a screen without a code)."""
        spellings = list(self.label.get("accept") or ()) + ([self.truth] if self.truth else [])  # type: ignore[call-overload]
        return {normalise_code(c) for c in spellings}

    @property
    def hit(self) -> bool:
        return bool(self.truth) and any(normalise_code(c) in self.accepted for c in self.codes)

    @property
    def false_code(self) -> bool:
        return any(normalise_code(c) not in self.accepted for c in self.codes)


def normalise_code(code: str) -> str:
    """The comparison form of a code: upper case, no white space (separators kept)."""
    return "".join(code.split()).upper()


def _frame_record(t: float, lines: list[OcrLine], reads: list[Any]) -> dict[str, Any]:
    """An analysed frame as JSON: its time, every OCR line with its words, and the frame's code reads."""
    return {"t": round(t, 3),
            "lines": [{"text": ln.text, "conf": round(ln.confidence, 3),
                       "words": [[w.text, round(w.confidence, 3), list(w.box)] for w in ln.words]} for ln in lines],
            "reads": [{"code": r.code, "conf": round(r.confidence, 3), "line": r.line} for r in reads]}


def run_pipeline(clip: list[tuple[float, np.ndarray]], label: dict[str, object], config: DiagnosticsConfig,
                 engine: OcrEngine, stages: bool = False, dump: bool = False) -> ClipResult:
    """Feed a decoded clip through a session the way the media side does (wants, then process).

    stages: also attribute a missed code to the furthest stage it reached in any analysed frame; dump: keep every
    analysed frame's lines and reads and each finding's text (bench/decision_replay.py replays them)."""
    session = SessionDiagnostics(config, engine)
    known = KnownCodes(session.catalog.codes()) if stages else None
    codes: list[str] = []
    confirm = None
    reached: list[str] = []
    frames: list[dict[str, Any]] = []
    found: list[dict[str, Any]] = []
    result = ClipResult(label, codes)
    for t, frame in clip:
        if not session.wants(t):
            continue
        analysed = session.stats.analysed
        findings = session.process(frame, t)
        if dump and session.stats.analysed > analysed and session.last_analysis is not None:
            frames.append(_frame_record(t, session.last_analysis.lines, session.last_analysis.reads))
        for f in findings:
            found.append({"code": f.code, "shown": f.shown, "text": f.text, "t": round(t, 3),
                          "frames_seen": f.frames_seen, "confidence": f.confidence})
            codes.append(f.code)
            if f.code == label["code"] and confirm is None:
                confirm = t - float(label["screen_from_s"])  # type: ignore[arg-type]
        if known is not None and result.accepted and session.stats.analysed > analysed \
                and session.last_analysis is not None:
            reached.append(stage_of(session.last_analysis.lines, result.accepted, known, config.code_threshold))
    cpu = list(session.stats.analysis_cpu_ms)
    if isinstance(engine, PytesseractEngine):
        cpu = []  # the work happens in child processes; measured per clip below
    result = ClipResult(label, codes, list(session.stats.analysis_ms), cpu, confirm, frames=frames, found=found)
    if stages and result.truth and not result.hit:
        result.stage = _clip_stage(reached)
    return result


# Where a missed code got lost, in pipeline order (extract.stage_of per frame; the clip takes its furthest frame).
STAGE_NAMES = {
    "gated": "(-) no frame analysed (quality gates)",
    "absent": "(a) text absent from every OCR line",
    "garbled": "(a) read only with confused glyphs/separators",
    "shape": "(b) in a line, no grammar candidate",
    "context": "(c) candidate below the threshold (context)",
    "screen": "(c) passing, another candidate kept (line/screen)",
    "consensus": "(c) read in a frame, never confirmed (consensus)",
}


def _clip_stage(reached: list[str]) -> str:
    """The furthest stage any analysed frame of a missed clip reached; a frame read means consensus lost it."""
    if not reached:
        return "gated"
    best = max(reached, key=STAGES.index)
    return "consensus" if best == "read" else best


def stage_report(results: list[ClipResult], by: Callable[[ClipResult], str] | None = None) -> None:
    """Missed clips by stage, all and per size and per group (by: a clip's group, e.g. its family)."""
    missed = [r for r in results if r.stage is not None]
    pos = [r for r in results if r.truth]
    print(f"stage attribution of missed clips ({len(missed)} of {len(pos)} with a code):")
    group = by or (lambda r: "")
    groups = sorted({group(r) for r in missed}) if by else []
    head = "  " + f"{'stage':<52}{'all':>5}{'360p':>6}{'720p':>6}  " + " ".join(f"{g[:9]:>9}" for g in groups)
    print(head)
    for key, name in STAGE_NAMES.items():
        rs = [r for r in missed if r.stage == key]
        if not rs:
            continue
        sized = [sum(r.label["height"] == h for r in rs) for h in (360, 720)]
        per = " ".join(f"{sum(group(r) == g for r in rs):>9}" for g in groups)
        print(f"  {name:<52}{len(rs):>5}{sized[0]:>6}{sized[1]:>6}  {per}")


def run_plain(clip: list[tuple[float, np.ndarray]], label: dict[str, object], languages: str, tessdata: str,
              frames: int) -> ClipResult:
    """Plain pytesseract on raw frames (a subprocess per frame) and the same code patterns, no repair of the image."""
    import pytesseract

    screen_from = float(label["screen_from_s"])  # type: ignore[arg-type]
    picks = [fr for t, fr in clip if t >= screen_from + 0.5][:: max(1, int(label["fps"]) // 2)][:frames]  # type: ignore[call-overload]
    codes: set[str] = set()
    ms = []
    cpu = []
    for frame in picks:
        start, child = time.perf_counter(), _children_cpu()
        text = pytesseract.image_to_string(frame, lang=languages, config=f'--tessdata-dir "{tessdata.rstrip("/")}"')
        ms.append((time.perf_counter() - start) * 1000)
        cpu.append((_children_cpu() - child) * 1000)
        lines = [OcrLine(ln, 0.9) for ln in text.splitlines() if ln.strip()]
        codes.update(r.code for r in extract_codes(lines))
    return ClipResult(label, sorted(codes), ms, cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summary(name: str, results: list[ClipResult]) -> None:
    """Print recall / false-code rate / timing for one set of results."""
    pos = [r for r in results if r.truth]
    recall = sum(r.hit for r in pos) / len(pos) if pos else float("nan")
    false_rate = sum(r.false_code for r in results) / len(results) if results else float("nan")
    ms = [m for r in results for m in r.ms]
    ms720 = [m for r in results if r.label["height"] == 720 for m in r.ms]
    ms360 = [m for r in results if r.label["height"] == 360 for m in r.ms]
    cpu720 = [m for r in results if r.label["height"] == 720 for m in r.cpu]
    cpu360 = [m for r in results if r.label["height"] == 360 for m in r.cpu]
    print(f"{name:<38} clips {len(results):3d}  recall {recall:6.1%}  false-code {false_rate:5.1%}  frames {len(ms)}")
    print(f"{'':<38} wall ms/frame: 720p median {pct(ms720, 50):6.1f} p95 {pct(ms720, 95):6.1f} | "
          f"360p median {pct(ms360, 50):6.1f} p95 {pct(ms360, 95):6.1f} | all median {pct(ms, 50):6.1f}")
    if cpu720 or cpu360:
        neg = [m for r in results if not r.truth for m in r.cpu]
        print(f"{'':<38} CPU  ms/frame: 720p median {pct(cpu720, 50):6.1f} p95 {pct(cpu720, 95):6.1f} | "
              f"360p median {pct(cpu360, 50):6.1f} p95 {pct(cpu360, 95):6.1f} | screens without a code: "
              f"median {pct(neg, 50):6.1f} p95 {pct(neg, 95):6.1f}")


def breakdown(results: list[ClipResult]) -> None:
    """Recall by size, codec, bitrate and layout; false codes listed."""
    groups: dict[str, list[ClipResult]] = defaultdict(list)
    for r in results:
        if not r.truth:
            continue
        lb = r.label
        kbps = int(lb["kbps"])  # type: ignore[call-overload]
        bucket = "300-600" if kbps < 650 else "650-1000" if kbps <= 1000 else "1050-1500"
        for key in (f"size {lb['width']}x{lb['height']}", f"codec {lb['codec']}", f"kbps {bucket}",
                    f"layout {lb['layout']}", f"lang {lb['lang']}"):
            groups[key].append(r)
    for key in sorted(groups):
        rs = groups[key]
        print(f"    {key:<22} recall {sum(r.hit for r in rs) / len(rs):6.1%}  ({sum(r.hit for r in rs)}/{len(rs)})")
    confirms = [r.confirm_s for r in results if r.confirm_s is not None]
    if confirms:
        print(f"    time from screen in view to confirmed finding: median {pct(confirms, 50):.2f} s, "
              f"p95 {pct(confirms, 95):.2f} s")
    for r in results:
        if r.false_code or (r.truth and not r.hit):
            print(f"    {r.label['file']}: truth {r.truth or '-'!r} reported {r.codes}")


@dataclass(frozen=True, slots=True)
class ExampleResult:
    """One labelled example read as a still: its label and the codes reported."""

    label: dict[str, Any]
    codes: list[str]

    @property
    def hit(self) -> bool:
        return bool(self.label["code"]) and self.label["code"] in self.codes

    @property
    def repeated(self) -> bool:
        """The code a technician dismissed on this image is reported again."""
        return bool(self.label["not_code"]) and self.label["not_code"] in self.codes

    @property
    def false_code(self) -> bool:
        """A code other than the truth (when the truth is known), or the dismissed code."""
        return self.repeated or (bool(self.label["code"]) and any(c != self.label["code"] for c in self.codes))


def replay_examples(folder: Path, config: DiagnosticsConfig, engine: OcrEngine) -> list[ExampleResult]:
    """Read every exported example image as a still (read_still: no consensus, every read code reported)."""
    labels = json.loads((folder / "labels.json").read_text())
    out = []
    for label in labels:
        image = cv2.imread(str(folder / label["file"]), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"{folder / label['file']}: not a readable image")
        out.append(ExampleResult(label, sorted({f.code for f in read_still(image, config, engine)})))
    return out


def report_examples(results: list[ExampleResult]) -> None:
    """Recall on examples whose code is known, false codes, and dismissed codes read again."""
    known = [r for r in results if r.label["code"]]
    dismissed = [r for r in results if r.label["not_code"]]
    print(f"labelled examples: {len(results)} ({len(known)} with the true code, {len(dismissed)} from dismissals)")
    print(f"  recall {sum(r.hit for r in known)}/{len(known)} ({sum(r.hit for r in known) / max(1, len(known)):.1%})"
          f"  false code {sum(r.false_code for r in results)}/{len(results)}"
          f"  dismissed code read again {sum(r.repeated for r in dismissed)}/{len(dismissed)}")
    for r in results:
        if r.false_code or (r.label["code"] and not r.hit):
            print(f"    {r.label['file']} ({r.label['source']}): truth {r.label['code'] or '?'!r} "
                  f"not {r.label['not_code'] or '-'!r} reported {r.codes}")


_WORKER_ENGINE: dict[str, OcrEngine] = {}


def _run_file(data: Path, label: dict[str, object], config: DiagnosticsConfig, stages: bool = False,
              dump: bool = False) -> ClipResult:
    """Decode and run one clip (in a worker process; one engine per process)."""
    if "engine" not in _WORKER_ENGINE:
        _WORKER_ENGINE["engine"] = TesserocrEngine(config.tessdata_path, config.languages)
    return run_pipeline(decode_clip(data / str(label["file"])), label, config, _WORKER_ENGINE["engine"], stages, dump)


def write_dump(path: Path, results: list[ClipResult]) -> None:
    """Every clip's label, reported codes, findings and analysed frames as JSON (for bench/decision_replay.py)."""
    path.write_text(json.dumps([{"label": r.label, "codes": r.codes, "found": r.found, "stage": r.stage,
                                 "frames": r.frames} for r in results], ensure_ascii=False))


def _rate(hits: int, total: int) -> str:
    return f"{hits / total:6.1%} ({hits}/{total})" if total else "     - (0/0)"


def _group_line(name: str, rs: list[ClipResult]) -> str:
    pos = [r for r in rs if r.truth]
    parts = [f"{name:<26} recall {_rate(sum(r.hit for r in pos), len(pos)):<16}"]
    for h in (360, 720):
        sized = [r for r in pos if r.label["height"] == h]
        parts.append(f"{h}p {_rate(sum(r.hit for r in sized), len(sized)):<16}")
    parts.append(f"clips with a false code {_rate(sum(r.false_code for r in rs), len(rs))}")
    return "  ".join(parts)


def open_report(results: list[ClipResult], reveal_held_out: bool = False, stages: bool = False) -> None:
    """Recall and false codes of an open set: tuned vs held-out families, per family, per format.

    Held-out families get their aggregate lines only, unless reveal_held_out (the final run): their misses
    are not to be examined while the reader is tuned."""
    from testkit.synth.formats import HELD_OUT_FAMILIES

    def split_of(r: ClipResult) -> str:
        family = str(r.label["family"])
        if r.label.get("split") == "fresh":  # bench/make_dataset.py --split fresh: hidden like held-out families
            return "fresh negatives" if family == "negative" else "fresh"
        return "negatives" if family == "negative" else "held-out" if family in HELD_OUT_FAMILIES else "tuned"

    print(_group_line("all clips", results))
    for split in ("tuned", "held-out", "negatives", "fresh", "fresh negatives"):
        rs = [r for r in results if split_of(r) == split]
        if rs:
            print(_group_line(f"{split} families" if "negatives" not in split else f"{split} (no code)", rs))
    cpu = {h: [m for r in results if r.label["height"] == h for m in r.cpu] for h in (360, 720)}
    print(f"CPU ms per analysed frame (one core): 720p median {pct(cpu[720], 50):.1f} p95 {pct(cpu[720], 95):.1f} | "
          f"360p median {pct(cpu[360], 50):.1f} p95 {pct(cpu[360], 95):.1f}")
    hidden = not reveal_held_out and any(split_of(r) in ("held-out", "fresh") for r in results)
    if stages:
        # A set with hidden families gets the stage counts per split only, like its other aggregate lines.
        stage_report(results, (lambda r: split_of(r)) if hidden else (lambda r: str(r.label["family"])))
    if hidden:
        results = [r for r in results if split_of(r) == "tuned"]  # the set's negatives are held out with it
    print("per family:" + ("" if reveal_held_out else " (held-out families hidden; --reveal-held-out at the end)"))
    for family in sorted({str(r.label["family"]) for r in results}):
        rs = [r for r in results if r.label["family"] == family]
        print("  " + _group_line(f"{family} [{split_of(rs[0])}]", rs))
    print("per format:")
    for fmt in sorted({str(r.label["format"]) for r in results if r.truth}):
        rs = [r for r in results if r.label["format"] == fmt]
        print("  " + _group_line(f"{fmt}", rs))
    print("misses and false codes (file, format, layout, font, lang, size: truth -> reported):")
    for r in results:
        if r.false_code or (r.truth and not r.hit):
            lb = r.label
            print(f"  {lb['file']} {lb['format']} {lb['layout']} {lb['font']} {lb['lang']} {lb['height']}p: "
                  f"{r.truth or '-'!r} -> {r.codes}" + (f" [{r.stage}]" if r.stage else ""))


def _overrides(pairs: list[str]) -> dict[str, Any]:
    """FIELD=VALUE pairs as typed DiagnosticsConfig overrides (SystemExit on an unknown field)."""
    types = {f.name: type(getattr(DiagnosticsConfig(), f.name)) for f in fields(DiagnosticsConfig)}
    out: dict[str, Any] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in types:
            raise SystemExit(f"--set: unknown tunable {name!r}; known: {', '.join(sorted(types))}")
        if types[name] is bool:  # bool("false") would be True
            if value.lower() not in ("true", "false", "1", "0"):
                raise SystemExit(f"--set: {name} takes true or false, not {value!r}")
            out[name] = value.lower() in ("true", "1")
        else:
            out[name] = types[name](value)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(".dataset/bench"))
    ap.add_argument("--languages", default="eng+chi_sim")
    ap.add_argument("--tessdata", default=DiagnosticsConfig().tessdata_path)
    ap.add_argument("--baseline-clips", type=int, default=16, help="clips for the (slow) pytesseract runs")
    ap.add_argument("--baseline-frames", type=int, default=2, help="frames per clip for plain pytesseract")
    ap.add_argument("--limit", type=int, default=0, help="only the first N clips (0 = all)")
    ap.add_argument("--jobs", type=int, default=1, help="clips analysed in parallel (worker processes)")
    ap.add_argument("--reveal-held-out", action="store_true",
                    help="open and fresh sets: also list held-out and fresh families' formats and misses (only for "
                         "the final run)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override a DiagnosticsConfig tunable, e.g. --set min_sharpness=20 (repeatable)")
    ap.add_argument("--stages", action="store_true",
                    help="attribute each missed code to the stage that lost it (OCR text, grammar, decision)")
    ap.add_argument("--examples", type=Path, help="replay labelled examples exported by `lensdesk examples export`")
    ap.add_argument("--dump", type=Path, help="open sets: write every analysed frame's OCR lines and reads and each "
                    "finding's text to this JSON file (replayed by bench/decision_replay.py)")
    args = ap.parse_args(argv)
    if args.examples:
        config = replace(DiagnosticsConfig(languages=args.languages, tessdata_path=args.tessdata),
                         **_overrides(args.set))
        examples = replay_examples(args.examples, config, TesserocrEngine(config.tessdata_path, config.languages))
        report_examples(examples)
        return 0
    labels_path = args.data / "labels.json"
    if not labels_path.exists():
        print(f"no data set at {args.data}: generating it (bench/make_dataset.py)", file=sys.stderr)
        from bench.make_dataset import main as make_dataset

        make_dataset(["--out", str(args.data)])
    labels = json.loads(labels_path.read_text())
    if args.limit:
        labels = labels[: args.limit]
    config = replace(DiagnosticsConfig(languages=args.languages, tessdata_path=args.tessdata),
                     **_overrides(args.set))
    print(f"bench set: {len(labels)} clips ({sum(1 for lb in labels if lb['code'])} with a code), "
          f"sampling {config.sample_fps} fps, languages {config.languages}, OMP_THREAD_LIMIT=1, cv2 threads 1")
    if any(lb.get("format") for lb in labels):  # an open set: its own report, no baselines
        print(f"open set {args.data}: {len(labels)} clips, {args.jobs} worker(s)")
        if args.jobs > 1:
            with ProcessPoolExecutor(args.jobs) as pool:
                results = list(pool.map(_run_file, [args.data] * len(labels), labels, [config] * len(labels),
                                        [args.stages] * len(labels), [args.dump is not None] * len(labels)))
        else:
            results = [_run_file(args.data, lb, config, args.stages, args.dump is not None) for lb in labels]
        if args.dump is not None:
            write_dump(args.dump, results)
        open_report(results, args.reveal_held_out, args.stages)
        return 0
    engine = TesserocrEngine(config.tessdata_path, config.languages)
    clips = {lb["file"]: decode_clip(args.data / lb["file"]) for lb in labels}
    ours = [run_pipeline(clips[lb["file"]], lb, config, engine, args.stages) for lb in labels]
    summary("lensdesk diagnostics (tesserocr)", ours)
    breakdown(ours)
    if args.stages:
        stage_report(ours, lambda r: str(r.label["family"]))
    pos = [r for r in ours if r.truth]
    cpu720 = [m for r in ours if r.label["height"] == 720 for m in r.cpu]
    print(f"targets: recall {sum(r.hit for r in pos) / max(1, len(pos)):.1%} (>= 95%), false-code "
          f"{sum(r.false_code for r in ours) / max(1, len(ours)):.1%} (<= 1%), 720p CPU median "
          f"{pct(cpu720, 50):.1f} ms (<= 60 ms)")

    # Baselines on an evenly spread subset (pytesseract spawns tesseract per call: slow).
    # Pairs of neighbours: sizes alternate in the data set, so both 360p and 720p are in the subset.
    step = max(2, 2 * len(labels) // max(1, args.baseline_clips))
    subset = [lb for i, lb in enumerate(labels) if i % step in (0, 1)][: args.baseline_clips]
    plain = [run_plain(clips[lb["file"]], lb, args.languages, args.tessdata, args.baseline_frames) for lb in subset]
    summary(f"plain pytesseract, raw frame ({args.baseline_frames}/clip)", plain)
    fallback_engine = PytesseractEngine(config.tessdata_path, config.languages)
    fallback = [run_pipeline(clips[lb["file"]], lb, config, fallback_engine) for lb in subset]
    summary("lensdesk pipeline on pytesseract", fallback)
    ours_subset = [r for r in ours if r.label in subset]
    summary("lensdesk (tesserocr), same subset", ours_subset)
    if ours_subset and plain and fallback:
        ms_ours = pct([m for r in ours_subset for m in r.ms], 50)
        print(f"speed-up per analysed frame (wall, median): {pct([m for r in plain for m in r.ms], 50) / ms_ours:.1f}x "
              f"vs plain pytesseract on raw frames, {pct([m for r in fallback for m in r.ms], 50) / ms_ours:.1f}x vs "
              f"the same pipeline through pytesseract subprocesses")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
