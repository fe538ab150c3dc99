"""Evidence from a store sealed at rest (LENSDESK_RECORDING_KEY): the bundle holds the plaintext recording and
snapshots; clips of the sealed recording are cut by stream copy in memory; refusals are problems."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import av
import httpx
import pytest
from fastapi import FastAPI

from atrest.sealed import AtRestKey, create, is_sealed
from media.recorder import SessionRecorder
from media.recording.clip import cut_clip
from signaling.tokens import Role, TokenService
from testkit.synthetic_media import as_frames, encode_opus, encode_vp8
from tests.unit.tickets.factories import new_finding
from tests.unit.web.conftest import assert_problem
from tickets.store import TicketStore
from web.problems import install_problem_handlers
from web.tickets_api import build_router

KEY = AtRestKey(bytes(range(32)))


async def plain_recording(folder: Path) -> Path:
    recorder = SessionRecorder(folder, "s-evidence")
    recorder.start()
    t0 = recorder.started_at
    assert t0 is not None
    video = as_frames(encode_vp8(320, 240, fps=15, seconds=5.0, keyint=15), kind="video", start_arrival=t0,
                      rtp_origin=3)
    audio = as_frames(encode_opus(seconds=5.0), kind="audio", start_arrival=t0, rtp_origin=4)
    for frame in sorted([*video, *audio], key=lambda f: f.arrival):
        recorder.push("customer", frame)
    return (await recorder.close()).path


@pytest.fixture
async def sealed(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, TicketStore, dict, bytes]]:
    store = TicketStore(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path, at_rest_key=KEY)
    await store.migrate()
    tokens = TokenService("evidence-sealed-secret-evidence-sealed")
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(build_router(store, tokens, base_url="https://desk.example", join_ttl_s=600,
                                    cut_clip=lambda s, o, a, b, w: cut_clip(s, o, a, b, webm=w).start_s))
    plain = await plain_recording(tmp_path / "rec")
    sealed_path = tmp_path / "sealed.webm"
    with create(sealed_path, KEY) as out:  # as the recorder leaves a recording when a key is set
        out.write(plain.read_bytes())
    ticket = await store.create_ticket("Sealed", created_by="t")
    session = await store.create_session(ticket.id, created_by="t")
    finding = await store.attach_finding(session.id, new_finding("E12"))
    rec = await store.add_recording(session.id, str(sealed_path))
    await store.finalise_recording(rec.id, duration_s=5.0, size_bytes=sealed_path.stat().st_size, poster_path=None)
    assert is_sealed(sealed_path) and is_sealed(store.snapshots.path_of(finding.snapshot_path))
    ids = {"session": session.id, "recording": rec.id, "finding": finding.id}
    headers = {"Authorization": f"Bearer {tokens.issue_staff(Role.REVIEWER, 'rita')}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers) as c:
        yield c, store, ids, plain.read_bytes()
    await store.close()


async def test_the_bundle_of_a_sealed_session_holds_the_plaintext(sealed) -> None:
    client, store, ids, plain = sealed
    response = await client.get(f"/api/sessions/{ids['session']}/bundle")
    assert response.status_code == 200, response.text
    bundle = zipfile.ZipFile(io.BytesIO(response.content))
    assert bundle.read(f"recording-{ids['recording']}.webm") == plain
    assert bundle.read(f"snapshots/{ids['finding']}.jpg")[:2] == b"\xff\xd8"
    await asyncio.sleep(0)
    assert not list((store.data_dir / "exports").glob("*"))  # the sealed temporary zip is gone


async def test_a_clip_of_a_sealed_recording_is_cut_by_stream_copy(sealed) -> None:
    client, _, ids, plain = sealed
    response = await client.get(f"/api/recordings/{ids['recording']}/clip", params={"start_s": 1.5, "end_s": 3.0})
    assert response.status_code == 200, response.text
    start = float(response.headers["x-clip-start-s"])
    assert start == pytest.approx(1.0, abs=0.05)  # the keyframe before 1.5 s (one per second)
    with av.open(io.BytesIO(response.content)) as clip, av.open(io.BytesIO(plain)) as source:
        got = [bytes(p) for p in clip.demux(video=0) if p.size]
        wanted = [bytes(p) for p in source.demux(video=0)
                  if p.size and p.pts is not None and start - 1e-3 <= float(p.pts * p.time_base) < 3.0]
    assert got == wanted  # the very same compressed packets: nothing was re-encoded
    bad = await client.get(f"/api/recordings/{ids['recording']}/clip", params={"start_s": 30, "end_s": 40})
    assert assert_problem(bad, 422)["type"].endswith("clip-empty")
    backwards = await client.get(f"/api/recordings/{ids['recording']}/clip", params={"start_s": 3, "end_s": 2})
    assert_problem(backwards, 422)
