"""The signaling WebSocket against a real server process: bad input gets an error, the connection and room survive."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.connection import Connection

from testkit.servers import ServerProcess, running_server
from testkit.session_client import next_of_type, recv_json


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("ws") / "data",
                        env={"LENSDESK_WS_RATE_PER_S": "5", "LENSDESK_WS_RATE_BURST": "15",
                             "LENSDESK_WS_MAX_MESSAGE_BYTES": "4096"}) as srv:
        yield srv


def join(conn: Connection, token: str, session_id: str) -> dict:
    """Join; returns the reply (welcome or error), having consumed a customer's rejoin token."""
    conn.send(json.dumps({"v": 1, "type": "join", "token": token, "session_id": session_id}))
    reply = recv_json(conn)
    if reply.get("type") == "welcome" and reply["role"] == "customer":
        assert recv_json(conn)["type"] == "rejoin_token"
    return reply


def test_malformed_messages_get_errors_and_the_connection_survives(server):
    session_id, token = server.new_session()
    with server.ws() as conn:
        assert join(conn, token, session_id)["type"] == "welcome"
        for raw, code in [("{oops", "malformed_json"), ("[]", "malformed_message"),
                          (json.dumps({"type": "teleport"}), "unknown_type"),
                          (json.dumps({"type": "offer"}), "invalid_message"),
                          (json.dumps({"type": "offer", "sdp": "garbage"}), "negotiation_failed"),
                          (json.dumps({"type": "video_request"}), "not_allowed"),
                          (json.dumps({"type": "join", "token": token, "session_id": session_id}), "already_joined"),
                          ("x" * 5000, "message_too_large")]:
            conn.send(raw)
            reply = recv_json(conn)
            assert reply["type"] == "error" and reply["code"] == code, (raw[:30], reply)
            assert reply["message"] and not reply["fatal"]
        conn.send(b"\x00\x01binary")
        assert recv_json(conn)["code"] == "unsupported_frame"
        conn.send(json.dumps({"type": "ping"}))
        assert recv_json(conn)["type"] == "pong"


def test_room_survives_a_misbehaving_participant(server):
    session_id, token = server.new_session()
    with server.ws() as tech, server.ws() as customer:
        assert join(tech, server.technician_token(), session_id)["type"] == "welcome"
        assert join(customer, token, session_id)["type"] == "welcome"
        assert recv_json(tech)["type"] == "participant_joined"
        customer.send("{{{{")
        assert recv_json(customer)["code"] == "malformed_json"
        tech.send(json.dumps({"type": "video_request"}))
        assert recv_json(customer)["type"] == "video_requested"


def test_messages_before_join_and_bad_tokens(server):
    session_id, token = server.new_session()
    with server.ws() as conn:
        conn.send(json.dumps({"type": "ping"}))
        assert recv_json(conn)["code"] == "not_joined"
    for bad, code in [("nonsense", "token_invalid"), (token + "x", "token_invalid")]:
        with server.ws() as conn:
            reply = join(conn, bad, session_id)
            assert reply["code"] == code and reply["fatal"]
            with pytest.raises(ConnectionClosed):
                conn.recv(timeout=5)
    with server.ws() as conn:
        reply = join(conn, server.technician_token(), "no-such-session")
        assert reply["code"] == "session_not_found" and reply["fatal"]


def test_second_customer_with_the_same_link_is_refused(server):
    session_id, token = server.new_session()
    with server.ws() as first, server.ws() as second:
        assert join(first, token, session_id)["type"] == "welcome"
        reply = join(second, token, session_id)
        assert reply["code"] == "customer_present" and reply["fatal"]


def test_rate_limit(server):
    session_id, token = server.new_session()
    with server.ws() as conn:
        assert join(conn, token, session_id)["type"] == "welcome"
        for _ in range(25):
            conn.send(json.dumps({"type": "ping"}))
        replies = [recv_json(conn) for _ in range(25)]
        assert any(r.get("code") == "rate_limited" for r in replies)
        assert any(r["type"] == "pong" for r in replies)


def test_cross_site_origin_is_refused_at_upgrade(server):
    with pytest.raises((InvalidStatus, ConnectionClosed)), server.ws("/ws", origin="https://evil.example") as conn:
        conn.recv(timeout=5)
    with server.ws("/ws", origin=server.url) as conn:
        conn.send(json.dumps({"type": "ping"}))
        assert recv_json(conn)["code"] == "not_joined"


def test_pages_and_health_are_served(server):
    for path in ("/console", "/join", "/static/call.js", "/healthz"):
        assert httpx.get(server.url + path).status_code == 200, path
    assert httpx.get(server.url + "/api/public/config").json() == {"recording": True, "iceServers": [],
                                                                     "maxSendHeight": 0}
    auth = {"Authorization": f"Bearer {server.technician_token()}"}
    qr = httpx.post(server.url + "/api/qr.svg", json={"text": "http://x/join#token=t"}, headers=auth)
    assert qr.status_code == 200 and qr.text.lstrip().startswith("<?xml")


def test_abusive_flood_is_disconnected(server):
    session_id, token = server.new_session()
    with server.ws() as conn:
        assert join(conn, token, session_id)["type"] == "welcome"
        with pytest.raises(ConnectionClosed):
            for _ in range(200):
                conn.send(json.dumps({"type": "ping"}))
            for _ in range(200):
                recv_json(conn)


def test_customer_gets_a_longer_lived_rejoin_token_for_the_same_session(server):
    session_id, token = server.new_session()
    with server.ws() as conn:
        conn.send(json.dumps({"v": 1, "type": "join", "token": token, "session_id": session_id}))
        assert recv_json(conn)["type"] == "welcome"
        rejoin = recv_json(conn)
        assert rejoin["type"] == "rejoin_token"
    claims = server.tokens.verify(rejoin["token"])
    original = server.tokens.verify(token)
    assert claims.session_id == session_id and claims.subject == original.subject
    assert claims.expires_at > original.expires_at
    other_session, _ = server.new_session()
    with server.ws() as conn:  # still bound to its one session
        assert join(conn, rejoin["token"], other_session)["code"] == "token_wrong_session"
    with server.ws() as conn:
        assert join(conn, rejoin["token"], session_id)["type"] == "welcome"


def test_sharing_findings_is_for_technicians_and_this_ticket_only(server):
    session_id, token = server.new_session()
    with server.ws() as tech, server.ws() as customer:
        assert join(tech, server.technician_token(), session_id)["type"] == "welcome"
        assert join(customer, token, session_id)["type"] == "welcome"
        assert recv_json(tech)["type"] == "participant_joined"
        customer.send(json.dumps({"type": "share_finding", "finding_id": "x"}))
        assert recv_json(customer)["code"] == "not_allowed"
        tech.send(json.dumps({"type": "share_finding", "finding_id": "no-such-finding"}))
        assert recv_json(tech)["code"] == "finding_not_found"


def _offer_naming(address: str, port: int) -> str:
    """A real aiortc offer whose only ICE candidate is the given address."""
    import asyncio

    from aiortc import RTCConfiguration, RTCPeerConnection

    async def make() -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver("audio")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    lines = [x for x in asyncio.run(make()).split("\r\n") if not x.startswith("a=candidate")]
    at = next(i for i, x in enumerate(lines) if x.startswith("a=ice-ufrag"))
    lines.insert(at, f"a=candidate:1 1 udp 2122260223 {address} {port} typ host")
    return "\r\n".join(lines)


def test_internal_ice_candidates_are_refused_with_a_clear_error(server):
    """Issue 15 item 4: loopback/private/metadata candidates never reach the server's ICE agent."""
    session_id, token = server.new_session()
    with server.ws() as conn:
        assert join(conn, token, session_id)["type"] == "welcome"
        for candidate, code in [("candidate:1 1 udp 2122260223 169.254.169.254 80 typ host", "candidate_refused"),
                                ("candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host", "candidate_refused"),
                                ("candidate:1 1 udp 2122260223 127.0.0.2 5000 typ host", "candidate_refused"),
                                ("candidate:1 1 udp 2122260223 x.local 5000 typ host", "candidate_refused"),
                                ("candidate:1 1 udp 1", "invalid_candidate")]:
            conn.send(json.dumps({"type": "ice", "candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0}))
            reply = recv_json(conn)
            assert reply["type"] == "error" and reply["code"] == code and not reply["fatal"], reply
        conn.send(json.dumps({"type": "offer", "sdp": _offer_naming("127.0.0.2", 5000)}))
        answer = recv_json(conn)
        assert answer["type"] == "answer"  # the call goes on without the refused candidate (logged, not shown:
        conn.send(json.dumps({"type": "ping"}))  # browsers list private host candidates as a matter of course)
        assert recv_json(conn)["type"] == "pong"
    assert "ignored 1 ICE candidate(s)" in server.log()


def test_chat_both_ways_with_receipts_history_and_the_transcript(server):
    session_id, token = server.new_session()
    auth = {"Authorization": f"Bearer {server.technician_token()}"}
    with server.ws() as tech, server.ws() as customer:
        assert join(tech, server.technician_token(), session_id)["type"] == "welcome"
        assert join(customer, token, session_id)["type"] == "welcome"
        customer.send(json.dumps({"type": "chat_send", "text": "Serial <b>SN-4411</b>", "client_id": "c1"}))
        echo = next_of_type(customer, "chat")
        assert echo["client_id"] == "c1" and echo["message"]["state"] == "sent"
        got = next_of_type(tech, "chat")["message"]
        assert (got["message_id"], got["role"], got["text"]) == (1, "customer", "Serial <b>SN-4411</b>")
        tech.send(json.dumps({"type": "chat_receipt", "message_ids": [1], "state": "read"}))
        assert next_of_type(customer, "chat_status") == {"v": 1, "type": "chat_status", "message_ids": [1],
                                                      "state": "read"}
        tech.send(json.dumps({"type": "chat_send", "text": "Thanks, see https://example.org/manual", "client_id": "t"}))
        assert next_of_type(customer, "chat")["message"]["message_id"] == 2
        customer.send(json.dumps({"type": "chat_send", "text": "", "client_id": "c2"}))
        assert next_of_type(customer, "error")["code"] == "invalid_message"  # refused by the wire model
        customer.send(json.dumps({"type": "chat_send", "text": " \u200b ", "client_id": "c2"}))
        assert next_of_type(customer, "error")["code"] == "empty_message"
    # everyone left: the next join builds a fresh call, seeded from the record
    with server.ws() as tech:
        assert join(tech, server.technician_token(), session_id)["type"] == "welcome"
        history = next_of_type(tech, "chat_history")["messages"]
        assert [(h["message_id"], h["role"], h["state"]) for h in history] == [(1, "customer", "read"),
                                                                               (2, "technician", "sent")]
    events = httpx.get(f"{server.url}/api/sessions/{session_id}/events", headers=auth).json()
    assert [(e["kind"], e["actor_role"]) for e in events] == [("chat", "customer"), ("chat_status", "technician"),
                                                              ("chat", "technician")]
    ticket_id = httpx.get(f"{server.url}/api/sessions/{session_id}", headers=auth).json()["ticket_id"]
    transcript = httpx.get(f"{server.url}/api/tickets/{ticket_id}/transcript", headers=auth).json()
    assert [(msg["role"], msg["text"], msg["state"]) for msg in transcript[0]["messages"]] == [
        ("customer", "Serial <b>SN-4411</b>", "read"), ("technician", "Thanks, see https://example.org/manual", "sent")]
    assert httpx.post(f"{server.url}/api/sessions/{session_id}/end", headers=auth).status_code == 200
    queued = [e for status in ("pending", "delivered")
              for e in httpx.get(f"{server.url}/api/outbox?status={status}&limit=500", headers=auth).json()["items"]]
    sent = [e for e in queued if e["type"] == "session.transcript" and e["payload"]["session_id"] == session_id]
    assert [m["text"] for m in sent[0]["payload"]["messages"]] == ["Serial <b>SN-4411</b>",
                                                                   "Thanks, see https://example.org/manual"]
