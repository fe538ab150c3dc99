"""Admission control under twice a node's capacity: admitted calls keep their frame rate and latency, the rest
wait in the help queue or are refused at once with a retry hint; the admitted calls' findings still arrive.

Starts one server (separate process) with LENSDESK_MAX_CALLS=C, runs C synthetic customer+technician calls
(aiortc clients sending a pre-encoded 720p30 VP8 error-screen clip, as bench/capacity.py), measures the worst
technician's fps and send->technician latency for a baseline window, then pushes C more arrivals while measuring
again: half as direct joins of new sessions (must be refused within 1 s: `no_capacity`, `retry_after_ms`), half as
help requests from a device sticker, with a technician online in the queue (must wait, not be handed out).
Then it ends the admitted calls and reports how long the waiting requests took to be answered.

    .venv/bin/python bench/admission.py [--capacity 4] [--warmup 4] [--measure 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.capacity import SECRET, TARGET_FPS, cpu_seconds, screen_clip  # noqa: E402
from signaling.tokens import Role, TokenService  # noqa: E402
from testkit.peers import LatencyBook, SyntheticCustomer, SyntheticTechnician  # noqa: E402
from testkit.servers import free_port  # noqa: E402
from testkit.session_client import CallPair, CreatedSession, SignalingClient  # noqa: E402

ANSWER_WAIT_S = 60.0  # after the calls end, a waiting request should be answered within this (a loaded machine)


def start_server(port: int, data_dir: str, capacity: int) -> subprocess.Popen[bytes]:
    """The capacity bench's server process with a call limit, once /healthz answers."""
    env = {**os.environ, "LENSDESK_MAX_CALLS": str(capacity), "LENSDESK_ICE_HOST_ADDRESSES": '["127.0.0.1"]',
           "LENSDESK_ANALYSIS_WORKERS": "1"}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("capacity_server.py")), "--pipeline",
                             "lensdesk", "--port", str(port), "--data-dir", data_dir, "--secret", SECRET], env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("admission server did not start")


async def create_session(url: str, token: str, title: str) -> CreatedSession:
    """A ticket and a session over REST, patient with a server on a machine other work keeps busy."""
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        ticket = (await http.post("/api/tickets", json={"title": title})).raise_for_status().json()
        created = (await http.post(f"/api/tickets/{ticket['id']}/sessions", json={})).raise_for_status().json()
    return CreatedSession(ticket["id"], created["session"]["id"], created["join_token"])


async def start_pair(url: str, token: str, customer: SyntheticCustomer, technician: SyntheticTechnician) -> CallPair:
    """As bench/session_client.start_pair, with the patient session creation above."""
    session = await create_session(url, token, "admission bench")
    tech_link = SignalingClient(url, token, session.session_id)
    await tech_link.connect()
    await tech_link.negotiate(technician)
    cust_link = SignalingClient(url, session.join_token, session.session_id)
    await cust_link.connect()
    await cust_link.negotiate(customer)
    await cust_link.send({"type": "video_started", "facing": "environment"})
    return CallPair(session, customer, technician, cust_link, tech_link)


def window(pairs: list[CallPair], books: list[LatencyBook], t0: float, t1: float) -> tuple[float, float, float]:
    """(worst technician fps, e2e p50, e2e p95) of the admitted calls between t0 and t1."""
    fps = [len([t for t in p.technician.video_frames if t0 <= t <= t1]) / (t1 - t0) for p in pairs]
    lat = [x for b in books for x in b.latencies_ms]
    return (min(fps), float(np.percentile(lat, 50)) if lat else float("nan"),
            float(np.percentile(lat, 95)) if lat else float("nan"))


async def refused_join(url: str, token: str) -> tuple[float, dict[str, object]]:
    """Try to start one more call: (seconds to the answer, the answer)."""
    session = await create_session(url, token, "admission bench: over capacity")
    started = time.monotonic()
    async with websockets.connect(url.replace("http", "ws", 1) + "/ws") as ws:
        await ws.send(json.dumps({"type": "join", "token": token, "session_id": session.session_id}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return time.monotonic() - started, answer


async def main_async(args: argparse.Namespace) -> int:
    capacity = args.capacity
    clip = screen_clip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    tokens = TokenService(SECRET)
    tech = tokens.issue_technician("bench", "Bench")
    with tempfile.TemporaryDirectory() as tmp:
        proc = await asyncio.to_thread(start_server, port, tmp, capacity)
        try:
            # Set-up before any call: a sticker, and a technician online in the queue with room for every request.
            supervisor = {"Authorization": f"Bearer {tokens.issue_staff(Role.SUPERVISOR, 'bench-sup')}"}
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                link = (await http.post("/api/help-links", headers=supervisor,
                                        json={"family": "bench", "model": "Bench device"})).raise_for_status().json()
            help_token = link["url"].split("#h=", 1)[1]
            queue_tech = await websockets.connect(url.replace("http", "ws", 1) + "/ws/queue")
            await queue_tech.send(json.dumps({"type": "queue_hello", "token": tokens.issue_technician("q1", "Q"),
                                              "limit": 8}))
            # The first call spawns the analysis worker (seconds on a busy machine): not part of any window.
            await asyncio.sleep(1.0)
            load0 = os.getloadavg()[0]
            pairs: list[CallPair] = []
            books: list[LatencyBook] = []
            for _ in range(capacity):
                book = LatencyBook()
                books.append(book)
                pairs.append(await start_pair(url, tech, SyntheticCustomer(clip, book), SyntheticTechnician(book)))
            await asyncio.sleep(args.warmup)
            for book in books:
                book.latencies_ms.clear()
            t0 = time.monotonic()
            await asyncio.sleep(args.measure)
            t1 = time.monotonic()
            base = window(pairs, books, t0, t1)
            for book in books:
                book.latencies_ms.clear()

            # Twice the capacity: C more arrivals while the C calls go on.
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                n_help = capacity // 2
                n_direct = capacity - n_help
                cpu0, m0 = cpu_seconds(proc.pid), time.monotonic()
                t2 = time.monotonic()
                refusals = [await refused_join(url, tech) for _ in range(n_direct)]
                waiting = []
                asked_s = []
                for i in range(n_help):
                    asked = time.monotonic()
                    reply = (await http.post("/api/help/requests", headers={"Authorization": f"Bearer {help_token}"},
                                             json={"name": f"Customer {i}", "description": "bench"})
                             ).raise_for_status().json()
                    asked_s.append(time.monotonic() - asked)
                    ws = await websockets.connect(url.replace("http", "ws", 1) + "/ws/queue")
                    await ws.send(json.dumps({"type": "queue_hello", "token": reply["token"]}))
                    first = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    waiting.append((ws, first, time.monotonic()))
                await asyncio.sleep(max(0.0, args.measure - (time.monotonic() - t2)))
                t3 = time.monotonic()
                cpu1 = cpu_seconds(proc.pid)
                pushed = window(pairs, books, t2, t3)
                load_pushed = os.getloadavg()[0]
                # the admitted calls' findings: the error screen in their video, read while the node was full
                found = [sorted({str(m["finding"]["code"]) for m in p.technician_link.messages
                                 if m.get("type") == "finding"}) for p in pairs]
                snapshot = (await http.get("/api/queue", headers={"Authorization": f"Bearer {tech}"})).json()
                still_waiting = sum(1 for r in snapshot["requests"] if r["state"] == "waiting")
                # The admitted calls end: the node has room, the waiting requests are answered.
                ended = time.monotonic()
                for p in pairs:
                    await p.close(end_session=True)
                calls_ended = time.monotonic() - ended
                answered_after = []
                for ws, _first, _asked in waiting:
                    with contextlib.suppress(TimeoutError):
                        while True:
                            msg = json.loads(await asyncio.wait_for(ws.recv(), ANSWER_WAIT_S))
                            if msg["type"] == "queue_assigned":
                                answered_after.append(time.monotonic() - ended)
                                break
                    await ws.close()
                if len(answered_after) < len(waiting):  # say what the server saw rather than a bare timeout
                    after = (await http.get("/api/queue", headers={"Authorization": f"Bearer {tech}"})).json()
                    ready = (await http.get("/readyz")).json()
                    print(f"NOT ANSWERED within {ANSWER_WAIT_S:.0f} s: admitting={after['admitting']}, "
                          f"readyz={ready}, requests={[(r['state'], r['connected']) for r in after['requests']]}, "
                          f"technicians={[(t['id'], t['presence'], t['calls']) for t in after['technicians']]}")
                await queue_tech.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    ok_refusals = all(a.get("code") == "no_capacity" and a.get("retry_after_ms") for _, a in refusals)
    print(f"machine: {os.cpu_count()} cores, 1-min load average {load0:.1f} at start, "
          f"{load_pushed:.1f} at the end of the 2x window (shared with other work); "
          f"node capacity LENSDESK_MAX_CALLS={capacity}; pushed {2 * capacity} calls "
          f"({capacity} admitted + {n_direct} direct joins + {n_help} help requests)")
    print(f"admitted calls, baseline  : worst fps {base[0]:.1f}, e2e p50 {base[1]:.1f} ms, p95 {base[2]:.1f} ms")
    print(f"admitted calls, at 2x load: worst fps {pushed[0]:.1f}, e2e p50 {pushed[1]:.1f} ms, p95 {pushed[2]:.1f} ms "
          f"({'holds' if pushed[0] >= TARGET_FPS else 'BELOW'} {TARGET_FPS:.0f} fps); server "
          f"{(cpu1 - cpu0) / (t3 - m0):.2f} cores")
    print(f"admitted calls with their finding by the end of the 2x window: {sum(1 for f in found if f)}/{capacity} "
          f"(codes {sorted({c for f in found for c in f})})")
    print(f"direct joins refused: {sum(1 for _, a in refusals if a.get('code') == 'no_capacity')}/{n_direct}, "
          f"answer within {max(t for t, _ in refusals) * 1000:.0f} ms (worst), "
          f"{'no_capacity with retry_after_ms' if ok_refusals else 'UNEXPECTED: ' + str(refusals[0][1])}")
    print(f"help requests waited in the queue: {still_waiting}/{n_help} (none handed to the online technician "
          f"while the node was full; each request stored and answered 201 within {max(asked_s) * 1000:.0f} ms); "
          f"{len(answered_after)}/{n_help} answered, "
          f"{np.mean(answered_after) if answered_after else float('nan'):.1f} s on average after the calls were "
          f"ended ({calls_ended:.1f} s to end them)")
    return 0 if (ok_refusals and still_waiting == n_help and len(answered_after) == n_help
                 and all(found)) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--capacity", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--measure", type=float, default=8.0)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
