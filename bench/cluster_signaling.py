"""Signaling at scale: N lensdesk nodes + Redis + PostgreSQL on this machine, signaling-only clients stepping up
the number of concurrent WebSocket connections until the cluster cannot take more.

Each session has a technician and a customer. A session's two participants connect to the same node ("local":
the room normally runs there) or to two different nodes ("relayed": at least one side crosses Redis), half
each. Per step the bench reports joins/s and join latency (join sent -> welcome) of the connections it added,
and the latency of one room message per sampled session (customer `mute` -> technician `participant_muted`),
local vs relayed. It stops at the target, or at the first step where joins fail (>5 %, after the pages' retries) or p99 join > 5 s, and
says why. Clients: several processes, each with many connections on one asyncio loop (websockets).

    .venv/bin/python bench/cluster_signaling.py [--nodes 4] [--steps 500,1000,2000,5000,10000] [--clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.servers import running_postgres, running_redis_server, start_server  # noqa: E402

SECRET = "bench-secret-" + "b" * 40
SAMPLE_SESSIONS = 200  # sessions per step that send one timed room message
JOIN_CONCURRENCY = 64  # joins in flight per client process


def raise_fd_limit() -> int:
    """Soft open-files limit up to the hard one (children inherit it); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# -- client processes ----------------------------------------------------------------------------------------


@dataclass
class Pair:
    session_id: str
    tech_url: str
    cust_url: str
    tech_token: str
    cust_token: str
    relayed: bool
    tech: Any = None
    cust: Any = None
    tech_inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)


async def _reader(ws: Any, inbox: asyncio.Queue[dict[str, Any]] | None) -> None:
    try:
        async for raw in ws:
            if inbox is not None:
                msg = json.loads(raw)
                if msg.get("type") == "participant_muted":
                    inbox.put_nowait(msg)
    except Exception:
        pass


RETRYABLE = {"node_unavailable", "cluster_unavailable", "call_restarting"}  # the pages retry these too
JOIN_ATTEMPTS = 3
RETRY_AFTER_S = 0.3


async def _join(url: str, token: str, session_id: str, retries: list[int]) -> tuple[Any, float]:
    """Join (retrying retryable refusals as the pages do); the time from the first attempt to the welcome."""
    started = time.perf_counter()
    for attempt in range(1, JOIN_ATTEMPTS + 1):
        ws = await websockets.connect(url.replace("http", "ws", 1) + "/ws", max_size=1 << 20, open_timeout=30,
                                      ping_interval=None)
        await ws.send(json.dumps({"v": 1, "type": "join", "token": token, "session_id": session_id}))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if msg.get("type") in ("welcome", "error"):
                break
        if msg["type"] == "welcome":
            return ws, time.perf_counter() - started
        await ws.close()
        if msg.get("code") not in RETRYABLE or attempt == JOIN_ATTEMPTS:
            raise RuntimeError(msg.get("code", "error"))
        retries.append(1)
        await asyncio.sleep(RETRY_AFTER_S)
    raise AssertionError("unreachable")


def client_main(conn: Connection) -> None:
    """A client process: holds its pairs' connections; grows them and times messages on command."""
    raise_fd_limit()
    asyncio.run(_client_loop(conn))


async def _grow(pairs: list[Pair], new: list[Pair], tasks: set[asyncio.Task[None]]) -> dict[str, Any]:
    joins: list[float] = []
    errors: dict[str, int] = {}
    retries: list[int] = []
    gate = asyncio.Semaphore(JOIN_CONCURRENCY // 2)

    async def connect(pair: Pair) -> None:
        async with gate:
            try:
                pair.tech, t1 = await _join(pair.tech_url, pair.tech_token, pair.session_id, retries)
                joins.append(t1)
                tasks.add(asyncio.create_task(_reader(pair.tech, pair.tech_inbox)))
                pair.cust, t2 = await _join(pair.cust_url, pair.cust_token, pair.session_id, retries)
                joins.append(t2)
                tasks.add(asyncio.create_task(_reader(pair.cust, None)))
            except Exception as exc:
                key = (type(exc).__name__ + (f": {exc}" if isinstance(exc, RuntimeError | OSError) else ""))[:80]
                errors[key] = errors.get(key, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(connect(p) for p in new))
    elapsed = time.perf_counter() - started
    pairs += [p for p in new if p.cust is not None]
    return {"joins": joins, "errors": errors, "elapsed": elapsed, "retries": len(retries)}


async def _time_messages(pairs: list[Pair], count: int, muted: bool) -> dict[str, Any]:
    local: list[float] = []
    relayed: list[float] = []
    lost: dict[str, int] = {}

    async def one(pair: Pair) -> None:
        while not pair.tech_inbox.empty():
            pair.tech_inbox.get_nowait()
        started = time.perf_counter()
        try:
            await pair.cust.send(json.dumps({"v": 1, "type": "mute", "muted": muted}))
            await asyncio.wait_for(pair.tech_inbox.get(), 10)
        except Exception as exc:
            lost[type(exc).__name__] = lost.get(type(exc).__name__, 0) + 1
            return
        (relayed if pair.relayed else local).append(time.perf_counter() - started)

    await asyncio.gather(*(one(p) for p in pairs[:count]))
    return {"local": local, "relayed": relayed, "lost": lost}


async def _client_loop(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    pairs: list[Pair] = []
    tasks: set[asyncio.Task[None]] = set()
    rounds = 0
    while True:
        command, arg = await loop.run_in_executor(None, conn.recv)
        if command == "stop":
            for pair in pairs:
                for ws in (pair.tech, pair.cust):
                    if ws is not None:
                        await ws.close()
            conn.send(None)
            return
        if command == "grow":
            conn.send(await _grow(pairs, [Pair(**p) for p in arg], tasks))
        elif command == "messages":
            rounds += 1
            conn.send(await _time_messages(pairs, arg, muted=rounds % 2 == 1))


# -- the bench -------------------------------------------------------------------------------------------------


def ms(values: list[float], q: float) -> str:
    return f"{np.percentile(values, q) * 1000:7.1f}" if values else "     -"


async def create_sessions(urls: list[str], count: int, token: str) -> list[tuple[str, str]]:
    """count sessions over REST (spread over the nodes): (session id, customer join token)."""
    out: list[tuple[str, str]] = []
    gate = asyncio.Semaphore(16)
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=auth, timeout=60) as http:

        async def one(i: int) -> None:
            url = urls[i % len(urls)]
            async with gate:
                ticket = (await http.post(f"{url}/api/tickets", json={"title": f"bench {i}"})).raise_for_status()
                made = (await http.post(f"{url}/api/tickets/{ticket.json()['id']}/sessions", json={}))
                made.raise_for_status()
                out.append((made.json()["session"]["id"], made.json()["join_token"]))

        await asyncio.gather(*(one(i) for i in range(count)))
    return out


def run(nodes: int, steps: list[int], clients: int, database: str) -> int:
    limit = raise_fd_limit()
    print(f"open files limit {limit}; load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, running_redis_server(Path(tmp) / "redis") as redis:
        pg = running_postgres() if database == "postgres" else None
        db_url = pg.__enter__() if pg is not None else ""
        servers = []
        try:
            env = {"LENSDESK_REDIS_URL": redis.url, "LENSDESK_RECORDING_ENABLED": "false",
                   "LENSDESK_WS_RATE_PER_S": "1000", "LENSDESK_WS_RATE_BURST": "1000",
                   "LENSDESK_ANALYSIS_WORKERS": "1", **({"LENSDESK_DATABASE_URL": db_url} if db_url else {})}
            for _ in range(nodes):
                servers.append(start_server(Path(tmp) / "data", secret=SECRET, env=env, timeout_s=180))
            urls = [s.url for s in servers]
            token = servers[0].technician_token()
            print(f"{nodes} nodes + redis-server + {database}; {clients} client processes", flush=True)
            ctx = mp.get_context("spawn")
            pipes = []
            procs = []
            for _ in range(clients):
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=client_main, args=(child,), daemon=True)
                proc.start()
                pipes.append(parent)
                procs.append(proc)
            print(f"{'connections':>11} {'added':>6} {'joins/s':>8} {'join p50':>9} {'p99 ms':>8} {'failed':>7} "
                  f"{'local p50':>10} {'p99':>7} {'relayed p50':>12} {'p99':>7} {'load1':>6}", flush=True)
            connected, made = 0, 0
            stop_reason = f"reached {steps[-1]} connections"
            for target in steps:
                pairs_needed = (target - connected) // 2
                sessions = asyncio.run(create_sessions(urls, pairs_needed, token))
                specs = []
                for k, (sid, join_token) in enumerate(sessions):
                    i = made + k
                    relayed = i % 2 == 1
                    specs.append({"session_id": sid, "tech_url": urls[i % nodes],
                                  "cust_url": urls[(i + (1 if relayed else 0)) % nodes], "tech_token": token,
                                  "cust_token": join_token, "relayed": relayed})
                made += len(sessions)
                for c, pipe in enumerate(pipes):
                    pipe.send(("grow", specs[c::clients]))
                results = [pipe.recv() for pipe in pipes]
                joins = [j for r in results for j in r["joins"]]
                errors: dict[str, int] = {}
                for r in results:
                    for key, n in r["errors"].items():
                        errors[key] = errors.get(key, 0) + n
                failed = sum(errors.values())
                elapsed = max(r["elapsed"] for r in results)
                connected += len(joins)
                for pipe in pipes:
                    pipe.send(("messages", SAMPLE_SESSIONS // clients))
                timed = [pipe.recv() for pipe in pipes]
                local = [x for t in timed for x in t["local"]]
                relayed_t = [x for t in timed for x in t["relayed"]]
                lost: dict[str, int] = {}
                for t in timed:
                    for key, n in t["lost"].items():
                        lost[key] = lost.get(key, 0) + n
                retries = sum(r["retries"] for r in results)
                print(f"{connected:>11} {len(joins):>6} {len(joins) / elapsed:>8.0f} {ms(joins, 50):>9} "
                      f"{ms(joins, 99):>8} {failed:>7} {ms(local, 50):>10} {ms(local, 99):>7} "
                      f"{ms(relayed_t, 50):>12} {ms(relayed_t, 99):>7} {os.getloadavg()[0]:>6.1f}", flush=True)
                if errors or lost or retries:
                    print(f"    joins retried (retryable refusal): {retries}; failed: {errors}; "
                          f"timed messages not delivered: {lost}", flush=True)
                attempted = 2 * len(sessions)
                if failed > 0.05 * attempted or (joins and np.percentile(joins, 99) > 5.0):
                    stop_reason = (f"stopped at {connected} connections: {failed} of {attempted} joins failed "
                                   f"({errors}), p99 join {ms(joins, 99).strip()} ms")
                    break
            print(stop_reason, flush=True)
            print(f"load average after: {os.getloadavg()}", flush=True)
            for pipe in pipes:
                pipe.send(("stop", None))
                pipe.recv()
            for proc in procs:
                proc.join(timeout=30)
        finally:
            for server in servers:
                if server.proc.poll() is None:
                    server.kill(15)
            if pg is not None:
                pg.__exit__(None, None, None)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--steps", default="500,1000,2000,5000,10000",
                        help="concurrent connections to reach, in order (each session is 2 connections)")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()
    return run(args.nodes, [int(s) for s in args.steps.split(",")], args.clients, args.database)


if __name__ == "__main__":
    sys.exit(main())
