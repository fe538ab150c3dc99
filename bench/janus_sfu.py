"""Janus (Debian's `janus`, videoroom plugin) forwarding the capacity bench's synthetic streams, for a side-by-side.

The bench starts Janus on a free loopback port with a generated configuration (HTTP transport and the videoroom
plugin only, ICE on loopback only, no STUN; Janus skips loopback interfaces when it gathers candidates, so a small
LD_PRELOAD shim, bench/janus_loopback.c built with gcc at start, presents `lo` as an ordinary interface), pinned with `taskset` to the same CPUs as the lensdesk server. Each
support session is a videoroom: the customer publishes audio (+ video), the technician publishes audio, and
each subscribes to the other's feed, so Janus forwards the same streams lensdesk does.

    from bench.janus_sfu import JanusRunner   # used by bench/capacity.py --janus
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from aiortc import RTCPeerConnection, RTCSessionDescription

from testkit.peers import LOOPBACK_ONLY, EncodedClip, LatencyBook, SyntheticCustomer, SyntheticTechnician
from testkit.servers import free_port

if TYPE_CHECKING:
    from bench.capacity import Clips, Load, Result, Session

PLUGINS = "/usr/lib/x86_64-linux-gnu/janus/plugins"
TRANSPORTS = "/usr/lib/x86_64-linux-gnu/janus/transports"
REQUEST_TIMEOUT_S = 15.0


def janus_available() -> bool:
    """Whether Janus, its videoroom plugin and gcc (for the loopback shim) are installed."""
    return (shutil.which("janus") is not None and shutil.which("gcc") is not None
            and Path(PLUGINS, "libjanus_videoroom.so").exists())


def write_config(folder: Path, http_port: int, rtp_ports: tuple[int, int]) -> Path:
    """janus.jcfg + HTTP transport + videoroom configuration in `folder`; returns the main file."""
    others = sorted(p.name for p in Path(PLUGINS).glob("libjanus_*.so") if "videoroom" not in p.name)
    transports = sorted(p.name for p in Path(TRANSPORTS).glob("libjanus_*.so") if "http" not in p.name)
    main = folder / "janus.jcfg"
    main.write_text(f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{PLUGINS}"
    transports_folder = "{TRANSPORTS}"
    debug_level = 3
    session_timeout = 120
}}
media: {{
    rtp_port_range = "{rtp_ports[0]}-{rtp_ports[1]}"
    ipv6 = false
}}
nat: {{
    ice_enforce_list = "lo"
    ignore_mdns = true
}}
plugins: {{
    disable = "{','.join(others)}"
}}
transports: {{
    disable = "{','.join(transports)}"
}}
events: {{
    broadcast = false
}}
""")
    (folder / "janus.transport.http.jcfg").write_text(f"""general: {{
    json = "plain"
    base_path = "/janus"
    http = true
    port = {http_port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_http = false
}}
""")
    (folder / "janus.plugin.videoroom.jcfg").write_text('general: {\n}\n')
    return main


def loopback_candidates_only(sdp: str) -> str:
    """Drop ICE candidates on any address but 127.0.0.1 (aiortc gathers on every interface)."""
    return "".join(line for line in sdp.splitlines(keepends=True)
                   if not line.startswith("a=candidate:") or " 127.0.0.1 " in line)


class JanusListener(SyntheticTechnician):
    """A receiving aiortc peer for a videoroom subscription: Janus offers, this answers (frames not decoded)."""

    def __init__(self, book: LatencyBook | None = None) -> None:  # noqa: D107 - no transceivers of its own
        self.pc = RTCPeerConnection(LOOPBACK_ONLY)
        self.book = book
        self.video_frames: list[float] = []
        self.audio_frames = 0
        self.audio_payloads: collections.deque[bytes] = collections.deque(maxlen=250)
        self.keyframes = 0
        self.pc.on("track", self._on_track)

    async def answer_offer(self, sdp: str) -> str:
        """Apply Janus's offer; returns the answer SDP."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return loopback_candidates_only(str(self.pc.localDescription.sdp))


class JanusApi:
    """A Janus session over the HTTP transport, with a long-poll task that routes events to handles."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S + 5)
        self.session: int | None = None
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._tx = itertools.count()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = (await self.http.post(self.url + path, json={**body, "transaction": f"t{next(self._tx)}"})).json()
        if reply.get("janus") == "error":
            raise RuntimeError(f"janus: {reply['error']}")
        return dict(reply)

    async def start(self) -> None:
        """Create the session and start polling its events."""
        self.session = int((await self._post("/janus", {"janus": "create"}))["data"]["id"])
        self._poller = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            try:
                reply = await self.http.get(f"{self.url}/janus/{self.session}", params={"maxev": 20},
                                            timeout=40)
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
                continue
            events = reply.json()
            for event in events if isinstance(events, list) else [events]:
                sender = event.get("sender")
                if sender is not None:
                    self._events.setdefault(int(sender), asyncio.Queue()).put_nowait(event)

    async def attach(self) -> int:
        """A new videoroom handle."""
        reply = await self._post(f"/janus/{self.session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"})
        handle = int(reply["data"]["id"])
        self._events.setdefault(handle, asyncio.Queue())
        return handle

    async def request(self, handle: int, body: dict[str, Any], jsep: dict[str, str] | None = None) -> dict[str, Any]:
        """A plugin message; a synchronous reply's plugin data, or the asynchronous event (with its jsep)."""
        message: dict[str, Any] = {"janus": "message", "body": body}
        if jsep is not None:
            message["jsep"] = jsep
        reply = await self._post(f"/janus/{self.session}/{handle}", message)
        if reply.get("janus") == "success":
            return dict(reply["plugindata"]["data"])
        queue = self._events[handle]
        while True:
            event = await asyncio.wait_for(queue.get(), REQUEST_TIMEOUT_S)
            if event.get("janus") == "event":
                data = dict(event["plugindata"]["data"])
                if "error" in data:
                    raise RuntimeError(f"janus videoroom: {data['error']}")
                if "jsep" in event:
                    data["jsep"] = event["jsep"]
                return data

    async def close(self) -> None:
        """Destroy the session and stop polling."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
        with contextlib.suppress(Exception):
            await self._post(f"/janus/{self.session}", {"janus": "destroy"})
        await self.http.aclose()


async def publish(api: JanusApi, room: int, name: str, peer: SyntheticCustomer) -> int:
    """Join `room` as a publisher sending the peer's tracks; returns the feed id."""
    handle = await api.attach()
    offer = loopback_candidates_only(await peer.offer())
    data = await api.request(handle, {"request": "joinandconfigure", "room": room, "ptype": "publisher",
                                      "display": name, "audio": True, "video": True},
                             {"type": "offer", "sdp": offer})
    await peer.accept(loopback_candidates_only(data["jsep"]["sdp"]))
    return int(data["id"])


async def wait_published(api: JanusApi, handle: int, room: int, feed: int) -> None:
    """Until Janus lists the feed as publishing (its WebRTC leg is up): earlier, subscribing finds no such feed."""
    deadline = time.monotonic() + REQUEST_TIMEOUT_S
    while time.monotonic() < deadline:
        data = await api.request(handle, {"request": "listparticipants", "room": room})
        if any(p.get("id") == feed and p.get("publisher") for p in data.get("participants", [])):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"janus: feed {feed} did not start publishing")


async def subscribe(api: JanusApi, room: int, feed: int, listener: JanusListener) -> None:
    """Subscribe `listener` to a feed of `room` (once it publishes)."""
    handle = await api.attach()
    await wait_published(api, handle, room, feed)
    data = await api.request(handle, {"request": "join", "room": room, "ptype": "subscriber",
                                      "streams": [{"feed": feed}]})
    answer = await listener.answer_offer(loopback_candidates_only(data["jsep"]["sdp"]))
    await api.request(handle, {"request": "start"}, {"type": "answer", "sdp": answer})


class JanusRunner:
    """Runs capacity levels on a fresh Janus process pinned to the server CPUs."""

    def __init__(self, server_cpus: Sequence[int]) -> None:
        self.server_cpus = list(server_cpus)
        self._rooms = itertools.count(1000)

    def start(self, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
        """Janus with a generated configuration, once its HTTP API answers."""
        from bench.capacity import stop_process, taskset_prefix

        port = free_port()
        rtp = free_port()
        config = write_config(folder, port, (rtp - rtp % 1000 + 20000 if rtp < 40000 else 40000,
                                             (rtp - rtp % 1000 + 20000 if rtp < 40000 else 40000) + 999))
        shim = folder / "janus_loopback.so"
        try:
            subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(shim),
                            str(Path(__file__).with_name("janus_loopback.c")), "-ldl"], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise RuntimeError(f"cannot build the loopback shim for janus: {exc}") from exc
        log = open(folder / "janus.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([*taskset_prefix(self.server_cpus), "janus", "-C", str(config), "-F", str(folder),
                                 "-o", "-N", "-L", str(folder / "janus.txt")], stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "LD_PRELOAD": str(shim)})
        log.close()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(url + "/janus/info", timeout=1).status_code == 200:
                    return proc, url
            except httpx.HTTPError:
                time.sleep(0.1)
        stop_process(proc)
        raise RuntimeError("janus did not start: " + (folder / "janus.txt").read_text(errors="replace")[-300:]
                           if (folder / "janus.txt").exists() else "janus did not start")

    async def run_level(self, load: Load, n: int, clips: Clips, warmup_s: float, measure_s: float,
                        measure: Callable[..., Awaitable[Result]],
                        new_peers: Callable[[Load, Clips], tuple[SyntheticCustomer, SyntheticTechnician, LatencyBook]],
                        ) -> Result:
        """n sessions of `load` through one Janus, measured like lensdesk's, then torn down."""
        from bench.capacity import Result, Session, close_all, load_average, open_sessions, stop_process

        with tempfile.TemporaryDirectory() as tmp:
            try:
                proc, url = await asyncio.to_thread(self.start, Path(tmp))
            except RuntimeError as exc:
                return Result("janus", load, n, status=str(exc)[:200], load_avg=load_average())
            api = JanusApi(url)
            books: list[LatencyBook] = []
            voice = EncodedClip([], [], clips.voice, 0, 0)

            async def open_one(i: int) -> Session:
                customer, _, book = new_peers(load, clips)
                books.append(book)
                technician_ear = JanusListener(book)
                technician_mouth = SyntheticCustomer(voice, video=False)
                customer_ear = JanusListener()
                pcs = (customer, technician_ear, technician_mouth, customer_ear)

                async def close() -> None:
                    await asyncio.gather(*(p.close() for p in pcs), return_exceptions=True)

                try:
                    room = next(self._rooms)
                    await api.request(await api.attach(), {"request": "create", "room": room, "publishers": 4,
                                                           "audiocodec": "opus", "videocodec": "vp8",
                                                           "bitrate": 0, "notify_joining": False})
                    customer_feed = await publish(api, room, "customer", customer)
                    technician_feed = await publish(api, room, "technician", technician_mouth)
                    await subscribe(api, room, customer_feed, technician_ear)
                    await subscribe(api, room, technician_feed, customer_ear)
                except BaseException:
                    await close()
                    raise
                return Session(customer, technician_ear, close, customer_ear=customer_ear)

            sessions: list[Session] = []
            try:
                await api.start()
                sessions, status = await open_sessions(n, open_one)
                if status != "ok":
                    return Result("janus", load, n, status=status, load_avg=load_average())
                return await measure("janus", load, n, proc.pid, sessions, warmup_s, measure_s, books)
            finally:
                await close_all(sessions)
                await api.close()
                await asyncio.to_thread(stop_process, proc)
