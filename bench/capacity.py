"""Capacity: server CPU per support session for three loads, server and synthetic clients on disjoint CPUs.

The server (a separate process, plus its analysis worker processes) runs under `taskset` on the first half of
this process's CPUs, the synthetic clients (this process) on the rest: on 2 cores, server on CPU 0, clients on
CPU 1. Server CPU is per-process CPU time (user+system, /proc) of the server and all its descendants, not wall
time, so other work on the machine does not count as the server's. Loads, one server per level:

    voice        customer and technician talk (Opus both ways), no video
    passthrough  + the customer's 720p30 VP8 camera (~1.5 Mbit/s) of a desk, no screen in view
    analysis     + the camera shows an error screen: decoding and OCR in the analysis worker (worst case)

Per level: server cores, cores per session, server CPU per forwarded RTP packet (packets counted by the
clients' receivers), the worst client's audio packet rate or technician frame rate, send->receive latency.
A level that cannot be reached (a session cannot be set up in time, or media falls below target) is printed as
such and the load stops there; every wait is bounded and each level's server is stopped before the next starts.
All media stays on loopback. `--janus` adds Janus (videoroom) forwarding the same streams, pinned the same way.

    .venv/bin/python bench/capacity.py [--voice 10,20,40] [--passthrough 4,8,16] [--analysis 2,4,8] [--janus]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media.aiortc_internals import received_streams  # noqa: E402
from media.host_addresses import gather_host_candidates_on  # noqa: E402
from signaling.tokens import TokenService  # noqa: E402
from testkit.peers import (  # noqa: E402
    EncodedClip,
    LatencyBook,
    SyntheticCustomer,
    SyntheticTechnician,
    encode_clip,
    encode_tone,
)
from testkit.servers import free_port  # noqa: E402
from testkit.session_client import CallPair, start_pair  # noqa: E402
from testkit.synth.capture import random_capture_params, render_capture  # noqa: E402
from testkit.synth.scenes import Camera, render, textured_scene  # noqa: E402
from testkit.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text  # noqa: E402

Load = Literal["voice", "passthrough", "analysis"]
LOADS: tuple[Load, ...] = ("voice", "passthrough", "analysis")
SECRET = "capacity-" + "s" * 40
TARGET_FPS = 28.0
TARGET_AUDIO_PPS = 45.0  # of 50 Opus packets a second
SETUP_TIMEOUT_S = 30.0
TEARDOWN_TIMEOUT_S = 20.0


# -- clips --------------------------------------------------------------------------------------------------


def screen_clip(seconds: float = 4.0) -> EncodedClip:
    """A hand-held 720p30 capture of an error screen, VP8 at ~1.5 Mbps."""
    sample = SAMPLES[0]
    style = ScreenStyle(layout="dialog", font="sans", fg=(20, 20, 20), bg=(245, 245, 245))
    screen = render_error_screen(sample.code, screen_text(sample), style, (900, 560))
    rng = np.random.default_rng(3)
    params = random_capture_params(rng, (1280, 720), screen.shape[1] / screen.shape[0], severity=0.5)
    frames = [render_capture(screen, params, (1280, 720), shake=(3 * np.sin(i / 4), 2 * np.cos(i / 6), 0.4 * np.sin(i / 8)),
                             frame_seed=i) for i in range(int(seconds * 30))]
    return encode_clip(frames, bitrate=1_500_000, keyframe_interval=3000)


def desk_clip(seconds: float = 4.0) -> EncodedClip:
    """A hand-held 720p30 view panning over a desk with no screen in it, VP8 at ~1.5 Mbps."""
    scene = textured_scene(seed=11, labels=False)
    frames = [render(scene, Camera(1200 + 40 * math.sin(i / 20), 800 + 25 * math.cos(i / 15), 2 * math.sin(i / 30), 1.2),
                     (1280, 720), seed=i) for i in range(int(seconds * 30))]
    return encode_clip(frames, bitrate=1_500_000, keyframe_interval=3000)


# -- CPU accounting ----------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[int]:
    """pid and every live process below it (analysis workers, a forkserver's children), from /proc."""
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent_of[int(entry.name)] = int(_stat(int(entry.name))[1])
    found, frontier = [pid], [pid]
    while frontier:
        children = [p for p, parent in parent_of.items() if parent in frontier]
        found += children
        frontier = children
    return found


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of a process tree: live processes, plus children it has already reaped."""
    ticks = 0
    for i, p in enumerate(descendants(pid)):
        try:
            fields = _stat(p)
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if i == 0:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: workers that exited and were waited for
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process (the synthetic clients)."""
    t = os.times()
    return t.user + t.system


def load_average() -> str:
    """The machine's 1/5/15-minute load average, printed with every figure (the machine is shared)."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu_split(cpus: Sequence[int]) -> tuple[list[int], list[int]]:
    """Disjoint (server, clients) CPU sets: the first half for the server; one CPU alone is shared."""
    ordered = sorted(cpus)
    if len(ordered) < 2:
        return ordered, ordered
    half = len(ordered) // 2
    return ordered[:half], ordered[half:]


def taskset_prefix(cpus: Sequence[int]) -> list[str]:
    """The command prefix that pins a process (and all it starts) to `cpus`."""
    return ["taskset", "-c", ",".join(map(str, cpus))]


# -- one level ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    """One load at one level on one server."""

    server: str  # "lensdesk" or "janus"
    load: Load
    sessions: int
    status: str = "ok"  # "ok", or why the level was not reached
    server_cores: float = float("nan")
    client_cores: float = float("nan")
    packets_per_s: float = float("nan")  # RTP packets the server forwarded (received by the clients)
    min_rate: float = float("nan")  # worst technician fps (video) or worst client audio packets/s (voice)
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    found_share: float = float("nan")
    load_avg: str = ""
    streams: int = 0  # forwarded streams (one source to one receiver)

    @property
    def reached(self) -> bool:
        """Set up, and media held its target."""
        return self.status == "ok"

    @property
    def cores_per_session(self) -> float:
        return self.server_cores / self.sessions if self.sessions else float("nan")

    @property
    def us_per_packet(self) -> float:
        return self.server_cores / self.packets_per_s * 1e6 if self.packets_per_s > 0 else float("nan")

    @property
    def cores_per_stream(self) -> float:
        return self.server_cores / self.streams if self.streams else float("nan")


@dataclass
class Session:
    """What a level needs of one synthetic session, whoever serves it."""

    customer: SyntheticCustomer
    technician: SyntheticTechnician  # receives the customer's media
    close: Callable[[], Awaitable[None]]
    customer_ear: SyntheticCustomer | SyntheticTechnician | None = None  # receives the technician's voice

    @property
    def ear(self) -> SyntheticCustomer | SyntheticTechnician:
        """The peer on which the customer hears the technician (the customer's own, unless the SFU needs two)."""
        return self.customer_ear or self.customer

    @property
    def receivers(self) -> list[SyntheticCustomer | SyntheticTechnician]:
        """Every client peer that receives forwarded media."""
        return [self.technician, self.ear]


@dataclass
class Clips:
    """The pre-encoded media of every load (made once per run)."""

    desk: EncodedClip
    screen: EncodedClip
    voice: list[bytes] = field(default_factory=list)

    def camera(self, load: Load) -> EncodedClip | None:
        return {"voice": None, "passthrough": self.desk, "analysis": self.screen}[load]


def inbound_packets(peers: Sequence[SyntheticCustomer | SyntheticTechnician]) -> dict[int, int]:
    """RTP packets each client has received so far (id(peer) -> count), read at one instant (no await).

    aiortc keeps a StreamStatistics per received SSRC (the numbers getStats() reports as packetsReceived); it is
    read directly because getStats() awaits per peer, which on a loaded machine spreads the snapshot over seconds.
    """
    counts: dict[int, int] = {}
    for peer in peers:
        counts[id(peer)] = sum(stream.packets_received for t in peer.pc.getTransceivers()
                               for stream in received_streams(t.receiver))
    return counts


async def measure_level(server: str, load: Load, n: int, pid: int, sessions: list[Session], warmup_s: float,
                        measure_s: float, books: list[LatencyBook],
                        findings: Callable[[], Awaitable[float]] | None = None) -> Result:
    """Warm up, then measure server CPU, client CPU, forwarded packets and delivered media over a window."""
    await asyncio.sleep(warmup_s)
    for book in books:
        book.latencies_ms.clear()
    peers = [peer for s in sessions for peer in s.receivers]
    p0 = inbound_packets(peers)
    cpu0, own0, t0 = cpu_seconds(pid), own_cpu_seconds(), time.monotonic()
    audio0 = [s.technician.audio_frames for s in sessions]
    await asyncio.sleep(measure_s)
    cpu1, own1, t1 = cpu_seconds(pid), own_cpu_seconds(), time.monotonic()
    p1 = inbound_packets(peers)
    span = t1 - t0
    result = Result(server, load, n, server_cores=(cpu1 - cpu0) / span, client_cores=(own1 - own0) / span,
                    packets_per_s=sum(p1[k] - p0.get(k, 0) for k in p1) / span, load_avg=load_average(),
                    streams=n * (2 if load == "voice" else 3))
    if load == "voice":
        tech = [(s.technician.audio_frames - a0) / span for s, a0 in zip(sessions, audio0, strict=True)]
        cust = [(p1[id(s.ear)] - p0.get(id(s.ear), 0)) / span for s in sessions]
        result.min_rate = min(tech + cust)
        if result.min_rate < TARGET_AUDIO_PPS:
            result.status = f"audio below {TARGET_AUDIO_PPS:.0f} packets/s"
    else:
        result.min_rate = min(len([t for t in s.technician.video_frames if t0 <= t <= t1]) / span for s in sessions)
        if result.min_rate < TARGET_FPS:
            result.status = f"video below {TARGET_FPS:.0f} fps"
    latencies = [x for b in books for x in b.latencies_ms]
    if latencies:
        result.p50_ms, result.p95_ms = (float(v) for v in np.percentile(latencies, [50, 95]))
    if findings is not None:
        with contextlib.suppress(Exception):  # a server too busy to answer /metrics leaves the share unknown
            result.found_share = await findings() / n
    return result


async def close_all(sessions: Sequence[Session]) -> None:
    """Close every session, bounded: a wedged peer must not hang the bench."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(s.close() for s in sessions), return_exceptions=True),
                               TEARDOWN_TIMEOUT_S)


async def open_sessions(n: int, opener: Callable[[int], Awaitable[Session]]) -> tuple[list[Session], str]:
    """Open n sessions one after another, each within SETUP_TIMEOUT_S; stops at the first that fails."""
    sessions: list[Session] = []
    for i in range(n):
        try:
            sessions.append(await asyncio.wait_for(opener(i), SETUP_TIMEOUT_S))
        except Exception as exc:  # noqa: BLE001 - any failure (timeouts included) makes the level unreachable
            reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
            return sessions, f"session {i + 1} of {n} not set up within {SETUP_TIMEOUT_S:.0f} s ({reason[:80]})"
    return sessions, "ok"


def new_peers(load: Load, clips: Clips) -> tuple[SyntheticCustomer, SyntheticTechnician, LatencyBook]:
    """A customer and technician for one session of this load."""
    book = LatencyBook()
    camera = clips.camera(load)
    customer = SyntheticCustomer(camera or clips.desk, book, video=camera is not None)
    return customer, SyntheticTechnician(book, voice=clips.voice), book


# -- lensdesk ----------------------------------------------------------------------------------------------


def start_server(port: int, data_dir: str, cpus: Sequence[int], pipeline: str = "lensdesk") -> subprocess.Popen[bytes]:
    """The lensdesk server process pinned to `cpus`, once /healthz answers (killed if it does not)."""
    proc = subprocess.Popen([*taskset_prefix(cpus), sys.executable, str(Path(__file__).with_name("capacity_server.py")),
                             "--pipeline", pipeline, "--port", str(port), "--data-dir", data_dir, "--secret", SECRET])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    stop_process(proc)
    raise RuntimeError("capacity server did not start")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it lingers."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def findings_committed(url: str) -> float:
    """lensdesk_findings_committed_total from the server's /metrics."""
    auth = {"Authorization": f"Bearer {TokenService(SECRET).issue_technician('bench', 'Bench')}"}
    text = httpx.get(url + "/metrics", headers=auth, timeout=5).raise_for_status().text
    for line in text.splitlines():
        if line.startswith("lensdesk_findings_committed_total "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def start_profiler(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling the server (threads and children) in collapsed-stack form, from the clients' CPUs."""
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(spy), "record", "-p", str(pid), "-d", str(max(1, round(seconds))), "-r", "250",
                             "-f", "raw", "-o", str(out), "--subprocesses", "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def run_lensdesk_level(load: Load, n: int, clips: Clips, server_cpus: Sequence[int], warmup_s: float,
                             measure_s: float, pipeline: str = "lensdesk", profile: Path | None = None) -> Result:
    """One lensdesk server, n sessions of a load, measured and torn down."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            proc = await asyncio.to_thread(start_server, port, tmp, server_cpus, pipeline)
        except RuntimeError as exc:
            return Result("lensdesk", load, n, status=str(exc), load_avg=load_average())
        url = f"http://127.0.0.1:{port}"
        token = TokenService(SECRET).issue_technician("bench", "Bench")
        books: list[LatencyBook] = []

        async def open_one(i: int) -> Session:
            customer, technician, book = new_peers(load, clips)
            books.append(book)
            pair: CallPair | None = None
            try:
                pair = await start_pair(url, token, customer, technician)
            except BaseException:
                await asyncio.gather(customer.close(), technician.close(), return_exceptions=True)
                raise
            return Session(customer, technician, lambda: pair.close(end_session=True))

        sessions: list[Session] = []
        try:
            sessions, status = await open_sessions(n, open_one)
            if status != "ok":
                return Result(pipeline, load, n, status=status, load_avg=load_average())
            found = (lambda: asyncio.to_thread(findings_committed, url)) if load == "analysis" else None
            spy = start_profiler(proc.pid, warmup_s + measure_s, profile / f"{load}-{n}.txt") if profile else None
            try:
                return await measure_level(pipeline, load, n, proc.pid, sessions, warmup_s, measure_s, books, found)
            finally:
                if spy is not None:
                    await asyncio.to_thread(spy.wait, 60)
        finally:
            await close_all(sessions)
            await asyncio.to_thread(stop_process, proc)


# -- printing ----------------------------------------------------------------------------------------------


HEADER = (f"{'server':<8} {'load':<11} {'N':>3} {'srv cores':>9} {'cores/sess':>10} {'sess/core':>9} "
          f"{'pkt/s':>7} {'us/pkt':>7} {'worst':>6} {'p50 ms':>7} {'p95 ms':>7} {'client':>6} {'found':>5}  "
          f"{'load avg':<14} status")


def row(r: Result) -> str:
    """One table line."""
    if r.packets_per_s != r.packets_per_s:  # not measured: the level was not set up
        return f"{r.server:<8} {r.load:<11} {r.sessions:>3} {'-':>9} {'':>10} {'':>9} {'':>7} {'':>7} {'':>6} " \
               f"{'':>7} {'':>7} {'':>6} {'':>5}  {r.load_avg:<14} UNREACHABLE: {r.status}"
    per_core = 1 / r.cores_per_session if r.cores_per_session > 0 else float("inf")
    found = f"{r.found_share:.0%}" if r.found_share == r.found_share else "-"
    return (f"{r.server:<8} {r.load:<11} {r.sessions:>3} {r.server_cores:>9.3f} {r.cores_per_session:>10.4f} "
            f"{per_core:>9.0f} {r.packets_per_s:>7.0f} {r.us_per_packet:>7.1f} {r.min_rate:>6.1f} {r.p50_ms:>7.1f} "
            f"{r.p95_ms:>7.1f} {r.client_cores:>6.2f} {found:>5}  {r.load_avg:<14} "
            + ("ok" if r.reached else "BELOW TARGET: " + r.status))


def parse_levels(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip() and int(x) > 0]


async def main_async(args: argparse.Namespace) -> int:
    server_cpus, client_cpus = cpu_split(sorted(os.sched_getaffinity(0)))
    os.sched_setaffinity(0, client_cpus)
    gather_host_candidates_on(["127.0.0.1"])  # the synthetic clients' media stays on loopback too
    clips = Clips(desk_clip(), screen_clip(), encode_tone(4.0, 220.0))
    print(f"machine: {os.cpu_count()} cores; server (and its workers) on CPU {server_cpus}, clients on CPU "
          f"{client_cpus}{' (SHARED: one CPU only)' if server_cpus == client_cpus else ''}; load average "
          f"{load_average()} at start")
    print("srv cores = CPU time of the server process tree / wall time; sess/core = 1 / cores per session;\n"
          "us/pkt = server CPU per RTP packet it forwarded (packets counted at the clients' receivers);\n"
          "worst = lowest technician fps (video loads) or client audio packets/s (voice); p50/p95 = customer send ->\n"
          "technician receive of video frames; client = cores used by the synthetic clients (their CPU set)")
    print(HEADER, flush=True)
    results: list[Result] = []
    janus = None
    if args.janus:
        from bench.janus_sfu import JanusRunner

        janus = JanusRunner(server_cpus)
    for load in LOADS:
        for n in parse_levels(getattr(args, load)):
            r = await run_lensdesk_level(load, n, clips, server_cpus, args.warmup, args.measure, profile=args.profile)
            print(row(r), flush=True)
            results.append(r)
            if janus is not None and load != "analysis":
                j = await janus.run_level(load, n, clips, args.warmup, args.measure, measure_level, new_peers)
                print(row(j), flush=True)
                results.append(j)
                if r.packets_per_s > 0 and j.packets_per_s > 0:  # both measured (a ratio of levels below target is marked)
                    print(f"{'':<8} {load:<11} {n:>3} lensdesk/janus: {r.cores_per_stream / j.cores_per_stream:.1f}x "
                          f"CPU per forwarded stream, {r.us_per_packet / j.us_per_packet:.1f}x CPU per packet, "
                          f"p50 latency {r.p50_ms - j.p50_ms:+.1f} ms"
                          + ("" if r.reached and j.reached else " (a level below target: not a capacity ratio)"),
                          flush=True)
            if not r.reached:
                break
    print()
    for load in LOADS:
        reached = [r for r in results if r.server == "lensdesk" and r.load == load and r.reached]
        if reached:
            best = max(reached, key=lambda r: r.sessions)
            print(f"{load}: largest level reached N={best.sessions}; server CPU per session "
                  f"{best.cores_per_session * 1000:.1f} millicores -> {1 / best.cores_per_session:.0f} sessions per "
                  f"server core; {best.us_per_packet:.1f} us per forwarded packet (load avg {best.load_avg})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--voice", default="10,20,40")
    parser.add_argument("--passthrough", default="4,8,16")
    parser.add_argument("--analysis", default="2,4,8")
    parser.add_argument("--janus", action="store_true", help="also run Janus (videoroom) on the same streams")
    parser.add_argument("--profile", type=Path, help="write py-spy collapsed stacks of each lensdesk level here "
                                                     "(the profiler itself adds some CPU to the server's figure)")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--measure", type=float, default=8.0)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
