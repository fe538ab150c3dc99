"""`lensdesk analyze FILE`: read device error codes from a photo or a video file and print the findings."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from diagnostics.config import DiagnosticsConfig
from lensdesk.settings import Settings

if TYPE_CHECKING:
    from rich.table import Table

    from atrest.sealed import AtRestKey
    from diagnostics.catalog import Catalog
    from diagnostics.finding import Finding

# The reader (PyAV, OpenCV, the OCR engines) and rich are imported when the command runs, not when the CLI builds its
# parser: `lensdesk serve` builds the same parser and must not pay for them.


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
    base = Settings().diagnostics_config()  # pydantic fills the fields from the environment
    return replace(base, languages=args.languages or base.languages, tessdata_path=args.tessdata or base.tessdata_path,
                   sample_fps=args.fps or base.sample_fps, extra_catalog_dir=args.catalog_dir or base.extra_catalog_dir)


def _analyze_with_progress(path: Path, config: DiagnosticsConfig, catalog: Catalog, key: AtRestKey | None,
                           show: bool) -> list[Finding]:
    """analyze_file with a progress bar on stderr for a video."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from reanalysis.files import IMAGE_SUFFIXES, analyze_file

    if not show or path.suffix.lower() in IMAGE_SUFFIXES:
        return analyze_file(path, config, catalog=catalog, key=key)
    progress = Progress(TextColumn("analysing"), BarColumn(), TextColumn("{task.percentage:.0f}%"),
                        TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task("analysing", total=1.0)
    with progress:
        return analyze_file(path, config, catalog=catalog, key=key,
                            on_progress=lambda share: progress.update(task, completed=share))


def _table(findings: list[Finding]) -> Table:
    from rich.table import Table

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
    from rich.console import Console

    from diagnostics.catalog import load_catalogs
    from diagnostics.errors import DiagnosticsError

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
        findings = _analyze_with_progress(args.file, config, catalog, Settings().at_rest_key(),
                                          show=not args.no_progress and not args.json)
    except (DiagnosticsError, ValueError) as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {exc}", highlight=False)
        return 2
    if args.snapshots:
        args.snapshots.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(findings):
            (args.snapshots / f"{i:02d}_{f.code.replace(':', '_')}.jpg").write_bytes(f.snapshot_jpeg)
    if args.attach:
        import asyncio

        from reanalysis.attach import NotARecording, attach_to_ticket

        settings = Settings()
        try:
            outcome = asyncio.run(attach_to_ticket(settings.resolved_database_url, settings.data_dir.resolve(),
                                                   settings.at_rest_key(), args.file, findings))
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
