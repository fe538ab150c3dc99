"""A crashed analysis worker is restarted: the call goes on and the error screen still becomes a finding."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from testkit.inprocess import serve_in_process
from testkit.peers import SyntheticCustomer, SyntheticTechnician, moving_bar_clip
from testkit.servers import running_server
from testkit.session_client import start_pair
from testkit.synth.desk_clip import NEUTRAL_S, make_clip

pytestmark = pytest.mark.slow


@pytest.mark.serial  # a timing assertion: runs after the parallel phase, alone
async def test_killed_worker_is_restarted_and_the_finding_still_arrives(tmp_path: Path):
    clip, code, _ = make_clip(8)  # 2 s neutral desk, then a printer error screen
    async with serve_in_process(tmp_path / "data", recording_enabled=False) as server:
        pair = await start_pair(server.url, server.technician_token(), SyntheticCustomer(clip), SyntheticTechnician())
        try:
            pool = server.services.calls._analysis_pool
            for _ in range(200):  # the pool starts with the call's first video frame
                if any(pool.worker_pids()):
                    break
                await asyncio.sleep(0.05)
            [pid] = pool.worker_pids()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # mid-call, before the error screen shows
            finding = await pair.technician_link.wait_for("finding", timeout_s=NEUTRAL_S + 15)
            assert finding["finding"]["code"] == code
            assert pool.restarts == 1 and pool.worker_pids()[0] != pid
            # the relay never stopped: the technician kept receiving video throughout
            assert pair.technician.fps(1.0) >= 25
        finally:
            await pair.close(end_session=True)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def test_workers_do_not_outlive_a_killed_server(tmp_path: Path):
    clip = moving_bar_clip(keyframe_interval=30, seconds=1.0)  # any video starts the workers; no screen needed
    with running_server(tmp_path / "data", env={"LENSDESK_RECORDING_ENABLED": "false"}) as server:

        async def call_with_video() -> list[int]:
            pair = await start_pair(server.url, server.technician_token(), SyntheticCustomer(clip),
                                    SyntheticTechnician())
            try:
                for _ in range(200):
                    workers = _children(server.proc.pid)
                    if workers:
                        return workers
                    await asyncio.sleep(0.05)
                raise AssertionError("no analysis worker was started")
            finally:
                server.kill(signal.SIGKILL)
                await pair.close()

        workers = asyncio.run(call_with_video())
        for _ in range(100):
            if not any(Path(f"/proc/{w}").exists() for w in workers):
                break
            time.sleep(0.1)
        assert not any(Path(f"/proc/{w}").exists() for w in workers), "an analysis worker was left running"
