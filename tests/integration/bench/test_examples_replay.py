"""A dismissed finding becomes a labelled example: exported by the CLI and replayed by the accuracy bench."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import cv2
import numpy as np

from bench.ocr_accuracy import main as bench_main
from lensdesk.cli import main as lensdesk_main
from testkit.synth.capture import random_capture_params, render_capture
from testkit.synth.screens import ScreenStyle, render_error_screen
from tests.unit.tickets.factories import new_finding
from tickets.store import TicketStore

STYLE = ScreenStyle("dialog", "sans", (20, 20, 20), (245, 245, 245))


def _photo(code: str, text: str, seed: int) -> bytes:
    screen = render_error_screen(code, text, STYLE, (960, 600))
    params = random_capture_params(np.random.default_rng(seed), (1280, 720), 960 / 600, 0.5)
    ok, jpeg = cv2.imencode(".jpg", render_capture(screen, params, (1280, 720)), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return bytes(jpeg.tobytes())


async def _ticket_with_corrections(data_dir: Path) -> None:
    store = TicketStore(f"sqlite+aiosqlite:///{data_dir / 'lensdesk.db'}", data_dir)
    await store.migrate()
    ticket = await store.create_ticket("Printer", created_by="t1")
    session_id = (await store.create_session(ticket.id, created_by="t1")).id
    # Diagnostics misread E-204 as E-284; the technician dismissed it and typed the right code.
    misread = await store.attach_finding(session_id, new_finding(
        "E-284", snapshot_jpeg=_photo("E-204", "Error E-204\nPrinter error occurred.", 1)))
    await store.dismiss_finding(misread.id, actor="t1", reason="misread", correct_code="E-204")
    # A code reported on a screen without one (a date read as a code): dismissed, no correct code.
    ghost = await store.attach_finding(session_id, new_finding(
        "50.2", snapshot_jpeg=_photo("", "Ready\nTray 2: Letter\nCopies: 12", 2)))
    await store.dismiss_finding(ghost.id, actor="t1", reason="no error on screen")
    await store.close()


def test_dismissed_findings_are_exported_and_replayed(tmp_path: Path, capsys) -> None:
    data_dir, out = tmp_path / "data", tmp_path / "examples"
    data_dir.mkdir()
    asyncio.run(_ticket_with_corrections(data_dir))
    assert lensdesk_main(["examples", "export", str(out), "--data-dir", str(data_dir)]) == 0
    labels = json.loads((out / "labels.json").read_text())
    assert [(lb["code"], lb["not_code"], lb["source"]) for lb in labels] == [
        ("E-204", "E-284", "dismissed"), ("", "50.2", "dismissed")]
    for lb in labels:
        image = out / lb["file"]
        assert stat.S_IMODE(image.stat().st_mode) == 0o600 and image.read_bytes()[:2] == b"\xff\xd8"
    capsys.readouterr()
    assert bench_main(["--examples", str(out)]) == 0
    report = capsys.readouterr().out
    assert "labelled examples: 2 (1 with the true code, 2 from dismissals)" in report
    assert "recall 1/1 (100.0%)  false code 0/2  dismissed code read again 0/2" in report
