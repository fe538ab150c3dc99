"""Issue 15 item 11 on the signaling socket of a real server: odd input gets a clear error and the call goes on;
the join window is absolute; the Origin check ignores the Host header; join tokens never cross Redis."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from testkit.peers import SyntheticTechnician
from testkit.servers import ServerProcess, running_cluster, running_server
from testkit.session_client import SignalingClient, create_session

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("wsh") / "data") as srv:
        yield srv


async def next_error(link: SignalingClient, seen: int, within_s: float = 5.0) -> dict:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        errors = [m for m in link.messages if m.get("type") == "error"]
        if len(errors) > seen:
            return errors[seen]
        await asyncio.sleep(0.02)
    raise AssertionError(f"no error reply; messages so far: {link.messages[-3:]}")


ODD_CANDIDATES: list[dict[str, object]] = [
    {"candidate": "candidate:"}, {"candidate": "candidate:1"}, {"candidate": "candidate:1 1 udp"},
    {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1"}, {"candidate": "candidate:1 1 udp x 127.0.0.1 5000 typ host"},
    {"candidate": "candidate:1 1 udp 1 127.0.0.1 99999 typ host"}, {"candidate": "x" * 1000},
    {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": None, "sdpMLineIndex": None},
    {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ", "sdpMid": "0"},
]


async def test_nested_json_and_odd_candidates_get_clear_errors_and_the_call_goes_on(server):
    token = server.technician_token()
    session = await create_session(server.url, token, "odd input")
    link, peer = SignalingClient(server.url, token, session.session_id), SyntheticTechnician()
    try:
        await link.connect()
        await link.negotiate(peer)
        seen = 0
        for raw in ("[" * 60_000, '{"type": "ping", "x": ' + "[" * 5000 + "]" * 5000 + "}",
                    '{"type": "offer", "sdp": ' + "{" * 3000 + "}"):
            await link._ws.send(raw)
            error = await next_error(link, seen)
            seen += 1
            assert error["code"] == "malformed_json" and error["message"] and not error["fatal"], error
        for candidate in ODD_CANDIDATES:
            await link.send({"type": "ice", "sdpMid": "0", **candidate})
            error = await next_error(link, seen)
            seen += 1
            assert error["code"] and error["message"].endswith(".") and not error["fatal"], (candidate, error)
        await link.send({"type": "ping"})
        await link.wait_for("pong", 5)
    finally:
        await peer.close()
        await link.close()
    log = server.log()
    assert "Traceback" not in log and "Exception in ASGI" not in log


def test_invalid_frames_do_not_keep_an_unjoined_socket_open(server):
    started = time.monotonic()
    with connect(server.url.replace("http", "ws") + "/ws", open_timeout=10) as conn, \
            pytest.raises(ConnectionClosed):
        for _ in range(30):  # one bad frame a second, each answered, for longer than the 10 s window
            conn.send("{nope")
            assert json.loads(conn.recv(timeout=5))["type"] == "error"
            time.sleep(1.0)
    assert time.monotonic() - started < 14


def upgrade_status(server: ServerProcess, host: str, origin: str) -> int:
    """Status of a raw WebSocket upgrade to /ws with these Host and Origin headers."""
    port = int(server.url.rsplit(":", 1)[1])
    request = (f"GET /ws HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        return int(sock.recv(4096).split(b" ", 2)[1])


def test_the_origin_check_does_not_trust_the_host_header(server):
    port = server.url.rsplit(":", 1)[1]
    # DNS rebinding: a page on evil.example resolves its name to this server; Host and Origin agree.
    assert upgrade_status(server, f"evil.example:{port}", f"http://evil.example:{port}") == 403
    assert upgrade_status(server, f"127.0.0.1:{port}", f"http://evil.example:{port}") == 403
    assert upgrade_status(server, f"127.0.0.1:{port}", server.url) == 101


def test_join_tokens_never_cross_redis(tmp_path: Path):
    with running_cluster(tmp_path) as cluster:
        node_a, node_b = cluster.nodes
        seen: list[str] = []
        listener = redis.Redis.from_url(cluster.redis.url, decode_responses=True).pubsub()
        listener.psubscribe("lensdesk:*")
        stop = threading.Event()

        def listen() -> None:
            while not stop.is_set():
                item = listener.get_message(timeout=0.1)
                if item and item["type"] == "pmessage":
                    seen.append(item["data"])

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()

        async def scenario() -> str:
            token = node_a.technician_token()
            session = await create_session(node_a.url, token)
            tech = SignalingClient(node_a.url, token, session.session_id)
            customer = SignalingClient(node_b.url, session.join_token, session.session_id)
            try:
                await tech.connect()
                welcome = await customer.connect()  # node B relays the join to node A over Redis
                assert welcome["role"] == "customer"
                await tech.wait_for("participant_joined", 10)
            finally:
                await customer.close()
                await tech.close()
            return session.join_token

        join_token = asyncio.run(scenario())
        stop.set()
        thread.join(timeout=5)
        listener.close()
    joins = [json.loads(s) for s in seen if '"op": "join"' in s]
    assert joins and all(j["claims"]["role"] == "customer" and "token" not in j["join"] for j in joins), joins
    assert not any(join_token in s for s in seen)
