"""CPU per forwarded RTP packet on the passthrough relay path, in isolation.

    .venv/bin/python bench/relay_packet_cost.py [--load voice|video] [--sessions 4] [--warmup 2] [--measure 8]
                                                [--mode packets|frames] [--compare-mode frames] [--rounds 4]
                                                [--profile OUT.prof] [--top 25]

--mode picks CallMedia's relay_mode (media/forward.py "packets", or "frames"); --compare-mode measures the other
mode of this tree in the same run, --compare DIR another checkout's media/, alternating A B B A.

The server side (one media.call.CallMedia per session, wired exactly as the app wires it, with one observer per call
standing in for the recorder/analysis taps) runs alone in a child process (this script with --serve), driven over
its stdin/stdout; the synthetic aiortc customers and technicians (testkit/peers.py: pre-encoded media, nothing
decoded) run in this process, over loopback. On 2+ CPUs the relay is pinned to the first, the clients to the rest.

The figure is the relay's event-loop thread's own CPU time (CLOCK_THREAD_CPUTIME_ID: not wall time and not the
clients', so other work on a shared machine changes it little) divided by the RTP packets the server sent to the
clients in the same window (each one received and forwarded; frames are reassembled for the observer either way). --profile writes a cProfile of that thread, timed
in thread CPU time (a wall-clock profile on a busy machine counts waiting for a CPU as cost).

Loads: voice (Opus both ways, 50 packets/s each way per session); video (+ the customer's 640x360 VP8 at 30 fps,
~600 kbit/s, ~2 packets per frame).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
# The relay child imports media/ from the checkout given with --root (this one by default); see --compare.
sys.path.insert(0, sys.argv[sys.argv.index("--root") + 1] if "--serve" in sys.argv else str(ROOT))

from media.aiortc_internals import received_streams, sent_packets  # noqa: E402
from media.call import CallMedia  # noqa: E402
from media.frames import EncodedFrame  # noqa: E402
from media.host_addresses import gather_host_candidates_on  # noqa: E402
from media.ice import CandidatePolicy  # noqa: E402

if "--serve" not in sys.argv:  # the clients; the relay child may run another checkout's media/ without them
    from testkit.peers import SyntheticCustomer, SyntheticTechnician, encode_tone, moving_bar_clip

Load = Literal["voice", "video"]
# As a server under test: only loopback candidates, only loopback peers.
LOOPBACK = CandidatePolicy(["127.0.0.1/32"], peer_cidrs=["127.0.0.0/8"])


# -- the relay process -----------------------------------------------------------------------------------------


class Relay:
    """The server side: CallMedia per session, answering commands (one JSON object per line)."""

    def __init__(self, relay_mode: str | None) -> None:
        self.relay_mode = relay_mode  # None: CallMedia's default (a checkout from before relay_mode had none)
        self.calls: dict[int, CallMedia] = {}
        self.observed = 0
        self.profiler = cProfile.Profile(time.thread_time)

    def observe(self, source: str, frame: EncodedFrame) -> None:
        """Stands in for the recorder/analysis observers: sees every frame, does nothing with it."""
        self.observed += 1

    async def handle(self, cmd: dict[str, Any]) -> dict[str, Any]:
        op = cmd["op"]
        if op == "offer":
            media = self.calls.get(cmd["session"])
            if media is None:
                mode: dict[str, Any] = {"relay_mode": self.relay_mode} if self.relay_mode else {}
                media = self.calls[cmd["session"]] = CallMedia(f"s-{cmd['session']}", candidates=LOOPBACK, **mode)
                media.add_observer(self.observe)
            return {"sdp": await media.handle_offer(cmd["pid"], cmd["role"], cmd["sdp"])}
        if op == "stats":
            return {"cpu": time.thread_time(), "packets": self.sent_packets(), "received": self.received_packets(),
                    "observed": self.observed, "process_cpu": time.process_time()}
        if op == "profile":
            if cmd["on"]:
                self.profiler.enable()
            else:
                self.profiler.disable()
                self.profiler.dump_stats(cmd["path"])
            return {}
        if op == "close":
            await asyncio.gather(*(m.close() for m in self.calls.values()), return_exceptions=True)
            self.calls.clear()
            return {}
        raise ValueError(f"unknown op {op!r}")

    def sent_packets(self) -> dict[str, int]:
        """RTP packets the server's senders have sent, by receiving role and kind."""
        totals: dict[str, int] = {}
        for media in self.calls.values():
            for pid in ("c", "t"):
                peer = media.peer(pid)
                if peer is None:
                    continue
                for sender in peer.pc.getSenders():
                    key = f"to {peer.role} {sender.kind}"
                    totals[key] = totals.get(key, 0) + sent_packets(sender)
        return totals

    def received_packets(self) -> int:
        """RTP packets the server's receivers have taken in (aiortc's per-SSRC statistics)."""
        return sum(stats.packets_received for media in self.calls.values() for pid in ("c", "t")
                   if (peer := media.peer(pid)) is not None for receiver in peer.pc.getReceivers()
                   for stats in received_streams(receiver))


async def serve(relay_mode: str | None) -> None:
    """Read commands from stdin, answer on stdout, until it closes."""
    gather_host_candidates_on(["127.0.0.1"])
    print(f"relay: media from {Path(sys.modules['media'].__file__ or '').parent}, relay_mode {relay_mode or 'default'}",
          file=sys.stderr)
    relay = Relay(relay_mode)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        cmd = json.loads(line)
        try:
            reply = await relay.handle(cmd)
        except Exception as exc:
            reply = {"error": repr(exc)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    await relay.handle({"op": "close"})


# -- the clients -----------------------------------------------------------------------------------------------


class RelayProcess:
    """The child relay process and its command channel."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._lock = asyncio.Lock()

    @classmethod
    async def start(cls, cpus: list[int], target: Target) -> RelayProcess:
        pin = ["taskset", "-c", ",".join(map(str, cpus))] if cpus else []
        mode = ["--relay-mode", target.mode] if target.mode else []
        proc = await asyncio.create_subprocess_exec(*pin, sys.executable, __file__, "--serve", "--root",
                                                    str(target.root), *mode,
                                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return cls(proc)

    async def ask(self, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        async with self._lock:
            self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
            await self.proc.stdin.drain()
            line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        if not line:
            raise RuntimeError("the relay process exited")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"relay: {reply['error']}")
        return reply

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ask(op="close"), 15)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


@dataclass(frozen=True)
class Target:
    """What one relay child runs: media/ of a checkout, in a relay mode (None: that checkout's default)."""

    root: Path
    mode: str | None

    def __str__(self) -> str:
        return f"{self.root} mode={self.mode or 'default'}"


@dataclass
class Session:
    """One call's two synthetic clients."""

    customer: SyntheticCustomer
    technician: SyntheticTechnician


async def open_session(relay: RelayProcess, i: int, load: Load, clips: dict[str, Any]) -> Session:
    """Connect a technician, then a customer, to call i on the relay."""
    session = Session(SyntheticCustomer(clips["clip"], video=load == "video"),
                      SyntheticTechnician(voice=clips["voice"]))
    for pid, role, peer in (("t", "technician", session.technician), ("c", "customer", session.customer)):
        reply = await relay.ask(op="offer", session=i, pid=pid, role=role, sdp=await peer.offer())
        await peer.accept(reply["sdp"])
    return session


async def wait_flowing(sessions: list[Session], load: Load, within: float) -> None:
    """Until every technician hears the customer (and sees video for the video load) and every customer hears."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(s.technician.audio_frames > 5 and len(s.customer.audio_payloads) > 5
               and (load == "voice" or len(s.technician.video_frames) > 5) for s in sessions):
            return
        await asyncio.sleep(0.1)
    state = [(s.technician.audio_frames, len(s.customer.audio_payloads), len(s.technician.video_frames))
             for s in sessions]
    raise TimeoutError(f"media did not flow through every session in time (heard/heard/seen: {state})")


def expected_packets_per_s(load: Load, clip_frames: list[bytes]) -> float:
    """Packets per second one session should forward: 2 x 50 Opus, plus ~1 per 1,200 bytes of 30 video frames/s."""
    video = 30.0 * sum(-(-len(f) // 1200) for f in clip_frames) / len(clip_frames) if load == "video" else 0.0
    return 100.0 + video


@dataclass
class Measured:
    """One measured window of one relay."""

    root: str
    cpu_s: float
    wall_s: float
    packets: int
    expected: float
    load_avg: tuple[float, float, float]

    @property
    def us_per_packet(self) -> float:
        return self.cpu_s / self.packets * 1e6 if self.packets else float("nan")

    @property
    def delivered(self) -> float:
        return self.packets / self.wall_s / self.expected


async def measure_once(args: argparse.Namespace, root: Target, clips: dict[str, Any], relay_cpus: list[int],
                       profile: Path | None) -> Measured:
    """Start a relay from the media/ package of `root`, open the sessions, measure one window, tear down."""
    relay = await RelayProcess.start(relay_cpus, root)
    sessions: list[Session] = []
    try:
        for i in range(args.sessions):
            sessions.append(await open_session(relay, i, args.load, clips))
        await wait_flowing(sessions, args.load, 30.0)
        await asyncio.sleep(args.warmup)
        load_before = os.getloadavg()
        if profile is not None:
            await relay.ask(op="profile", on=True)
        s0, wall0, own0 = await relay.ask(op="stats"), time.monotonic(), time.process_time()
        await asyncio.sleep(args.measure)
        s1, wall1, own1 = await relay.ask(op="stats"), time.monotonic(), time.process_time()
        if profile is not None:
            await relay.ask(op="profile", on=False, path=str(profile))
        wall, cpu = wall1 - wall0, s1["cpu"] - s0["cpu"]
        by_kind = {k: v - s0["packets"].get(k, 0) for k, v in s1["packets"].items()}
        packets = sum(by_kind.values())
        result = Measured(str(root), cpu, wall, packets,
                          args.sessions * expected_packets_per_s(args.load, clips["clip"].video), load_before)
        print(f"relay from {root}: load={args.load} sessions={args.sessions} window={wall:.1f}s "
              f"relay CPUs={relay_cpus or 'any'} loadavg={' '.join(f'{x:.1f}' for x in load_before)}")
        print(f"  relay thread CPU {cpu:.3f}s = {cpu / wall:.3f} cores (process "
              f"{(s1['process_cpu'] - s0['process_cpu']) / wall:.3f}); clients {(own1 - own0) / wall:.3f} cores; "
              f"frames observed {s1['observed'] - s0['observed']}; received {(s1['received'] - s0['received']) / wall:.0f}/s")
        print(f"  packets forwarded {packets / wall:.0f}/s (expected ~{result.expected:.0f}/s): "
              + ", ".join(f"{k} {v / wall:.0f}/s" for k, v in sorted(by_kind.items())))
        print(f"  RESULT us_per_packet={result.us_per_packet:.1f} delivered={result.delivered:.2f}", flush=True)
        return result
    finally:
        for s in sessions:
            await asyncio.gather(s.customer.close(), s.technician.close(), return_exceptions=True)
        await relay.stop()


async def main_async(args: argparse.Namespace) -> int:
    gather_host_candidates_on(["127.0.0.1"])  # every packet of this bench stays on loopback
    clips = {"clip": moving_bar_clip(keyframe_interval=300, seconds=2.0), "voice": encode_tone(2.0, 220.0)}
    cpus = sorted(os.sched_getaffinity(0))
    relay_cpus, client_cpus = (cpus[:1], cpus[1:]) if len(cpus) > 1 and not args.no_pin else ([], cpus)
    os.sched_setaffinity(0, client_cpus)
    roots = [Target(ROOT, args.mode)]
    if args.compare_mode:
        roots.append(Target(ROOT, args.compare_mode))
    if args.compare:
        roots.append(Target(args.compare.resolve(), None))
    results: dict[Target, list[Measured]] = {r: [] for r in roots}
    for round_ in range(args.rounds):
        for root in roots if round_ % 2 == 0 else roots[::-1]:  # A B B A ...: drift in the machine's load cancels
            profile = args.profile if root == roots[0] and round_ == 0 else None
            results[root].append(await measure_once(args, root, clips, relay_cpus, profile))
    for root, rs in results.items():
        cpu, packets = sum(r.cpu_s for r in rs), sum(r.packets for r in rs)
        print(f"SUMMARY {root}: {cpu / packets * 1e6 if packets else float('nan'):.1f} us/packet over {len(rs)} "
              f"window(s), {packets} packets, delivered {min(r.delivered for r in rs):.2f}-"
              f"{max(r.delivered for r in rs):.2f} of the expected rate")
    per_packet = [sum(r.cpu_s for r in results[x]) / max(1, sum(r.packets for r in results[x])) for x in roots]
    for other, cost in zip(roots[1:], per_packet[1:], strict=True):
        print(f"RATIO {roots[0]} / {other}: {per_packet[0] / cost:.2f}")
    if args.profile is not None:
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(args.top)
    return 0 if all(r.packets for rs in results.values() for r in rs) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", choices=["voice", "video"], default="voice")
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--measure", type=float, default=8.0)
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the relay thread here")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-pin", action="store_true", help="do not pin the relay and the clients to CPUs")
    parser.add_argument("--rounds", type=int, default=1, help="measured windows per relay (alternating)")
    parser.add_argument("--compare", type=Path, default=None,
                        help="another checkout (e.g. /work/main): its media/ relay is measured in the same run, "
                             "alternating with this tree's")
    parser.add_argument("--mode", choices=["packets", "frames"], default="packets", help="CallMedia relay_mode")
    parser.add_argument("--compare-mode", choices=["packets", "frames"], default=None,
                        help="also measure this tree in this relay mode, alternating with --mode")
    parser.add_argument("--relay-mode", default=None, help=argparse.SUPPRESS)  # the relay child's mode
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the relay child process
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compare is not None and not (args.compare / "media" / "call.py").is_file():
        parser.error(f"--compare {args.compare}: no media/ package there")  # else the child would import ours
    if args.profile is not None:
        args.profile = args.profile.resolve()  # the relay child writes it from its own working directory
    if args.serve:
        asyncio.run(serve(args.relay_mode))
        return 0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
