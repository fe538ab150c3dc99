"""`lensdesk analyze FILE`: read device error codes from a photo or a video file and print the findings."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from atrest.sealed import AtRestKey, SealedFileError, is_sealed, open_for_reading, read_all
from diagnostics.catalog import Catalog, load_catalogs
from diagnostics.config import DiagnosticsConfig
from diagnostics.errors import DiagnosticsError, MediaError
from diagnostics.finding import Finding
from diagnostics.session import SessionDiagnostics
from diagnostics.still import read_still
from lensdesk.settings import Settings

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the `analyze` subcommand."""
    p = subparsers.add_parser(
        "analyze", help="read device error codes from an image or a video file",
        description="Read device error codes from an image or a video (any format PyAV reads) and print findings.",
    )
    p.add_argument("file", type=Path, help="image (.png/.jpg/...) or video (.mp4/.webm/.mkv/...)")
    p.add_argument("--json", action="store_true", help="print findings as JSON instead of a table")
    p.add_argument("--languages", help="tesseract languages, e.g. eng+chi_sim (default: settings)")
    p.add_argument("--tessdata", help="tesseract language data directory (default: settings)")
    p.add_argument("--fps", type=float, help="frames per second analysed in a video (default: settings)")
    p.add_argument("--catalog-dir", type=Path,
                   help="extra code catalogs on top of the built-in ones (default: LENSDESK_CATALOG_DIR)")
    p.add_argument("--snapshots", type=Path, help="write each finding's JPEG snapshot into this directory")
    p.add_argument("--no-progress", action="store_true", help="no progress bar for videos")
    p.add_argument("--attach", action="store_true",
                   help="FILE is a session recording: attach codes its ticket does not have yet (source 'reanalysis'); "
                        "the catalog includes the technicians' edits stored in the server's database")
    p.set_defaults(func=run)


def _config(args: argparse.Namespace) -> DiagnosticsConfig:
    settings = Settings()  # pydantic fills the fields from the environment
    return DiagnosticsConfig(
        languages=args.languages or settings.ocr_languages,
        tessdata_path=args.tessdata or settings.tessdata_path,
        sample_fps=args.fps or settings.analysis_fps,
        second_recogniser=settings.second_recogniser,
        line_detector=settings.line_detector,
        script_languages=settings.ocr_script_languages,
        extra_catalog_dir=args.catalog_dir or (Path(settings.catalog_dir) if settings.catalog_dir else None),
    )


def _read_image(path: Path, key: AtRestKey | None) -> np.ndarray:
    if is_sealed(path):  # a snapshot from a data dir with encryption at rest
        try:
            data = read_all(path, key)
        except SealedFileError as exc:
            raise MediaError(f"{path}: {exc}") from exc
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    else:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError(f"{path}: not a readable image")
    return image


def _video_frames(path: Path, session: SessionDiagnostics, progress: Progress | None,
                  key: AtRestKey | None = None,
                  on_progress: Callable[[float], None] | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(time, BGR frame) for the frames the session wants; decodes only those it wants converted. A recording
    encrypted at rest is decrypted on the fly with the key."""
    import av

    try:
        container = av.open(open_for_reading(path, key), "r")
    except SealedFileError as exc:
        raise MediaError(f"{path}: {exc}") from exc
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"{path}: cannot open as video: {exc}") from exc
    with container:
        if not container.streams.video:
            raise MediaError(f"{path}: no video stream")
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
        if duration is None and container.duration:
            duration = container.duration / 1_000_000
        task = progress.add_task("analysing", total=duration or None) if progress else None
        try:
            for n, frame in enumerate(container.decode(stream)):
                t = float(frame.time) if frame.time is not None else n / float(stream.average_rate or 30)
                if progress is not None and task is not None:
                    progress.update(task, completed=t)
                if on_progress is not None and duration:
                    on_progress(min(1.0, t / duration))
                if session.wants(t):
                    yield t, frame.to_ndarray(format="bgr24")
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: decoding failed: {exc}") from exc


def analyze_file(path: Path, config: DiagnosticsConfig, show_progress: bool = False,
                 catalog: Catalog | None = None, key: AtRestKey | None = None,
                 on_progress: Callable[[float], None] | None = None) -> list[Finding]:
    """Findings of an image (every code read) or a video (codes confirmed across frames); key: to read files
    encrypted at rest; on_progress: gets the share of a video read so far (0..1)."""
    if not path.is_file():
        raise MediaError(f"{path}: no such file")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return read_still(_read_image(path, key), config, catalog=catalog)
    session = SessionDiagnostics(config, catalog=catalog)
    findings: list[Finding] = []
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:.1f}s"),
                        TimeRemainingColumn(), console=Console(stderr=True), transient=True) if show_progress else None
    if progress is not None:
        progress.start()
    try:
        for t, image in _video_frames(path, session, progress, key, on_progress):
            findings.extend(session.process(image, t))
    finally:
        if progress is not None:
            progress.stop()
    return findings


def _table(findings: list[Finding]) -> Table:
    table = Table(title="Findings")
    for col in ("time", "code", "family", "severity", "title", "conf.", "frames"):
        table.add_column(col, no_wrap=col in ("time", "code", "conf.", "frames"), overflow="fold")
    table.add_column("screen text", overflow="fold", ratio=1)
    for f in findings:
        table.add_row(f"{f.frame_time:.1f}s", f.code, f.family or "-", f.severity,
                      f.title or "(unknown code)", f"{f.confidence:.2f}", str(f.frames_seen),
                      f.text.replace("\n", " / ")[:80])
    return table


def run(args: argparse.Namespace) -> int:
    """Run `lensdesk analyze`; exit code 0 (findings or not), 2 on unreadable input or OCR problems."""
    out = Console()
    try:
        config = _config(args)
        loaded = load_catalogs(config.catalog_path, config.extra_catalog_dir)
        for problem in loaded.problems:
            Console(stderr=True, soft_wrap=True).print(f"[yellow]catalog:[/yellow] {problem}", highlight=False)
        catalog = loaded.catalog
        if args.attach:  # a server's recording: read it with that server's catalog, technicians' edits included
            import asyncio

            from nodesync.catalogs import catalog_of_database

            settings = Settings()
            catalog = asyncio.run(catalog_of_database(settings.resolved_database_url, settings.data_dir.resolve(),
                                                      catalog))
        findings = analyze_file(args.file, config, show_progress=not args.no_progress and not args.json,
                                catalog=catalog, key=Settings().at_rest_key())
    except (DiagnosticsError, ValueError) as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {exc}", highlight=False)
        return 2
    if args.snapshots:
        args.snapshots.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(findings):
            (args.snapshots / f"{i:02d}_{f.code.replace(':', '_')}.jpg").write_bytes(f.snapshot_jpeg)
    if args.attach:
        import asyncio

        from lensdesk.reanalyze import NotARecording, attach_to_ticket

        try:
            outcome = asyncio.run(attach_to_ticket(Settings(), args.file, findings))
        except NotARecording as exc:
            Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {exc}", highlight=False)
            return 2
        Console(stderr=True).print(f"ticket {outcome.ticket_id}: attached {', '.join(outcome.attached) or 'nothing new'}"
                                   + (f"; already on the ticket: {', '.join(outcome.already_known)}"
                                      if outcome.already_known else ""), highlight=False)
    if args.json:
        sys.stdout.write(json.dumps([f.to_dict() for f in findings], ensure_ascii=False, indent=1) + "\n")
    elif findings:
        out.print(_table(findings))
    else:
        out.print("no error codes found")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (the root CLI wires add_parser into `lensdesk`)."""
    parser = argparse.ArgumentParser(prog="lensdesk")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
