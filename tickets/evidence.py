"""Evidence bundles: one session as a zip (recordings, findings JSON, snapshots, chat and audit trail, and an
index.html that plays the recording and jumps to each finding offline). Pure file work: run it in a thread."""

from __future__ import annotations

import html
import json
import shutil
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atrest.sealed import AtRestKey, create, open_for_reading
from vocabulary import PLAYABLE_RECORDINGS

if TYPE_CHECKING:
    from tickets.store import TicketStore

# Media is already compressed: stored as is, so a bundle costs a copy, not a compression pass.
_STORED_SUFFIXES = {".mkv", ".webm", ".mp4", ".ogg", ".jpg", ".jpeg", ".png"}


@dataclass(frozen=True, slots=True)
class BundleFile:
    """A file of the server to put in the bundle under `name`."""

    name: str
    path: Path


@dataclass(frozen=True, slots=True)
class BundleContents:
    """Everything one session's bundle holds (JSON-ready dicts, and the files to copy)."""

    session: dict[str, Any]
    ticket: dict[str, Any]
    findings: list[dict[str, Any]]
    events: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    recordings: list[dict[str, Any]]  # each with "file": its name in the bundle, or None when the file is gone
    files: list[BundleFile] = field(default_factory=list)


def write_bundle(contents: BundleContents, out: Path, key: AtRestKey | None = None) -> None:
    """Write the zip to `out`, sealed with the at-rest key when there is one (sealed sources are decrypted as they
    are copied, so no plaintext reaches the disk). Files that have disappeared are listed as missing."""
    missing: list[str] = []
    with create(out, key) as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for item in contents.files:
            if not item.path.is_file():
                missing.append(item.name)
                continue
            entry = zipfile.ZipInfo(item.name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = (zipfile.ZIP_STORED if item.path.suffix.lower() in _STORED_SUFFIXES
                                   else zipfile.ZIP_DEFLATED)
            with open_for_reading(item.path, key) as source, bundle.open(entry, "w", force_zip64=True) as target:
                shutil.copyfileobj(source, target, 1 << 20)
        manifest = {"session": contents.session, "ticket": contents.ticket, "recordings": contents.recordings,
                    "missing_files": missing}
        bundle.writestr("session.json", json.dumps(manifest, indent=2, default=str))
        bundle.writestr("findings.json", json.dumps(contents.findings, indent=2, default=str))
        bundle.writestr("events.json", json.dumps(contents.events, indent=2, default=str))
        bundle.writestr("audit.json", json.dumps(contents.audit, indent=2, default=str))
        bundle.writestr("index.html", index_html(contents, set(missing)))


def index_html(contents: BundleContents, missing: set[str]) -> str:
    """A self-contained page: the recording in a player, each finding (code, snapshot) seeking to its moment,
    the chat transcript. No network: everything it shows is in the zip beside it."""
    e = html.escape
    ticket, session = contents.ticket, contents.session
    players = []
    for rec in contents.recordings:
        name = rec.get("file")
        if name and name not in missing:
            players.append(f'<video id="rec-{e(rec["id"])}" controls preload="metadata" src="{e(name)}"></video>')
        else:
            players.append(f'<p>Recording {e(rec["id"])} ({e(str(rec.get("status")))}): no file in this bundle.</p>')
    first = next((r for r in contents.recordings if r.get("file") and r["file"] not in missing), None)
    rows = []
    for f in contents.findings:
        offset = f.get("offset_s")
        seek = (f' data-seek="{float(offset):.3f}"' if offset is not None and first is not None else "")
        snap = f.get("snapshot_file")
        image = f'<img src="{e(snap)}" alt="snapshot of {e(f["code"])}" width="240">' if snap and snap not in missing else ""
        moment = f"{float(offset):.1f} s" if offset is not None else "no moment"
        rows.append(f'<li{seek}><button type="button"{seek}>{e(f["code"])} at {moment}</button> '
                    f'{e(f.get("title", ""))} — {e(f.get("text", ""))}<br>{image}</li>')
    chat = [f'<li>[{e(str(ev.get("at", "")))}] {e(ev.get("actor_name") or ev.get("actor_role", ""))}: '
            f'{e(str(ev.get("payload", {}).get("text", "")))}</li>' for ev in contents.events if ev.get("kind") == "chat"]
    script = ("" if first is None else
              "<script>document.querySelectorAll('button[data-seek]').forEach(b => b.addEventListener('click', () => {"
              f"const v = document.getElementById('rec-{e(first['id'])}'); v.currentTime = parseFloat(b.dataset.seek);"
              " v.play();}));</script>")
    device = " ".join(str(ticket.get(k) or "") for k in ("device_family", "device_model", "device_serial")).strip()
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evidence: {e(ticket.get("title", ""))}</title>
<style>body{{font:15px system-ui,sans-serif;margin:16px;max-width:1000px}}video{{width:100%;background:#000}}
li{{margin:8px 0}}</style></head><body>
<h1>{e(ticket.get("title", ""))}</h1>
<p>Ticket {e(ticket.get("id", ""))} · customer {e(ticket.get("customer", ""))} · device {e(device or "unknown")}<br>
Session {e(session.get("id", ""))} · started {e(str(session.get("created_at", "")))} by {e(session.get("created_by", ""))}
· ended {e(str(session.get("ended_at") or "—"))}</p>
{"".join(players)}
<h2>Findings</h2><ol id="findings">{"".join(rows) or "<li>none</li>"}</ol>
<h2>Chat</h2><ol id="chat">{"".join(chat) or "<li>none</li>"}</ol>
<p>The full record: findings.json, events.json (chat, marks, freezes, camera), audit.json, session.json.</p>
{script}
</body></html>
"""


async def bundle_contents(store: TicketStore, session_id: str) -> BundleContents | None:
    """What the bundle of this session holds, read from the store (None if there is no such session)."""
    session = await store.get_session(session_id)
    if session is None:
        return None
    ticket = await store.get_ticket(session.ticket_id)
    assert ticket is not None
    files: list[BundleFile] = []
    found = []
    for f in await store.list_findings(ticket.id):
        if f.session_id != session_id:
            continue
        row = {k: v for k, v in asdict(f).items() if k != "snapshot_path"}
        if f.snapshot_path:
            suffix = Path(f.snapshot_path).suffix or ".jpg"
            row["snapshot_file"] = f"snapshots/{f.id}{suffix}"
            files.append(BundleFile(row["snapshot_file"], store.snapshots.path_of(f.snapshot_path)))
        found.append(row)
    recs = []
    for r in await store.list_recordings(ticket.id):
        if r.session_id != session_id:
            continue
        row = {k: v for k, v in asdict(r).items() if k not in ("path", "poster_path", "node_id")}
        row["file"] = None
        if r.status in PLAYABLE_RECORDINGS and r.path:
            row["file"] = f"recording-{r.id}{Path(r.path).suffix}"
            files.append(BundleFile(row["file"], Path(r.path)))
        recs.append(row)
    events = [asdict(e) for e in await store.session_events.for_session(session_id)]
    audit = [asdict(a) for a in await store.list_audit(session_id=session_id, limit=10_000)]
    return BundleContents(session=asdict(session), ticket=asdict(ticket), findings=found, events=events, audit=audit,
                          recordings=recs, files=files)
