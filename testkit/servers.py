"""Shared test helpers: free loopback ports, a real lensdesk server process, Chromium launch flags."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from signaling.tokens import TokenService

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",  # a loopback host candidate, so the pair to the server stays on 127.0.0.1
]


# Ports tests hand to servers they start. Below the kernel's ephemeral range (32768+), so no socket bound to port 0
# takes one between our check and the server's bind; each process starts at a random place in the range, so test
# runs side by side rarely try the same port, and one process never hands out the same port twice in a row.
_PORTS_LOW, _PORTS_HIGH = 20000, 32768
_port_cursor: list[int] = []


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port (TCP, or UDP with kind=SOCK_DGRAM) free on 127.0.0.1 right now, below the ephemeral range."""
    low, high = _PORTS_LOW, _PORTS_HIGH
    if not _port_cursor:
        _port_cursor.append(random.randrange(low, high))
    for _ in range(high - low):
        port = low + (_port_cursor[0] - low) % (high - low)
        _port_cursor[0] = port + 1
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port on 127.0.0.1 in {low}-{high}")


def chromium_args(camera_y4m: Path | None = None) -> list[str]:
    """Flags for Debian's Chromium in tests, with an optional fake camera file."""
    args = list(CHROMIUM_ARGS)
    if camera_y4m is not None:
        args.append(f"--use-file-for-fake-video-capture={camera_y4m}")
    return args


@dataclass
class ServerProcess:
    """A `lensdesk serve` child process on a free loopback port."""

    url: str
    data_dir: Path
    secret: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def tokens(self) -> TokenService:
        return TokenService(self.secret)

    def technician_token(self, name: str = "Tess") -> str:
        return self.tokens.issue_technician("tech-test", name)

    def new_session(self, title: str = "test", technician_token: str | None = None) -> tuple[str, str]:
        """A ticket and its session over REST: (session id, the customer's join token)."""
        auth = {"Authorization": f"Bearer {technician_token or self.technician_token()}"}
        ticket = httpx.post(f"{self.url}/api/tickets", json={"title": title}, headers=auth).json()
        created = httpx.post(f"{self.url}/api/tickets/{ticket['id']}/sessions", json={}, headers=auth).json()
        return created["session"]["id"], created["join_token"]

    def ws(self, path: str = "/ws", **options: Any) -> ClientConnection:
        """A WebSocket to this server (the websockets library's sync client)."""
        return connect(self.url.replace("http", "ws", 1) + path, open_timeout=5, **options)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)
        self.proc.wait(timeout=30)


def start_server(data_dir: Path, *, port: int | None = None, secret: str = "test-secret-" + "x" * 32,
                 env: dict[str, str] | None = None, timeout_s: float = 90.0,
                 command: list[str] | None = None) -> ServerProcess:
    """Start lensdesk in a subprocess and wait until /healthz answers (command: another way to run `lensdesk`)."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "LENSDESK_HOST": "127.0.0.1", "LENSDESK_PORT": str(port),
                "LENSDESK_DATA_DIR": str(data_dir), "LENSDESK_SECRET_KEY": secret,
                # Tests run on loopback: allow exactly 127.0.0.1 as a remote ICE address (127.0.0.2+ stay denied).
                "LENSDESK_ICE_ALLOWED_CIDRS": '["127.0.0.1/32"]', "LENSDESK_ICE_HOST_ADDRESSES": '["127.0.0.1"]',
                "LENSDESK_ICE_PEER_CIDRS": '["127.0.0.0/8"]',
                **(env or {})}
    log_path = data_dir / f"server-{port}.log"
    logf = log_path.open("ab")
    proc = subprocess.Popen([*(command or [sys.executable, "-m", "lensdesk.cli"]), "serve", "--log-level", "info"],
                            env=full_env, stdout=logf, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"lensdesk exited early:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return ServerProcess(url, data_dir, secret, proc, log_path)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"lensdesk did not become healthy:\n{log_path.read_text(errors='replace')}")


@contextlib.contextmanager
def running_server(data_dir: Path, **kwargs: object) -> Iterator[ServerProcess]:
    """Context manager around start_server that always stops the process."""
    server = start_server(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.kill(signal.SIGTERM)


class RedisServer:
    """A real redis-server on a fixed loopback port (no persistence) that a test can kill and start again."""

    def __init__(self, work_dir: Path) -> None:
        self.port = free_port()
        self.work_dir = work_dir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        work_dir.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        """Start (again) on the same port, empty."""
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.work_dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s, contextlib.suppress(OSError):
                s.connect(("127.0.0.1", self.port))
                return
            time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError("redis-server did not start")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop it with sig (SIGKILL for a crash) and wait until it is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)
        self.proc = None


@contextlib.contextmanager
def running_redis_server(work_dir: Path) -> Iterator[RedisServer]:
    """A RedisServer, started, always stopped at the end."""
    server = RedisServer(work_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def running_redis(work_dir: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port (no persistence); yields its URL."""
    with running_redis_server(work_dir) as server:
        yield server.url


@dataclass
class Cluster:
    """lensdesk nodes sharing one real redis-server, one database and one data dir (as behind a load balancer)."""

    redis: RedisServer
    nodes: list[ServerProcess]
    data_dir: Path
    env: dict[str, str]

    @property
    def secret(self) -> str:
        return self.nodes[0].secret

    def restart(self, index: int) -> ServerProcess:
        """Start node `index` again on its port (after a kill or a drain): the same node id."""
        port = int(self.nodes[index].url.rsplit(":", 1)[1])
        self.nodes[index] = start_server(self.data_dir, port=port, secret=self.secret, env=self.env)
        return self.nodes[index]


@contextlib.contextmanager
def running_cluster(work_dir: Path, nodes: int = 2, env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """A redis-server and `nodes` lensdesk nodes using it (recording off unless env says otherwise); all stopped
    at the end, whatever the test killed or restarted."""
    with running_redis_server(work_dir / "redis") as redis:
        full_env = {"LENSDESK_REDIS_URL": redis.url, "LENSDESK_RECORDING_ENABLED": "false", **(env or {})}
        cluster = Cluster(redis, [], work_dir / "data", full_env)
        try:
            for i in range(nodes):
                cluster.nodes.append(start_server(cluster.data_dir, env=full_env, secret=cluster.secret) if i
                                     else start_server(cluster.data_dir, env=full_env))
            yield cluster
        finally:
            for node in cluster.nodes:
                if node.proc.poll() is None:
                    node.kill(signal.SIGTERM)


HAPROXY_503 = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nCache-Control: no-store\r\n"
               b"Connection: close\r\n\r\n"
               b'{"type": "about:blank", "title": "Service Unavailable", "status": 503, '
               b'"detail": "No call server can take this right now; try again in a few seconds."}\n')


@dataclass
class LoadBalancer:
    """A real HAProxy on a free loopback port in front of lensdesk nodes (health-checked on /readyz)."""

    url: str
    proc: subprocess.Popen[bytes]


@contextlib.contextmanager
def running_haproxy(work_dir: Path, backends: list[str]) -> Iterator[LoadBalancer]:
    """HAProxy balancing HTTP and WebSocket over `backends` (base URLs); a node whose /readyz is not 200 gets
    no new connections (established WebSockets stay), none ready: a 503 problem document at once."""
    work_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (work_dir / "503.http").write_bytes(HAPROXY_503)
    servers = "\n".join(f"    server n{i} {url.removeprefix('http://')} check" for i, url in enumerate(backends))
    config = work_dir / "haproxy.cfg"
    config.write_text(f"""global
    maxconn 4000
defaults
    mode http
    timeout connect 1s
    timeout check 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 2
    option redispatch
    errorfile 503 {work_dir / '503.http'}
frontend lensdesk
    bind 127.0.0.1:{port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 300ms fall 2 rise 2
{servers}
""")
    proc = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=(work_dir / "haproxy.log").open("ab"),
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start: {(work_dir / 'haproxy.log').read_text()}")
            time.sleep(0.1)
        yield LoadBalancer(url, proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root; drop to the postgres account when we are root
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL 15 cluster on a free loopback port (fsync off); yields its asyncpg URL."""
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="lensdesk-pg-"))  # not under a root-private dir: postgres must enter it
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    pg_ctl = str(PG_BIN / "pg_ctl")
    try:
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "lensdesk", "-A", "trust",
                                     "--no-sync"]), check=True, capture_output=True)
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400"
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(root / "pg.log"),
                                     "start"]), check=True, capture_output=True)
        subprocess.run(_as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "lensdesk",
                                     "lensdesk"]), check=True, capture_output=True)
        yield f"postgresql+asyncpg://lensdesk@127.0.0.1:{port}/lensdesk"
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
