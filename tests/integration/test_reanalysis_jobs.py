"""Re-analysis as queued jobs: on rq over a real redis-server with a worker process, and in-process (retries)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lensdesk.app import reanalysis_setup
from lensdesk.settings import Settings
from reanalysis.jobs import LocalJobs
from testkit.peers import SyntheticCustomer, SyntheticTechnician
from testkit.servers import running_redis, running_server
from testkit.session_client import start_pair
from testkit.synth.desk_clip import make_clip

pytestmark = pytest.mark.slow


def test_a_job_on_redis_attaches_a_recordings_code_once_with_progress(tmp_path: Path):
    clip, code, _ = make_clip(0, neutral_s=0.5, screen_s=2.0, fps=15)  # small: encoding it is most of the setup
    data = tmp_path / "data"
    with running_redis(tmp_path) as redis_url:
        env = {"LENSDESK_REDIS_URL": redis_url, "LENSDESK_ANALYSIS_FPS": "0.001"}  # live analysis effectively off
        with running_server(data, env=env) as server:
            auth = {"Authorization": f"Bearer {server.technician_token()}"}

            async def call() -> str:
                pair = await start_pair(server.url, server.technician_token(), SyntheticCustomer(clip),
                                        SyntheticTechnician())
                await asyncio.sleep(3.5)  # the screen loops into the recording
                await pair.technician_link.send({"type": "bye", "end_session": True})
                await pair.technician_link.wait_for("ended", 10)
                await pair.close()
                return pair.session.ticket_id

            ticket_id = asyncio.run(call())
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                recs = httpx.get(f"{server.url}/api/tickets/{ticket_id}/recordings", headers=auth).json()
                if recs and recs[0]["status"] == "finalised":
                    break
                time.sleep(0.1)
            assert recs[0]["status"] == "finalised"
            submitted = httpx.post(f"{server.url}/api/reanalysis", json={"ticket_id": ticket_id}, headers=auth)
            assert submitted.status_code == 202, submitted.text
            [job] = submitted.json()
            assert job["status"] == "queued" and job["recording_id"] == recs[0]["id"]
            # the same recording and reader again: the same job (idempotency key), not a second one
            again = httpx.post(f"{server.url}/api/reanalysis", json={"recording_ids": [recs[0]["id"]]}, headers=auth)
            assert [j["id"] for j in again.json()] == [job["id"]]

            worker_env = {**os.environ, "LENSDESK_DATA_DIR": str(data), "LENSDESK_SECRET_KEY": server.secret,
                          "LENSDESK_REDIS_URL": redis_url}
            worker = subprocess.run([sys.executable, "-m", "lensdesk.cli", "reanalysis", "worker", "--burst"],
                                    env=worker_env, capture_output=True, text=True, timeout=240)
            assert worker.returncode == 0, worker.stderr[-2000:]
            done = httpx.get(f"{server.url}/api/reanalysis/{job['id']}", headers=auth).json()
            assert done["status"] == "done" and done["progress"] == 1.0 and done["attached"] == [code], done
            assert done["recording_id"] == recs[0]["id"]
            # the CLI shows it through the API; submitting again after it ran attaches nothing
            status = subprocess.run([sys.executable, "-m", "lensdesk.cli", "reanalysis", "status", job["id"],
                                     "--url", server.url], env=worker_env, capture_output=True, text=True, timeout=60)
            assert status.returncode == 0 and "done" in status.stdout and code in status.stdout, status
            rerun = httpx.post(f"{server.url}/api/reanalysis", json={"ticket_id": ticket_id}, headers=auth).json()
            assert rerun[0]["id"] == job["id"] and rerun[0]["status"] == "done"
            rows = httpx.get(f"{server.url}/api/tickets/{ticket_id}/findings", headers=auth).json()
            assert [(f["code"], f["source"]) for f in rows] == [(code, "reanalysis")]
            missing = httpx.get(f"{server.url}/api/reanalysis/reanalysis-nope", headers=auth)
            assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem")


def test_in_process_jobs_retry_then_fail_with_the_reason(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    jobs = LocalJobs(reanalysis_setup(settings, tmp_path.resolve(), None), retry_intervals_s=(0.0,))
    try:
        missing = str(tmp_path / "recordings" / "gone.webm")
        first = jobs.submit(missing, "reader-1")
        assert jobs.submit(missing, "reader-1").id == first.id  # while queued or running: the same job
        deadline = time.monotonic() + 30
        while (view := jobs.get(first.id)) is not None and view.status != "failed" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert view is not None and view.status == "failed" and view.attempts == 2
        assert view.error and "no such file" in view.error
        assert jobs.submit(missing, "reader-2").id != first.id  # a new reader version is a new job
    finally:
        jobs.close()
