"""TURN done right, against a real coturn on loopback (Debian `coturn`): per-participant ephemeral credentials
from the welcome relay a call; wrong or expired credentials are refused; a peer coturn is told to deny gets
nothing. Only loopback addresses are used: coturn listens and relays on 127.0.0.1, denies 127.0.0.2-127.255.255.255."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from websockets.sync.client import connect

from media.aiortc_internals import nominated_pairs
from signaling.turn import TurnCredentials, turn_credential
from testkit.servers import ServerProcess, free_port, running_server

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("turnserver") is None, reason="Debian package coturn not installed")]

SECRET = "turn-test-secret-" + "y" * 24


@dataclass
class Coturn:
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    work = tmp_path_factory.mktemp("coturn")
    port = free_port(socket.SOCK_DGRAM)
    relay_start = random.Random(port).randrange(50000, 60000, 50)
    conf = work / "turnserver.conf"
    # The shipped docker/turnserver.conf denies all of loopback; here loopback is the only network there is,
    # so 127.0.0.1 stays reachable (allow-loopback-peers) and the rest of 127/8 is denied like a private range.
    conf.write_text("\n".join([
        "listening-ip=127.0.0.1", "relay-ip=127.0.0.1", f"listening-port={port}",
        f"min-port={relay_start}", f"max-port={relay_start + 49}", "realm=lensdesk-test", "fingerprint",
        "use-auth-secret", f"static-auth-secret={SECRET}", "no-tcp-relay", "no-multicast-peers",
        "allow-loopback-peers", "denied-peer-ip=127.0.0.2-127.255.255.255", "no-cli", "no-tls", "no-dtls",
        "log-file=stdout", "simple-log", f"pidfile={work / 'turn.pid'}", f"userdb={work / 'turndb'}", ""]))
    log = work / "turn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["turnserver", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while "Total General servers" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"coturn did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield Coturn(port, log)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, coturn: Coturn) -> Iterator[ServerProcess]:
    env = {"LENSDESK_TURN_URLS": json.dumps([coturn.url]), "LENSDESK_TURN_SECRET": SECRET,
           "LENSDESK_ICE_SERVERS": json.dumps([{"urls": "stun:127.0.0.1:3478"},
                                               {"urls": "turn:127.0.0.1:9", "username": "u", "credential": "p"}])}
    with running_server(tmp_path_factory.mktemp("turn") / "data", env=env) as srv:
        yield srv


def welcome_for(server: ServerProcess, token: str, session_id: str) -> dict:
    with connect(server.url.replace("http", "ws") + "/ws", open_timeout=5) as conn:
        conn.send(json.dumps({"v": 1, "type": "join", "token": token, "session_id": session_id}))
        welcome = json.loads(conn.recv(timeout=5))
    assert welcome["type"] == "welcome", welcome
    return welcome


def test_turn_credentials_are_not_public(server):
    config = httpx.get(server.url + "/api/public/config").json()
    assert config["iceServers"] == [{"urls": "stun:127.0.0.1:3478"}]
    assert "credential" not in json.dumps(config) and "turn:" not in json.dumps(config)


def test_each_participant_gets_its_own_expiring_credentials(server, coturn):
    session_id, join_token = server.new_session()
    tech = welcome_for(server, server.technician_token(), session_id)
    customer = welcome_for(server, join_token, session_id)
    turns = [[s for s in w["ice_servers"] if s["urls"] == [coturn.url]][0] for w in (tech, customer)]
    assert turns[0]["username"] != turns[1]["username"]
    for welcome, entry in zip((tech, customer), turns, strict=True):
        expiry, holder = entry["username"].split(":")
        assert holder == welcome["participant_id"]
        assert time.time() < int(expiry) <= time.time() + 13 * 3600
        assert entry["credential"] == turn_credential(SECRET, entry["username"])
    # the static entry the operator configured reaches participants (and only them)
    assert {"urls": ["turn:127.0.0.1:9"], "username": "u", "credential": "p"} in customer["ice_servers"]


def relay_only(entry: dict) -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(
        iceServers=[RTCIceServer(urls=entry["urls"], username=entry["username"], credential=entry["credential"])],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY))


async def test_a_call_is_relayed_with_the_welcome_credentials(server, coturn):
    session_id, join_token = server.new_session()
    creds = [[s for s in welcome_for(server, token, session_id)["ice_servers"] if s["urls"] == [coturn.url]][0]
             for token in (server.technician_token(), join_token)]
    a, b = relay_only(creds[0]), relay_only(creds[1])
    got: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    try:
        channel = a.createDataChannel("call")

        @b.on("datachannel")
        def on_channel(ch) -> None:
            @ch.on("message")
            def on_message(msg: str) -> None:
                if not got.done():
                    got.set_result(msg)

        channel.on("open", lambda: channel.send("hello through TURN"))
        await a.setLocalDescription(await a.createOffer())
        offer = a.localDescription.sdp
        assert " typ relay" in offer and " typ host" not in offer
        await b.setRemoteDescription(a.localDescription)
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)
        assert await asyncio.wait_for(got, 15) == "hello through TURN"
        assert a.sctp is not None
        pairs = nominated_pairs(a.sctp.transport.transport)  # the selected pair is relay <-> relay
        assert pairs and all(p.local_candidate.type == "relay" for p in pairs)
    finally:
        await a.close()
        await b.close()


async def allocate(coturn: Coturn, username: str, password: str) -> tuple[TurnClientUdpProtocol, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: TurnClientUdpProtocol(("127.0.0.1", coturn.port), username=username, password=password,
                                      lifetime=60, channel_refresh_time=60),
        remote_addr=("127.0.0.1", coturn.port))
    try:
        await protocol.connect()
    except BaseException:
        transport.close()
        raise
    return protocol, transport


@pytest.mark.parametrize("case", ["expired", "wrong_secret", "tampered_holder"])
async def test_wrong_or_expired_credentials_are_refused(coturn, case):
    turn = TurnCredentials((coturn.url,), SECRET)
    entry = turn.issue("c-intruder", time.time() + 600)[0]
    username, password = entry.username or "", entry.credential or ""
    if case == "expired":
        username = f"{int(time.time()) - 5}:c-intruder"
        password = turn_credential(SECRET, username)
    elif case == "wrong_secret":
        password = turn_credential("not-the-secret", username)
    else:
        username = username.replace("c-intruder", "c-victim")
    with pytest.raises(stun.TransactionFailed) as refused:
        await allocate(coturn, username, password)
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401
    ok, transport = await allocate(coturn, entry.username or "", entry.credential or "")  # the genuine one works
    await ok.delete()
    transport.close()


async def test_a_denied_peer_is_refused_and_receives_nothing(coturn):
    loop = asyncio.get_running_loop()
    denied = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    allowed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    denied.bind(("127.0.0.2", 0))
    allowed.bind(("127.0.0.1", 0))
    denied.setblocking(False)
    allowed.setblocking(False)
    entry = TurnCredentials((coturn.url,), SECRET).issue("c-prober", time.time() + 600)[0]
    client, transport = await allocate(coturn, entry.username or "", entry.credential or "")
    try:
        with pytest.raises(stun.TransactionFailed) as refused:
            await client.channel_bind(0x4000, denied.getsockname())
        assert refused.value.response.attributes["ERROR-CODE"][0] == 403
        # A Send indication without a permission is dropped as well.
        send = stun.Message(message_method=stun.Method.SEND, message_class=stun.Class.INDICATION)
        send.attributes["XOR-PEER-ADDRESS"] = denied.getsockname()
        send.attributes["DATA"] = b"probe"
        client.send_stun(send, ("127.0.0.1", coturn.port))
        # The allowed listener does get relayed data: the relay works, only the denied peer is cut off.
        await client.send_data(b"hello", allowed.getsockname())
        assert await asyncio.wait_for(loop.sock_recv(allowed, 2048), 5) == b"hello"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(loop.sock_recv(denied, 2048), 2)
    finally:
        await client.delete()
        transport.close()
        denied.close()
        allowed.close()
