"""`lensdesk examples export DIR`: the labelled examples technicians made, as images + labels.json for replay.

labels.json is a list of {file, code, not_code, source, kind: "image", example_id, finding_id, ticket_id,
created_at}: `code` is the truth ("" when unknown), `not_code` a code the image does not show. Replay it with
`python bench/ocr_accuracy.py --examples DIR`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from typing import Any

from tickets.store import TicketStore

from .settings import Settings

LABELS = "labels.json"


async def export_examples(store: TicketStore, out: Path) -> int:
    """Copy every example's image into out (0600) and write labels.json; returns how many were exported."""
    copies: list[tuple[bytes, str]] = []
    labels: list[dict[str, Any]] = []
    for example in await store.all_examples():
        found = await store.example_image(example.id)
        if found is None:
            continue  # the image is gone from disk: an example without its image teaches nothing
        _, src = found
        name = f"example_{example.id}{src.suffix}"
        # the plaintext, also when the images are encrypted at rest (an export is for reading)
        copies.append((await asyncio.to_thread(store.examples.read, src.name), name))
        labels.append({"file": name, "code": example.truth, "not_code": example.not_code, "source": example.source,
                       "kind": "image", "example_id": example.id, "finding_id": example.finding_id,
                       "ticket_id": example.ticket_id, "created_at": example.created_at.isoformat()})
    await asyncio.to_thread(_write_set, out, copies, labels)
    return len(labels)


def _write_set(out: Path, copies: list[tuple[bytes, str]], labels: list[dict[str, Any]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for image, name in copies:
        _write_private(image, out / name)
    tmp = out / f".{LABELS}.tmp"
    tmp.write_text(json.dumps(labels, indent=1))
    tmp.replace(out / LABELS)


def _write_private(image: bytes, dst: Path) -> None:
    # Customer images: only the exporting user may read the copies.
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(image)
    os.chmod(dst, 0o600)


async def _export(settings: Settings, out: Path) -> int:
    store = TicketStore(settings.resolved_database_url, settings.data_dir.resolve(), settings.at_rest_key())
    try:
        await store.migrate()
        return await export_examples(store, out)
    finally:
        await store.close()


def _run_export(args: argparse.Namespace) -> int:
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    count = asyncio.run(_export(settings, Path(args.dir)))
    print(f"{count} labelled examples written to {args.dir}/{LABELS}; replay: "
          f"python bench/ocr_accuracy.py --examples {args.dir}")
    return 0


def add_parser(sub: Any) -> None:
    """Register `lensdesk examples export DIR`."""
    examples = sub.add_parser("examples", help="labelled examples from technicians' corrections")
    actions = examples.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write the examples' images and labels.json into DIR")
    export.add_argument("dir")
    export.add_argument("--data-dir")
    export.set_defaults(func=_run_export)
