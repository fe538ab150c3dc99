"""Issue 15 item 6: a join racing the last participant's leave lands in a working call (or gets a clear,
retryable error), never in a call that is being torn down. Real server process, real WebSockets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from websockets.sync.client import ClientConnection

from testkit.servers import ServerProcess, running_server
from testkit.session_client import recv_json
from tests.integration.web.test_ws_endpoint import _offer_naming

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("race") / "data") as srv:
        yield srv


def reply_to(conn: ClientConnection, wanted: str) -> dict:
    """The next message with this type, past the leaver's presence messages (it may leave after the welcome)."""
    while True:
        message = recv_json(conn)
        if message["type"] not in ("participant_joined", "participant_left"):
            assert message["type"] == wanted, message
            return message


def join_msg(token: str, session_id: str) -> str:
    return json.dumps({"v": 1, "type": "join", "token": token, "session_id": session_id})


@pytest.mark.parametrize("attempt", range(5))
def test_join_racing_the_last_leave_gets_a_working_call(server, attempt):
    session_id, customer_token = server.new_session()
    leaver = server.ws()
    leaver.send(join_msg(server.technician_token(), session_id))
    assert recv_json(leaver)["type"] == "welcome"
    # Give the call something to tear down (a peer), as in a real call.
    leaver.send(json.dumps({"type": "offer", "sdp": _offer_naming("127.0.0.1", 9)}))
    assert recv_json(leaver)["type"] == "answer"
    joiner = server.ws()
    go = threading.Barrier(2)

    def leave() -> None:  # the connection drops (a closed tab): the server sees the socket go
        go.wait()
        leaver.close()

    t = threading.Thread(target=leave)
    t.start()
    go.wait()
    joiner.send(join_msg(customer_token, session_id))
    t.join()
    with joiner:
        reply = recv_json(joiner)
        if reply["type"] == "error":  # allowed: a clear error the page retries on
            assert reply["code"] == "call_restarting" and "try again" in reply["message"], reply
            return
        assert reply["type"] == "welcome", reply
        assert recv_json(joiner)["type"] == "rejoin_token"
        # The call is alive: the room answers, and media negotiates.
        joiner.send(json.dumps({"type": "video_stop"}))
        assert reply_to(joiner, "error")["code"] == "video_off"
        joiner.send(json.dumps({"type": "offer", "sdp": _offer_naming("127.0.0.1", 9)}))
        reply_to(joiner, "answer")
        joiner.send(json.dumps({"type": "video_stop"}))
        assert reply_to(joiner, "error")["code"] == "video_off"
