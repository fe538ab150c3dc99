"""Signaling at scale: N lensdesk nodes + Redis + PostgreSQL on this machine, signaling-only clients stepping up
the number of concurrent WebSocket connections until the cluster cannot take more.

Each session has a technician and a customer. A session's two participants connect to the same node ("local":
the room normally runs there) or to two different nodes ("relayed": at least one side crosses Redis), half
each. Per step the bench reports joins/s and join latency (first join sent -> welcome, retries included) of the
connections it added, refusals by code, the latency of one room message per sampled session (customer `mute` ->
technician `participant_muted`), local vs relayed, and where the CPU went while the step's joins ran (the nodes,
redis-server, PostgreSQL, the client processes; per join) with the nodes' largest RSS. A refused join is retried
as the pages do (`rejoinWithBackoff`: 0.5 s doubling, 6 tries, never sooner than the error's `retry_after_ms`).
It stops at the target, or at the first step where joins fail (>5 %, after the retries), p99 join > 5 s
(--max-p99-s), or the
step does not finish within --step-timeout (the joins still pending are counted as `step_timeout`), and says why.

    .venv/bin/python bench/cluster_signaling.py [--nodes 4] [--steps 500,1000,2000,5000,10000] [--clients 4]
        [--profile DIR]   # py-spy on node 0 during each step's joins (collapsed stacks; adds CPU to that node)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import signal
import subprocess
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
IDLE_MEASURE_S = 10.0
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def raise_fd_limit() -> int:
    """Soft open-files limit up to the hard one (children inherit it); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# -- what the processes cost (from /proc) ------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()  # fields from the state on (the name may hold spaces)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) of these processes and their descendants, live or exited and reaped (e.g. a
    PostgreSQL backend whose connection closed)."""
    kids, total, todo = _children(), 0.0, list(pids)
    while todo:
        pid = todo.pop()
        fields = _stat(pid)
        if fields is not None:
            total += sum(int(f) for f in fields[11:15]) / TICKS  # utime, stime, cutime, cstime
        todo += kids.get(pid, [])
    return total


def rss_mb(pid: int) -> float:
    """Resident memory of one process."""
    fields = _stat(pid)
    return int(fields[21]) * PAGE_SIZE / 2**20 if fields is not None else 0.0


def postmaster_pids(port: int) -> list[int]:
    """The PostgreSQL server listening on this port (its backends are its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmd and cmd[0].endswith(b"postgres") and f"-p {port}".encode() in b" ".join(cmd):
                found.append(int(entry.name))
    return found


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


# The pages retry every refusal except these (web/static/call.js FINAL_CODES), with rejoinWithBackoff's timing.
FINAL = {"token_expired", "token_invalid", "session_ended", "token_revoked", "removed", "link_replaced"}
JOIN_ATTEMPTS = 6


class Refused(Exception):
    """A join refused for good (a final code, or every retry used up)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def _join(url: str, token: str, session_id: str, retries: dict[str, int]) -> tuple[Any, float]:
    """Join (retrying refusals as the pages do); the time from the first attempt to the welcome."""
    started = time.perf_counter()
    for attempt in range(JOIN_ATTEMPTS):
        try:
            ws = await websockets.connect(url.replace("http", "ws", 1) + "/ws", max_size=1 << 20, open_timeout=30,
                                          ping_interval=None)
        except OSError as exc:  # e.g. out of file descriptors, or the node's backlog is full
            code, after_ms = f"connect: {exc.strerror or type(exc).__name__}", 0
        else:
            await ws.send(json.dumps({"v": 1, "type": "join", "token": token, "session_id": session_id}))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if msg.get("type") in ("welcome", "error"):
                    break
            if msg["type"] == "welcome":
                return ws, time.perf_counter() - started
            await ws.close()
            code, after_ms = str(msg.get("code", "error")), int(msg.get("retry_after_ms") or 0)
        if code in FINAL or attempt == JOIN_ATTEMPTS - 1:
            raise Refused(code)
        retries[code] = retries.get(code, 0) + 1
        await asyncio.sleep(max(min(8.0, 0.5 * 2**attempt), after_ms / 1000))
    raise AssertionError("unreachable")


def client_main(conn: Connection) -> None:
    """A client process: holds its pairs' connections; grows them and times messages on command."""
    raise_fd_limit()
    asyncio.run(_client_loop(conn))


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _grow(pairs: list[Pair], new: list[Pair], tasks: set[asyncio.Task[None]],
                deadline_s: float) -> dict[str, Any]:
    joins: list[float] = []
    errors: dict[str, int] = {}
    retries: dict[str, int] = {}
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
            except Refused as exc:
                errors[exc.code] = errors.get(exc.code, 0) + 1
            except Exception as exc:
                key = type(exc).__name__[:60]
                errors[key] = errors.get(key, 0) + 1

    cpu0, started = _cpu_self(), time.perf_counter()
    running = [asyncio.create_task(connect(p)) for p in new]
    _, pending = await asyncio.wait(running, timeout=deadline_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if pending:
        errors["step_timeout"] = errors.get("step_timeout", 0) + len(pending)
    elapsed = time.perf_counter() - started
    kept = [p for p in new if p.cust is not None]
    for p in new:  # a pair half joined is no session: close its technician
        if p.cust is None and p.tech is not None:
            await p.tech.close()
    pairs += kept
    return {"joins": joins, "errors": errors, "elapsed": elapsed, "retries": retries, "cpu": _cpu_self() - cpu0,
            "kept": len(kept)}


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

    await asyncio.gather(*(one(p) for p in pairs[-count:]))  # the newest sessions: each step samples its own
    return {"local": local, "relayed": relayed, "lost": lost}


async def _client_loop(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    pairs: list[Pair] = []
    tasks: set[asyncio.Task[None]] = set()
    rounds = 0
    while True:
        command, arg = await loop.run_in_executor(None, conn.recv)
        if command == "stop":
            await asyncio.gather(*(ws.close() for pair in pairs for ws in (pair.tech, pair.cust) if ws is not None),
                                 return_exceptions=True)
            conn.send(None)
            return
        if command == "grow":
            specs, deadline_s = arg
            conn.send(await _grow(pairs, [Pair(**p) for p in specs], tasks, deadline_s))
        elif command == "messages":
            rounds += 1
            conn.send(await _time_messages(pairs, arg, muted=rounds % 2 == 1))


# -- the bench -------------------------------------------------------------------------------------------------


def ms(values: list[float], q: float) -> str:
    return f"{np.percentile(values, q) * 1000:.0f}" if values else "-"


def merged(dicts: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for key, n in d.items():
            out[key] = out.get(key, 0) + n
    return out


async def create_sessions(urls: list[str], count: int, token: str) -> list[tuple[str, str]]:
    """count sessions over REST (spread over the nodes): (session id, customer join token)."""
    out: list[tuple[str, str]] = []
    gate = asyncio.Semaphore(16)
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=auth, timeout=120) as http:

        async def one(i: int) -> None:
            url = urls[i % len(urls)]
            async with gate:
                for attempt in range(3):  # a keep-alive connection the node closed as it was reused: again
                    try:
                        ticket = (await http.post(f"{url}/api/tickets", json={"title": f"bench {i}"}))
                        ticket.raise_for_status()
                        made = (await http.post(f"{url}/api/tickets/{ticket.json()['id']}/sessions", json={}))
                        made.raise_for_status()
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                out.append((made.json()["session"]["id"], made.json()["join_token"]))

        await asyncio.gather(*(one(i) for i in range(count)))
    return out


def loop_lag(urls: list[str], token: str) -> tuple[float, float]:
    """The nodes' event-loop lag so far (lensdesk_event_loop_lag_seconds): summed seconds and wake-ups."""
    total, count = 0.0, 0.0
    for url in urls:
        text = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=60).text
        for line in text.splitlines():
            if line.startswith("lensdesk_event_loop_lag_seconds_sum"):
                total += float(line.rsplit(" ", 1)[1])
            elif line.startswith("lensdesk_event_loop_lag_seconds_count"):
                count += float(line.rsplit(" ", 1)[1])
    return total, count


def start_profiler(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling one node until stopped (SIGINT), in collapsed-stack form."""
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(spy), "record", "-p", str(pid), "-r", "200", "-f", "raw", "-o", str(out),
                             "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


HEADER = ("| connections | added | joins/s | join p50 ms | join p99 ms | refused (after retries) | retries | "
          "msg p50/p99 local ms | msg p50/p99 relayed ms | CPU ms/join nodes + redis + pg + clients | "
          "node RSS max MB | load1 |")


def run(nodes: int, steps: list[int], clients: int, database: str, step_timeout_s: float,
        profile: Path | None, env_extra: dict[str, str], code: Path | None = None, max_p99_s: float = 5.0) -> int:
    limit = raise_fd_limit()
    print(f"open files limit {limit}; load average before: {os.getloadavg()}; nice {os.nice(0)}", flush=True)
    if limit < steps[-1] // clients + 1000:
        print(f"the open files limit {limit} is too low for {steps[-1]} connections over {clients} client "
              "processes: use more --clients", flush=True)
    with tempfile.TemporaryDirectory() as tmp, running_redis_server(Path(tmp) / "redis") as redis:
        pg = running_postgres() if database == "postgres" else None
        db_url = pg.__enter__() if pg is not None else ""
        servers = []
        procs: list[Any] = []
        try:
            env = {"LENSDESK_REDIS_URL": redis.url, "LENSDESK_RECORDING_ENABLED": "false",
                   "LENSDESK_WS_RATE_PER_S": "1000", "LENSDESK_WS_RATE_BURST": "1000",
                   "LENSDESK_ANALYSIS_WORKERS": "1", **({"LENSDESK_DATABASE_URL": db_url} if db_url else {}),
                   **env_extra}
            # --code: run the nodes from another checkout (e.g. main) with this bench, to compare the two
            command = ["env", "-C", str(code), sys.executable, "-m", "lensdesk.cli"] if code else None
            for _ in range(nodes):
                servers.append(start_server(Path(tmp) / "data", secret=SECRET, env=env, timeout_s=180,
                                            command=command))
            urls = [s.url for s in servers]
            node_pids = [s.proc.pid for s in servers]
            redis_pids = [redis.proc.pid] if getattr(redis, "proc", None) is not None else []
            pg_pids = postmaster_pids(int(db_url.rsplit(":", 1)[1].split("/")[0])) if db_url else []
            token = servers[0].technician_token()
            print(f"{nodes} nodes ({code or 'this checkout'}) + redis-server + {database}; {clients} client "
                  f"processes; extra settings {env_extra or 'none'}", flush=True)
            idle0, t0 = tree_cpu_s(node_pids), time.monotonic()
            time.sleep(IDLE_MEASURE_S)
            print(f"nodes idle (no connections): {100 * (tree_cpu_s(node_pids) - idle0) / (time.monotonic() - t0):.0f}% "
                  f"of one CPU for the {nodes} together (heartbeats, polls)", flush=True)
            ctx = mp.get_context("spawn")
            pipes = []
            for _ in range(clients):
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=client_main, args=(child,), daemon=True)
                proc.start()
                pipes.append(parent)
                procs.append(proc)
            print(HEADER, flush=True)
            print("|" + " --- |" * (HEADER.count("|") - 1), flush=True)
            connected, made = 0, 0
            stop_reason = f"reached {steps[-1]} connections"
            for target in steps:
                pairs_needed = (target - connected) // 2
                if pairs_needed <= 0:
                    continue
                gone = [s.log_path for s in servers if s.proc.poll() is not None]
                if gone:
                    for log_path in gone:
                        print(f"--- {log_path.name}, last lines:\n" +
                              "\n".join(log_path.read_text(errors="replace").splitlines()[-20:]), flush=True)
                    stop_reason = f"stopped at {connected} connections: {len(gone)} node(s) exited"
                    break
                try:
                    sessions = asyncio.run(create_sessions(urls, pairs_needed, token))
                except Exception as exc:
                    stop_reason = (f"stopped at {connected} connections: creating the step's {pairs_needed} "
                                   f"sessions failed ({type(exc).__name__}: {exc})")
                    break
                specs = []
                for k, (sid, join_token) in enumerate(sessions):
                    i = made + k
                    relayed = i % 2 == 1
                    specs.append({"session_id": sid, "tech_url": urls[i % nodes],
                                  "cust_url": urls[(i + (1 if relayed else 0)) % nodes], "tech_token": token,
                                  "cust_token": join_token, "relayed": relayed})
                made += len(sessions)
                spy = start_profiler(node_pids[0], profile / f"node0-{target}.txt") if profile else None
                lag0 = loop_lag(urls, token)
                cpu0 = (tree_cpu_s(node_pids), tree_cpu_s(redis_pids), tree_cpu_s(pg_pids))
                for c, pipe in enumerate(pipes):
                    pipe.send(("grow", (specs[c::clients], step_timeout_s)))
                results = [pipe.recv() for pipe in pipes]
                cpu1 = (tree_cpu_s(node_pids), tree_cpu_s(redis_pids), tree_cpu_s(pg_pids))
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
                joins = [j for r in results for j in r["joins"]]
                errors = merged([r["errors"] for r in results])
                retries = merged([r["retries"] for r in results])
                failed = sum(errors.values())
                elapsed = max(r["elapsed"] for r in results)
                connected += 2 * sum(r["kept"] for r in results)
                for pipe in pipes:
                    pipe.send(("messages", SAMPLE_SESSIONS // clients))
                timed = [pipe.recv() for pipe in pipes]
                local = [x for t in timed for x in t["local"]]
                relayed_t = [x for t in timed for x in t["relayed"]]
                lost = merged([t["lost"] for t in timed])
                per_join = [(b - a) * 1000 / max(1, len(joins)) for a, b in zip(cpu0, cpu1, strict=True)]
                per_join.append(sum(r["cpu"] for r in results) * 1000 / max(1, len(joins)))
                refused = ", ".join(f"{n} {code}" for code, n in sorted(errors.items())) or "0"
                retried = ", ".join(f"{n} {code}" for code, n in sorted(retries.items())) or "0"
                print(f"| {connected} | {len(joins)} | {len(joins) / elapsed:.0f} | {ms(joins, 50)} | "
                      f"{ms(joins, 99)} | {refused} | {retried} | {ms(local, 50)} / {ms(local, 99)} | "
                      f"{ms(relayed_t, 50)} / {ms(relayed_t, 99)} | "
                      f"{sum(per_join):.1f} = {' + '.join(f'{x:.1f}' for x in per_join)} | "
                      f"{max(rss_mb(p) for p in node_pids):.0f} | {os.getloadavg()[0]:.1f} |", flush=True)
                lag1 = loop_lag(urls, token)
                print(f"    nodes' event loops, mean lag of a 100 ms wake-up over the step: "
                      f"{1000 * (lag1[0] - lag0[0]) / max(1.0, lag1[1] - lag0[1]):.0f} ms", flush=True)
                if lost:
                    print(f"    timed messages not delivered within 10 s: {lost}", flush=True)
                attempted = 2 * len(sessions)
                if failed > 0.05 * attempted or (joins and np.percentile(joins, 99) > max_p99_s) \
                        or "step_timeout" in errors:
                    short = "" if connected >= target else f" (step to {target} not reached)"
                    stop_reason = (f"stopped at {connected} connections{short}: {failed} of {len(sessions)} sessions "
                                   f"not joined ({refused}), p99 join {ms(joins, 99)} ms (the limit is {max_p99_s:g} s)")
                    break
            print(stop_reason, flush=True)
            print(f"load average after: {os.getloadavg()}", flush=True)
        finally:
            for pipe in pipes if procs else []:
                try:
                    pipe.send(("stop", None))
                    if pipe.poll(60):
                        pipe.recv()
                except (OSError, EOFError):
                    pass
            for proc in procs:
                proc.join(timeout=30)
                if proc.is_alive():
                    proc.kill()
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
    parser.add_argument("--step-timeout", type=float, default=600.0, help="seconds a step's joins may take")
    parser.add_argument("--profile", type=Path, help="write py-spy collapsed stacks of node 0 per step here")
    parser.add_argument("--max-p99-s", type=float, default=5.0,
                        help="stop after a step whose p99 join took longer (the bench keeps 32 joins in flight per "
                             "client process, so on a slow machine this is the queue, not refusals)")
    parser.add_argument("--code", type=Path, help="run the nodes from this checkout (default: this one)")
    parser.add_argument("--set", action="append", default=[], metavar="LENSDESK_X=V",
                        help="an extra setting for every node (repeatable)")
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    extra = dict(kv.split("=", 1) for kv in args.set)
    return run(args.nodes, [int(s) for s in args.steps.split(",")], args.clients, args.database,
               args.step_timeout, args.profile, extra, args.code, args.max_p99_s)


if __name__ == "__main__":
    sys.exit(main())
