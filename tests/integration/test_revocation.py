"""Revocable credentials against real server processes: a leaked link's intruder is removed and the real
customer gets back in; revocations reach every node (real redis-server) within a second, from the API and
from `lensdesk token revoke`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.connection import Connection

from testkit.servers import running_redis, running_server
from testkit.session_client import next_of_type, recv_json

# serial: frame-rate and within-a-second assertions, run after the parallel phase with the machine to themselves
pytestmark = [pytest.mark.slow, pytest.mark.serial]


def join(conn: Connection, token: str, session_id: str) -> dict:
    conn.send(json.dumps({"v": 1, "type": "join", "token": token, "session_id": session_id}))
    return recv_json(conn)


def test_an_intruder_with_a_leaked_link_is_removed_and_the_customer_gets_back_in(tmp_path: Path):
    with running_server(tmp_path / "data") as server:
        tech_token = server.technician_token()
        auth = {"Authorization": f"Bearer {tech_token}"}
        session_id, leaked = server.new_session("test", tech_token)
        with server.ws() as tech:
            assert join(tech, tech_token, session_id)["type"] == "welcome"
            with server.ws() as customer:  # the real customer, who then drops
                assert join(customer, leaked, session_id)["type"] == "welcome"
                customer_rejoin = next_of_type(customer, "rejoin_token")["token"]
            next_of_type(tech, "participant_left")
            intruder = server.ws()
            assert join(intruder, leaked, session_id)["type"] == "welcome"
            intruder_rejoin = next_of_type(intruder, "rejoin_token")["token"]
            intruder_id = next_of_type(tech, "participant_joined")["participant"]["id"]
            # The technician sees who is there and removes the intruder.
            state = httpx.get(f"{server.url}/api/sessions/{session_id}", headers=auth).json()
            assert intruder_id in [p["participant_id"] for p in state["participants"]]
            started = time.monotonic()
            removed = httpx.delete(f"{server.url}/api/sessions/{session_id}/participants/{intruder_id}", headers=auth)
            assert removed.status_code == 204, removed.text
            told = recv_json(intruder, timeout=2)
            assert told["type"] == "error" and told["code"] == "removed" and told["fatal"]
            with pytest.raises(ConnectionClosed):
                recv_json(intruder, timeout=2)
            assert time.monotonic() - started < 1.0
            assert next_of_type(tech, "participant_left")["participant_id"] == intruder_id
            # Neither the leaked link nor the rejoin tokens it gave out work any more.
            for dead in (leaked, intruder_rejoin, customer_rejoin):
                with server.ws() as again:
                    reply = join(again, dead, session_id)
                    assert reply["code"] == "token_revoked" and reply["fatal"], reply
            # A new link brings the real customer back.
            fresh = httpx.post(f"{server.url}/api/sessions/{session_id}/join-link", json={}, headers=auth).json()
            with server.ws() as customer:
                assert join(customer, fresh["join_token"], session_id)["type"] == "welcome"
                assert next_of_type(tech, "participant_joined")["participant"]["role"] == "customer"
                # and a newer link replaces that one: the holder of the older link is told and closed
                newer = httpx.post(f"{server.url}/api/sessions/{session_id}/join-link", json={}, headers=auth)
                assert newer.status_code == 200
                told = next_of_type(customer, "error")
                assert told["code"] == "link_replaced" and told["fatal"]
        audit = httpx.get(f"{server.url}/api/tickets/{state['ticket_id']}/audit", headers=auth).json()
        assert [a["action"] for a in audit].count("revoked") == 3  # removal, then two replaced links


def until_refused(url: str, token: str, within: float) -> float:
    """Seconds until the node answers 401 for the token (fails after `within`)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if httpx.get(f"{url}/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"still accepted after {within} s")


def test_revocations_reach_every_node_within_a_second(tmp_path: Path):
    with running_redis(tmp_path / "redis") as redis_url:
        env = {"LENSDESK_REDIS_URL": redis_url, "LENSDESK_RECORDING_ENABLED": "false"}
        with running_server(tmp_path / "data", env=env) as node_a, \
                running_server(tmp_path / "data", env=env, secret=node_a.secret) as node_b:
            admin = node_a.technician_token("Admin")
            session_id, _ = node_a.new_session("test", admin)
            leaked = node_a.tokens.issue_technician("tech-leaked", "Leaked")
            assert httpx.get(f"{node_b.url}/api/me", headers={"Authorization": f"Bearer {leaked}"}).status_code == 200
            with node_b.ws() as conn:  # the leaked token is in a call through the other node
                assert join(conn, leaked, session_id)["type"] == "welcome"
                started = time.monotonic()
                response = httpx.post(f"{node_a.url}/api/tokens/revoke", json={"token": leaked},
                                      headers={"Authorization": f"Bearer {admin}"})
                assert response.status_code == 200, response.text
                told = recv_json(conn, timeout=2)
                assert told["code"] == "token_revoked" and told["fatal"]
                assert time.monotonic() - started < 1.0
            assert until_refused(node_b.url, leaked, within=1.0) < 1.0
            # From the command line, as an operator would: stored and published, every node refuses it.
            cli_leaked = node_a.tokens.issue_technician("tech-cli", "Cli")
            env_cli = {**os.environ, "LENSDESK_DATA_DIR": str(node_a.data_dir), "LENSDESK_SECRET_KEY": node_a.secret,
                       "LENSDESK_REDIS_URL": redis_url}
            result = subprocess.run([sys.executable, "-m", "lensdesk.cli", "token", "revoke", cli_leaked],
                                    env=env_cli, capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr
            assert cli_leaked not in result.stdout + result.stderr  # never echo a token
            for node in (node_a, node_b):
                assert until_refused(node.url, cli_leaked, within=1.0) < 1.0
            assert httpx.get(f"{node_b.url}/api/me", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
