"""A process whose analysis worker stopped reading must still exit: the CI run that timed out after 90 minutes.

The suite had finished ("1 failed, 1298 passed") but pytest never exited: multiprocessing's exit handler joined
an inbox queue's feeder thread that was blocked writing to a worker that no longer read its pipe."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]

SCRIPT = """
import os, signal, sys, time
from diagnostics.catalog import load_catalog
from diagnostics.config import DEFAULT_CATALOG, DiagnosticsConfig
from calls.analysis_pool import AnalysisPool

pool = AnalysisPool(DiagnosticsConfig(languages="eng"), workers=1, catalog=load_catalog(DEFAULT_CATALOG / "core.yaml"))
pool.start()
while pool.worker_catalog_versions() != [0]:  # the worker is up and has read its inbox once
    time.sleep(0.05)
os.kill(pool.worker_pids()[0], signal.SIGSTOP)  # a stuck worker: it reads nothing more
for n in range(6):  # 12 MB for a pipe of 64 KB: the queue's feeder thread blocks on the write
    assert pool.submit_still("s1", f"scan-{n}", b"x" * 2_000_000)
time.sleep(0.5)
pool.close()  # kills the stuck worker after its grace period
print("closed", flush=True)
"""

GUIDANCE_SCRIPT = """
import asyncio, os, signal, time
from calls.guidance_pool import GuidancePool

pool = GuidancePool()
pool.guidance("s1", asyncio.new_event_loop(), lambda result: None)
time.sleep(2.0)
os.kill(pool.pid(), signal.SIGSTOP)  # a stuck worker: it reads nothing more
for n in range(6):
    assert pool.submit("s1", "freeze_still", (f"f-{n}", b"x" * 2_000_000))
time.sleep(0.5)
pool.close()
print("closed", flush=True)
"""


@pytest.mark.parametrize("script", [SCRIPT, GUIDANCE_SCRIPT], ids=["analysis", "guidance"])
def test_a_process_whose_worker_stopped_reading_exits_promptly(script: str):
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the worker's start-up (imports) is slow on a busy machine: no bound here
        assert line.strip() == "closed", line
        closed = time.monotonic()
        proc.wait(timeout=30)
        print(f"exited {time.monotonic() - closed:.2f} s after the pool closed")
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
