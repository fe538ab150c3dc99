"""Chat latency through the real WebSocket endpoint: a message is stored as a session event before it is relayed,
so "sent -> the other side has it" includes the SQLite write; then the read receipt back to the sender.

Starts lensdesk in-process (SQLite, recording off), opens a technician and a customer per session for S sessions,
and in each round the customer sends a chat message and the technician answers with a read receipt. Each
customer sends one message a second at most (the room's chat limit; people type slower).

    .venv/bin/python bench/chat.py [--sessions 10] [--rounds 20]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.signaling import connect, recv_type  # noqa: E402
from signaling.chat import CHAT_RATE_PER_S  # noqa: E402
from testkit.inprocess import serve_in_process  # noqa: E402
from testkit.session_client import create_session  # noqa: E402


async def main_async(sessions: int, rounds: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        async with serve_in_process(Path(tmp), ws_rate_per_s=1000.0, ws_rate_burst=1000,
                                    recording_enabled=False) as server:
            token = server.technician_token()
            created = [await create_session(server.url, token) for _ in range(sessions)]
            pairs = []
            for s in created:
                tech, _ = await connect(server.url, token, s.session_id)
                cust, _ = await connect(server.url, s.join_token, s.session_id)
                await recv_type(tech, "participant_joined")
                pairs.append((tech, cust))
            relayed: list[float] = []
            receipts: list[float] = []
            started = time.perf_counter()
            cpu0 = time.process_time()

            async def drive(tech, cust) -> None:
                for i in range(rounds):
                    if i:
                        await asyncio.sleep(1.0 / CHAT_RATE_PER_S + 0.01)
                    t0 = time.perf_counter()
                    await cust.send(json.dumps({"v": 1, "type": "chat_send", "client_id": f"c{i}",
                                                "text": f"Serial SN-{4400 + i}, see https://example.org/{i}"}))
                    got = await recv_type(tech, "chat")
                    relayed.append(time.perf_counter() - t0)
                    await recv_type(cust, "chat")  # the sender's own echo ("sent")
                    t0 = time.perf_counter()
                    await tech.send(json.dumps({"v": 1, "type": "chat_receipt", "state": "read",
                                                "message_ids": [got["message"]["message_id"]]}))
                    await recv_type(cust, "chat_status")
                    receipts.append(time.perf_counter() - t0)

            await asyncio.gather(*(drive(t, c) for t, c in pairs))
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu0
            stored = 0
            for s in created:
                stored += len(await server.services.store.session_events.for_session(s.session_id))
            for tech, cust in pairs:
                await tech.close()
                await cust.close()

    def ms(values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) * 1000

    messages = sessions * rounds
    print(f"{sessions} sessions, {rounds} chat messages each, {sessions} at once (in-process server, SQLite, loopback)")
    print(f"chat_send -> other side has it: p50 {ms(relayed, 50):6.2f} ms  p95 {ms(relayed, 95):6.2f} ms")
    print(f"read receipt -> sender told:    p50 {ms(receipts, 50):6.2f} ms  p95 {ms(receipts, 95):6.2f} ms")
    print(f"{messages} messages + {messages} receipts in {elapsed:.2f} s; {stored} session events stored; "
          f"process CPU {1000 * cpu / messages:.2f} ms per message with its receipt (clients and server together)")
    assert stored == 2 * messages, stored
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    return asyncio.run(main_async(args.sessions, args.rounds))


if __name__ == "__main__":
    sys.exit(main())
