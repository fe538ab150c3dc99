"""Signaling throughput and latency: join time and message round trips through the real WebSocket endpoint.

Starts lensdesk in-process, opens 2 connections (technician + customer) per session for S sessions, and measures
the join round trip, then ping->pong and room-message fan-out (mute -> participant_muted at the other side).

    .venv/bin/python bench/signaling.py [--sessions 50] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import websockets
from websockets.asyncio.client import ClientConnection

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.inprocess import serve_in_process  # noqa: E402
from testkit.session_client import create_session  # noqa: E402


async def connect(url: str, token: str, session_id: str) -> tuple[ClientConnection, float]:
    ws = await websockets.connect(url.replace("http", "ws", 1) + "/ws")
    started = time.perf_counter()
    await ws.send(json.dumps({"v": 1, "type": "join", "token": token, "session_id": session_id}))
    reply = json.loads(await ws.recv())
    assert reply["type"] == "welcome", reply
    return ws, time.perf_counter() - started


async def recv_type(ws, kind: str) -> dict:
    while True:
        msg = json.loads(await ws.recv())
        if msg["type"] == kind:
            return msg


async def main_async(sessions: int, rounds: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        async with serve_in_process(Path(tmp), ws_rate_per_s=1000.0, ws_rate_burst=1000,
                                    recording_enabled=False) as server:
            token = server.technician_token()
            created = [await create_session(server.url, token) for _ in range(sessions)]
            joins: list[float] = []
            pairs = []
            for s in created:
                tech, t1 = await connect(server.url, token, s.session_id)
                cust, t2 = await connect(server.url, s.join_token, s.session_id)
                await recv_type(tech, "participant_joined")
                joins += [t1, t2]
                pairs.append((tech, cust))
            pings: list[float] = []
            fanout: list[float] = []
            started = time.perf_counter()
            messages = 0

            async def drive(tech, cust) -> None:
                nonlocal messages
                for i in range(rounds):
                    t0 = time.perf_counter()
                    await cust.send(json.dumps({"v": 1, "type": "ping"}))
                    await recv_type(cust, "pong")
                    pings.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    await cust.send(json.dumps({"v": 1, "type": "mute", "muted": i % 2 == 0}))
                    await recv_type(tech, "participant_muted")
                    fanout.append(time.perf_counter() - t0)
                    messages += 4

            await asyncio.gather(*(drive(t, c) for t, c in pairs))
            elapsed = time.perf_counter() - started
            for tech, cust in pairs:
                await tech.close()
                await cust.close()

    def ms(values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) * 1000

    print(f"{sessions} sessions, {2 * sessions} connections, {rounds} rounds each (in-process server, loopback)")
    print(f"join round trip:            p50 {ms(joins, 50):6.2f} ms  p95 {ms(joins, 95):6.2f} ms")
    print(f"ping -> pong:               p50 {ms(pings, 50):6.2f} ms  p95 {ms(pings, 95):6.2f} ms")
    print(f"mute -> other side told:    p50 {ms(fanout, 50):6.2f} ms  p95 {ms(fanout, 95):6.2f} ms")
    print(f"throughput: {messages / elapsed:,.0f} messages/s (client and server share this process)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    return asyncio.run(main_async(args.sessions, args.rounds))


if __name__ == "__main__":
    sys.exit(main())
