"""`lensdesk analyze RECORDING --attach`: a recording re-read later attaches codes the ticket lacks, once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from testkit.peers import SyntheticCustomer, SyntheticTechnician
from testkit.servers import running_server
from testkit.session_client import start_pair
from testkit.synth.desk_clip import NEUTRAL_S, make_clip

pytestmark = pytest.mark.slow


def analyze(data_dir: Path, secret: str, recording: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LENSDESK_DATA_DIR": str(data_dir), "LENSDESK_SECRET_KEY": secret}
    return subprocess.run([sys.executable, "-m", "lensdesk.cli", "analyze", str(recording), "--attach", "--json",
                           *extra], env=env, capture_output=True, text=True, timeout=300)


def test_reanalysis_attaches_new_codes_once(tmp_path: Path):
    clip, code, _ = make_clip(0)
    data = tmp_path / "data"
    # live analysis effectively off, as if the code catalog of the time had not known to look
    with running_server(data, env={"LENSDESK_ANALYSIS_FPS": "0.001"}) as server:

        async def call() -> tuple[str, str]:
            pair = await start_pair(server.url, server.technician_token(), SyntheticCustomer(clip),
                                    SyntheticTechnician())
            await asyncio.sleep(NEUTRAL_S + 3.0)
            await pair.technician_link.send({"type": "bye", "end_session": True})
            await pair.technician_link.wait_for("ended", 10)
            await pair.close()
            return pair.session.ticket_id, pair.session.session_id

        ticket_id, _ = asyncio.run(call())
        auth = {"Authorization": f"Bearer {server.technician_token()}"}
        for _ in range(100):
            recs = httpx.get(f"{server.url}/api/tickets/{ticket_id}/recordings", headers=auth).json()
            if recs and recs[0]["status"] == "finalised":
                break
            asyncio.run(asyncio.sleep(0.1))
        assert recs[0]["status"] == "finalised"
        assert httpx.get(f"{server.url}/api/tickets/{ticket_id}/findings", headers=auth).json() == []
    recording = next(data.glob("recordings/*/*/recording.*"))
    first = analyze(data, server.secret, recording, "--no-progress")
    assert first.returncode == 0, first.stderr
    assert code in first.stderr and "attached" in first.stderr
    second = analyze(data, server.secret, recording, "--no-progress")
    assert second.returncode == 0 and "attached nothing new" in second.stderr, second.stderr
    with running_server(data, secret=server.secret) as again:
        auth = {"Authorization": f"Bearer {again.technician_token()}"}
        rows = httpx.get(f"{again.url}/api/tickets/{ticket_id}/findings", headers=auth).json()
        assert [(f["code"], f["source"]) for f in rows] == [(code, "reanalysis")]
        # the offset points into the recording where the screen is shown (after the neutral lead-in)
        assert NEUTRAL_S - 0.5 <= rows[0]["offset_s"] <= NEUTRAL_S + 3.5
        assert json.loads(first.stdout)[0]["code"] == code


def test_attach_with_an_unreadable_file_is_a_clear_error(tmp_path: Path):
    clip_file = tmp_path / "other.webm"
    clip_file.write_bytes(b"not really a video")
    result = analyze(tmp_path / "data", "s" * 40, clip_file)
    assert result.returncode == 2 and "error" in result.stderr
