"""Recordings made by the real server process over real WebRTC: finalised, playable, protected, crash-safe."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from testkit.peers import (
    AUDIO_CLOCK,
    EncodedClip,
    LoopingEncodedTrack,
    SyntheticCustomer,
    SyntheticTechnician,
    moving_bar_clip,
)
from testkit.servers import ServerProcess, running_server
from testkit.session_client import CreatedSession, SignalingClient, create_session

pytestmark = pytest.mark.slow

CALL_S = 6.0


@pytest.fixture(scope="module")
def clip() -> EncodedClip:
    """Two seconds of a moving bar at 640x360, looped by the sender."""
    return moving_bar_clip(keyframe_interval=60)


@dataclass
class RunningCall:
    """A synthetic technician + customer in one session of the real server."""

    session: CreatedSession
    customer: SyntheticCustomer
    technician: SyntheticTechnician
    links: tuple[SignalingClient, SignalingClient]
    recorder_started_by: float  # monotonic instant by which the server's recorder had started

    async def close(self, *, end_session: bool) -> None:
        tech_link, cust_link = self.links
        if end_session:
            await tech_link.send({"type": "bye", "end_session": True})
        for closer in (self.customer.close, self.technician.close, cust_link.close, tech_link.close):
            # a killed server leaves the peers in any state: closing is best effort
            with contextlib.suppress(Exception):
                await asyncio.wait_for(closer(), 5)


async def start_call(server: ServerProcess, clip: EncodedClip) -> RunningCall:
    """Create a session over REST and join technician then customer, as the browsers do."""
    token = server.technician_token()
    session = await create_session(server.url, token, "recording test")
    technician, customer = SyntheticTechnician(), SyntheticCustomer(clip)
    # the technician talks too: a microphone on the (otherwise receive-only) audio transceiver
    technician.pc.addTrack(LoopingEncodedTrack("audio", clip.audio, AUDIO_CLOCK, 960, 0.02))
    tech_link = SignalingClient(server.url, token, session.session_id)
    await tech_link.connect()  # the first join creates the call
    await tech_link.negotiate(technician)  # the first offer starts its recorder
    assert tech_link.offer_sent_at is not None
    started_by = tech_link.offer_sent_at
    cust_link = SignalingClient(server.url, session.join_token, session.session_id)
    await cust_link.connect()
    await cust_link.negotiate(customer)
    await cust_link.send({"type": "video_started", "facing": "environment"})
    return RunningCall(session, customer, technician, (tech_link, cust_link), started_by)


async def wait_media_flowing(call: RunningCall, within_s: float = 15.0) -> None:
    """Until the technician receives the customer's video and audio through the server."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if len(call.technician.video_frames) > 10 and call.technician.audio_frames > 10:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("media did not flow through the server")


async def wait_recordings(server: ServerProcess, ticket_id: str, status: str,
                          within_s: float = 20.0) -> list[dict[str, Any]]:
    """Poll the ticket's recordings until one has `status`."""
    auth = {"Authorization": f"Bearer {server.technician_token()}"}
    deadline = time.monotonic() + within_s
    rows: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=server.url, headers=auth, timeout=10) as http:
        while time.monotonic() < deadline:
            rows = (await http.get(f"/api/tickets/{ticket_id}/recordings")).raise_for_status().json()
            if any(r["status"] == status for r in rows):
                return rows
            await asyncio.sleep(0.2)
    raise AssertionError(f"no {status} recording within {within_s} s: {rows}")


def ffprobe(path: Path) -> dict[str, Any]:
    """ffprobe's JSON view of the format and streams of a file."""
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                          str(path)], capture_output=True, check=True, timeout=30)
    return dict(json.loads(out.stdout))


def decode_all(path: Path) -> tuple[float, float, int]:
    """Decode every video and audio frame; returns (last video time, last audio time, video frames)."""
    last_video = last_audio = 0.0
    frames = 0
    with av.open(str(path)) as container:
        for frame in container.decode(*container.streams.video, *container.streams.audio):
            if isinstance(frame, av.VideoFrame) and frame.time is not None:
                last_video = max(last_video, float(frame.time))
                frames += 1
            elif isinstance(frame, av.AudioFrame) and frame.time is not None:
                last_audio = max(last_audio, float(frame.time))
    return last_video, last_audio, frames


@pytest.mark.serial  # the recording's length is held to the call's within 0.5 s: a timing assertion, run alone
async def test_recorded_session_is_finalised_playable_and_protected(tmp_path: Path, clip: EncodedClip) -> None:
    with running_server(tmp_path / "data") as server:
        call = await start_call(server, clip)
        await wait_media_flowing(call)
        await asyncio.sleep(CALL_S)
        await call.close(end_session=True)
        ended_at = time.monotonic()
        call_length = ended_at - call.recorder_started_by

        rows = await wait_recordings(server, call.session.ticket_id, "finalised")
        assert len(rows) == 1
        rec = rows[0]
        assert rec["session_id"] == call.session.session_id
        assert rec["size_bytes"] > 10_000 and rec["poster_url"]

        file_url = server.url + rec["file_url"]
        tech = {"Authorization": f"Bearer {server.technician_token()}"}
        async with httpx.AsyncClient(timeout=30) as http:
            assert (await http.get(file_url)).status_code == 401
            assert (await http.get(file_url, params={"token": "not-a-token"})).status_code == 401
            customer = {"Authorization": f"Bearer {call.session.join_token}"}
            # the session has ended, so its customer token is revoked (401); a live one would get 403
            assert (await http.get(file_url, headers=customer)).status_code in (401, 403, 404)
            assert (await http.get(file_url, params={"token": call.session.join_token})).status_code in (401, 403, 404)
            listing = await http.get(f"{server.url}/api/tickets/{call.session.ticket_id}/recordings", headers=customer)
            assert listing.status_code in (401, 403, 404)
            download = await http.get(file_url, headers=tech)
            assert download.status_code == 200, download.text
            by_query = await http.get(file_url, params={"token": server.technician_token()})
            assert by_query.status_code == 200 and by_query.content == download.content
            poster = await http.get(server.url + rec["poster_url"], headers=tech)
            assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"
        path = tmp_path / "download.webm"
        path.write_bytes(download.content)
        assert len(download.content) == rec["size_bytes"]

    probe = ffprobe(path)
    streams = [(s["codec_type"], s["codec_name"], s.get("tags", {}).get("title", "")) for s in probe["streams"]]
    print(streams)
    assert [s[:2] for s in streams if s[0] == "video"] == [("video", "vp8")], streams
    audio_titles = {title.split(":")[0] for kind, codec, title in streams if kind == "audio" and codec == "opus"}
    assert {"customer", "technician"} <= audio_titles, streams  # both sides' voices are kept
    duration = float(probe["format"]["duration"])
    print(f"call {call_length:.2f} s, recording {duration:.2f} s (API {rec['duration_s']})")
    assert abs(duration - call_length) <= 0.5, (duration, call_length)
    assert abs(rec["duration_s"] - duration) <= 0.1
    last_video, last_audio, frames = decode_all(path)
    assert frames >= 25 * CALL_S
    assert last_video >= duration - 0.5 and last_audio >= duration - 0.5


async def test_sigkill_mid_call_then_restart_recovers_the_recording(tmp_path: Path, clip: EncodedClip) -> None:
    data_dir = tmp_path / "data"
    with running_server(data_dir) as server:
        call = await start_call(server, clip)
        await wait_media_flowing(call)
        delay = random.uniform(2.0, 6.0)
        print(f"killing the server {delay:.2f} s after media started flowing")
        await asyncio.sleep(delay)
        server.kill()  # SIGKILL: no shutdown hook runs
        killed_at = time.monotonic()
        await call.close(end_session=False)
    recorded_until_at_least = killed_at - call.recorder_started_by - 2.0

    with running_server(data_dir) as restarted:
        rows = await wait_recordings(restarted, call.session.ticket_id, "recovered", within_s=10)
        assert len(rows) == 1
        rec = rows[0]
        auth = {"Authorization": f"Bearer {restarted.technician_token()}"}
        async with httpx.AsyncClient(timeout=30) as http:
            download = await http.get(restarted.url + rec["file_url"], headers=auth)
        assert download.status_code == 200, download.text
    path = tmp_path / "recovered.webm"
    path.write_bytes(download.content)

    probe = ffprobe(path)
    assert {s["codec_type"] for s in probe["streams"]} >= {"video", "audio"}
    duration = float(probe["format"]["duration"])
    last_video, last_audio, frames = decode_all(path)  # plays to the end: every packet decodes
    print(f"killed {killed_at - call.recorder_started_by:.2f} s into the call; recovered {duration:.2f} s, "
          f"last video frame {last_video:.2f} s, last audio {last_audio:.2f} s")
    assert frames > 0
    assert last_video >= recorded_until_at_least, (last_video, recorded_until_at_least)
    assert last_audio >= recorded_until_at_least, (last_audio, recorded_until_at_least)
    assert abs(rec["duration_s"] - duration) <= 0.1
