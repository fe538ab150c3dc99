"""Live catalog across nodes: an entry added through node A's API names the next finding of node B's analysis.

Two lensdesk nodes (apps with their own buses, catalogs and analysis workers) share a real redis-server (loopback) and one database. Node B runs a call whose camera shows a
code no catalog knows: it is reported unknown and listed as uncatalogued. A technician catalogues it on node A;
node B's analysis worker has it within a second (no restart), and B's next call reports it with the new title.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from testkit.inprocess import serve_in_process
from testkit.peers import SyntheticCustomer, SyntheticTechnician, encode_clip
from testkit.servers import running_redis
from testkit.session_client import start_pair
from testkit.synth.screens import ScreenStyle, render_error_screen

pytestmark = pytest.mark.slow

CODE = "0x8047A2C6"  # shaped like an HRESULT, in no catalog (a made-up value, so catalog data never adds it)
ENTRY = {"family": "windows", "code": CODE, "vendor": "Microsoft Windows", "device": "pc",
         "title": "Component store corrupted", "cause": "Files of the Windows servicing store are damaged.",
         "remedy": "Run DISM /Online /Cleanup-Image /RestoreHealth, then retry the update.", "severity": "error"}


def _clip():
    style = ScreenStyle("dialog", "sans", (20, 20, 20), (245, 245, 245), accent=(200, 120, 0))
    screen = render_error_screen(CODE, f"Error code: {CODE}\nThe update could not be installed.", style, (960, 600))
    rng = np.random.default_rng(7)
    frames = []
    for i in range(30):
        frame = np.full((720, 1280, 3), (70, 80, 90), np.uint8)
        frame[60 + i % 3:660 + i % 3, 160:1120] = screen  # a hand that is not quite still
        frames.append(np.clip(frame.astype(np.int16) + rng.integers(-3, 4, frame.shape), 0, 255).astype(np.uint8))
    return encode_clip(frames, fps=15, bitrate=1_500_000, keyframe_interval=30)


async def _worker_versions(client: httpx.AsyncClient, url: str) -> list[float]:
    text = (await client.get(url + "/metrics")).text
    return [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith("lensdesk_catalog_worker_version{")]


async def _finding_of_a_call(url: str, token: str, clip) -> dict:
    pair = await start_pair(url, token, SyntheticCustomer(clip), SyntheticTechnician())
    try:
        return (await pair.technician_link.wait_for("finding", timeout_s=40))["finding"]
    finally:
        await pair.close(end_session=True)


@pytest.mark.serial  # a timing assertion: runs after the parallel phase, alone
async def test_an_entry_added_on_node_a_is_used_by_node_b_within_a_second(tmp_path: Path):
    clip = _clip()
    with running_redis(tmp_path / "redis") as redis_url:
        # two nodes in this process (cheaper to start than two interpreters); they share only Redis and the database
        options = {"redis_url": redis_url, "recording_enabled": False, "analysis_workers": 1,
                   "ice_allowed_cidrs": ["127.0.0.1/32"]}  # the synthetic peers offer loopback candidates
        async with serve_in_process(tmp_path / "data", **options) as node_a, \
                serve_in_process(tmp_path / "data", **options) as node_b:
            tech = {"Authorization": f"Bearer {node_a.technician_token()}"}
            async with httpx.AsyncClient(headers=tech, timeout=10) as client:
                before = await _finding_of_a_call(node_b.url, node_b.technician_token(), clip)
                assert before["code"] == CODE and before["known"] is False
                listed = (await client.get(node_a.url + "/api/catalog/uncatalogued")).json()
                assert [i["code"] for i in listed["items"]] == [CODE]
                assert await _worker_versions(client, node_b.url) == [0.0]

                response = await client.post(node_a.url + "/api/catalog", json=ENTRY)
                assert response.status_code == 201, response.text
                added = time.monotonic()  # committed and answered: from here it must reach node B's worker
                while await _worker_versions(client, node_b.url) != [1.0]:
                    assert time.monotonic() - added < 1.0, "node B's worker did not get the entry within 1 s"
                    await asyncio.sleep(0.02)

                after = await _finding_of_a_call(node_b.url, node_b.technician_token(), clip)
                assert after["code"] == CODE and after["known"] is True
                assert (after["title"], after["remedy"], after["severity"]) == (ENTRY["title"], ENTRY["remedy"], "error")
                listed = (await client.get(node_b.url + "/api/catalog/uncatalogued")).json()
                assert listed["items"] == []
