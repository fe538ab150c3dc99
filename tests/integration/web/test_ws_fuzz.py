"""Issue 15 fuzzing, the real WebSocket endpoint's share: generated and mutated messages over a real
`lensdesk serve` socket after a valid join, in batches under the abuse limit, each batch closed by a ping. Pass:
every reply is a clear error or a normal message, the pong arrives (the participant goes on), no traceback in
the log. Offers are left out here (no peer, so no candidate is ever contacted; SDP is fuzzed in
tests/unit/media/test_fuzz_sdp.py)."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import connect

from lensdesk.cli import WS_MAX_FRAME_BYTES
from testkit.servers import running_server
from testkit.session_client import create_session
from tests import fuzzing

pytestmark = pytest.mark.slow
BATCH = 12  # under web/ws.py MAX_VIOLATIONS


def wire_frame(raw: str | bytes) -> str | bytes:
    """A text frame when the text is valid UTF-8, else the bytes as a binary frame (refused: unsupported_frame)."""
    if isinstance(raw, bytes):
        return raw
    try:
        raw.encode()
    except UnicodeEncodeError:
        return raw.encode("utf-8", "surrogatepass")
    return raw


def wire_size(raw: str | bytes) -> int:
    """Bytes of the frame's payload as sent."""
    frame = wire_frame(raw)
    return len(frame.encode()) if isinstance(frame, str) else len(frame)


def test_mutated_messages_over_the_real_socket(tmp_path: Path):
    rng = random.Random(fuzzing.SEED)
    with running_server(tmp_path / "data") as server:
        token = server.technician_token()
        session = asyncio.run(create_session(server.url, token, "ws fuzz"))
        raws = [r for r in fuzzing.messages(rng, fuzzing.count(1_200, 20_000), token, session.session_id)
                if b"offer" not in (r.encode("utf-8", "surrogatepass") if isinstance(r, str) else r)
                and "bye" not in str(r)]
        # A frame over uvicorn's limit closes its socket with 1009 (message too big): a clear close, and the
        # participant goes on by reconnecting; the long run's mutations make a few of these.
        oversize = [r for r in raws if wire_size(r) > WS_MAX_FRAME_BYTES]
        raws = [r for r in raws if wire_size(r) <= WS_MAX_FRAME_BYTES]
        for raw in oversize:
            with connect(server.url.replace("http", "ws", 1) + "/ws", max_size=1 << 20) as ws:
                ws.send(json.dumps({"type": "join", "token": token, "session_id": session.session_id}))
                assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
                ws.send(wire_frame(raw))
                with pytest.raises(ConnectionClosedError) as closed:
                    ws.recv(timeout=10)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009, closed.value
        errors = 0
        for start in range(0, len(raws), BATCH):
            with connect(server.url.replace("http", "ws", 1) + "/ws", max_size=1 << 20) as ws:
                ws.send(json.dumps({"type": "join", "token": token, "session_id": session.session_id}))
                assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
                for raw in raws[start:start + BATCH]:
                    ws.send(wire_frame(raw))
                ws.send(json.dumps({"type": "ping"}))
                while True:
                    reply = json.loads(ws.recv(timeout=10))
                    if reply["type"] == "pong":
                        break
                    if reply["type"] == "error":
                        errors += 1
                        assert reply["code"] and reply["message"].endswith("."), reply
                        assert not reply["fatal"], reply
        assert errors > len(raws) // 3, errors
        log = server.log()
    assert "Traceback" not in log and "Exception in ASGI" not in log and "failed:" not in log, log[-2000:]
