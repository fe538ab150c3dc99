"""Two lensdesk nodes sharing a real redis-server: a room runs on one node, the other relays its signaling."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from testkit.peers import EncodedClip, SyntheticCustomer, SyntheticTechnician, encode_clip
from testkit.polling import eventually
from testkit.servers import Cluster, running_cluster, running_server, start_server
from testkit.session_client import SignalingClient, create_session

pytestmark = pytest.mark.slow


def calls_on(url: str, token: str) -> float:
    for line in httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {token}"}).text.splitlines():
        if line.startswith("lensdesk_calls "):
            return float(line.split()[1])
    raise AssertionError("no lensdesk_calls metric")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two recording nodes and Redis shared by the tests that kill nothing (each uses its own sessions)."""
    with running_cluster(tmp_path_factory.mktemp("cluster"), env={"LENSDESK_RECORDING_ENABLED": "true"}) as c:
        yield c


def grey_clip() -> EncodedClip:
    frames = [np.full((240, 320, 3), 40 + i, np.uint8) for i in range(30)]
    return encode_clip(frames, bitrate=300_000, keyframe_interval=30)



def test_customer_on_another_node_joins_the_call_through_redis(cluster: Cluster):
    clip = grey_clip()
    node_a, node_b = cluster.nodes

    async def scenario() -> None:
        token = node_a.technician_token()
        session = await create_session(node_a.url, token)
        technician, customer = SyntheticTechnician(), SyntheticCustomer(clip)
        tech_link = SignalingClient(node_a.url, token, session.session_id)
        cust_link = SignalingClient(node_b.url, session.join_token, session.session_id)
        try:
            await tech_link.connect()
            await tech_link.negotiate(technician)
            # the customer reaches node B; node A owns the room
            welcome = await cust_link.connect()
            assert welcome["role"] == "customer"
            assert [p["role"] for p in welcome["participants"]] == ["technician"]
            await cust_link.negotiate(customer)  # offer relayed to A, A's answer relayed back
            await tech_link.wait_for("participant_joined")
            await eventually(lambda: len(technician.video_frames) > 30 and technician.audio_frames > 20)
            assert calls_on(node_a.url, token) == 1 and calls_on(node_b.url, token) == 0
            # room messages cross nodes both ways
            await tech_link.send({"type": "video_request"})
            assert (await cust_link.wait_for("video_requested"))["by_name"]
            await cust_link.send({"type": "video_decline"})
            state = await tech_link.wait_for("video_state")
            assert state["state"] in ("requested", "off")
            # chat crosses nodes both ways, with its delivery state, and is recorded on the owner
            await cust_link.send({"type": "chat_send", "text": "Serial SN-4411", "client_id": "c1"})
            assert (await cust_link.wait_for("chat"))["client_id"] == "c1"
            said = (await tech_link.wait_for("chat"))["message"]
            assert (said["role"], said["text"]) == ("customer", "Serial SN-4411")
            await tech_link.send({"type": "chat_receipt", "message_ids": [said["message_id"]], "state": "read"})
            assert (await cust_link.wait_for("chat_status"))["state"] == "read"
            auth = {"Authorization": f"Bearer {token}"}
            events = (await asyncio.to_thread(httpx.get, f"{node_b.url}/api/sessions/{session.session_id}/events?kind=chat",
                                              headers=auth)).json()
            assert [e["payload"]["text"] for e in events] == ["Serial SN-4411"]
            # a malformed message on the relay node gets an error and the call goes on
            await cust_link.send({"type": "mute"})
            assert (await cust_link.wait_for("error"))["code"] == "invalid_message"
            await cust_link.close()
            await tech_link.wait_for("participant_left")
        finally:
            for closer in (customer.close, technician.close, tech_link.close, cust_link.close):
                await closer()

    asyncio.run(scenario())


def test_node_refuses_to_start_without_its_redis(tmp_path: Path):
    env = {"LENSDESK_REDIS_URL": "redis://127.0.0.1:1/0"}
    with pytest.raises(RuntimeError, match="Cannot reach Redis"), running_server(tmp_path / "data", env=env):
        pass


def count(link: SignalingClient, kind: str) -> int:
    return sum(1 for msg in link.messages if msg.get("type") == kind)


def test_relayed_call_survives_a_redis_crash_and_an_empty_restart(tmp_path: Path):
    with running_cluster(tmp_path) as cluster:
        redis, (node_a, node_b) = cluster.redis, cluster.nodes

        async def scenario() -> None:
            token = node_a.technician_token()
            session = await create_session(node_a.url, token)
            other = await create_session(node_a.url, token)
            tech = SignalingClient(node_a.url, token, session.session_id)
            cust = SignalingClient(node_b.url, session.join_token, session.session_id)
            late = SignalingClient(node_b.url, token, other.session_id)
            tech2 = SignalingClient(node_b.url, node_b.technician_token(), session.session_id)
            try:
                await tech.connect()
                await cust.connect()  # relayed through B to A
                await tech.wait_for("participant_joined")

                redis.stop(signal.SIGKILL)
                await eventually(lambda: httpx.get(node_b.url + "/readyz").status_code == 503, within_s=5)
                health = (await asyncio.to_thread(httpx.get, node_b.url + "/healthz")).json()
                assert health["redis"] == "down" and health["status"] == "degraded"
                # the relayed customer who signals gets a retryable error and stays connected
                await cust.send({"type": "video_decline"})
                error = await cust.wait_for("error", timeout_s=5)
                assert error["code"] == "relay_unavailable" and not error["fatal"]
                # a new join that needs Redis is refused with a code and a sentence, within a second
                started = asyncio.get_running_loop().time()
                with pytest.raises(RuntimeError, match="cluster_unavailable"):
                    await late.connect()
                assert asyncio.get_running_loop().time() - started < 1.0
                # the owner's messages to the relayed customer are held, not dropped
                await tech.send({"type": "video_request"})
                await tech.wait_for("video_state", timeout_s=5)

                redis.start()  # back, and empty
                # ... and delivered once both nodes are subscribed again
                assert (await cust.wait_for("video_requested", timeout_s=10))["by_name"]
                await eventually(lambda: httpx.get(node_b.url + "/readyz").status_code == 200, within_s=10)
                await eventually(lambda: httpx.get(node_a.url + "/readyz").status_code == 200, within_s=10)
                # relayed signaling works again both ways
                declines = count(tech, "video_state")
                await cust.send({"type": "video_decline"})
                await eventually(lambda: count(tech, "video_state") > declines, within_s=5)
                # A re-claimed its room in the empty Redis: a second technician through B joins the same call
                welcome = await tech2.connect()
                assert sorted(p["role"] for p in welcome["participants"]) == ["customer", "technician"]
                assert calls_on(node_a.url, token) == 1 and calls_on(node_b.url, token) == 0
            finally:
                for link in (tech, cust, late, tech2):
                    await link.close()

        asyncio.run(scenario())
        for node in (node_a, node_b):  # failed joins and messages were answered, not crashed on
            assert "Traceback" not in node.log()


def test_a_node_restart_leaves_another_nodes_live_recording_alone(tmp_path: Path):
    clip = grey_clip()
    with running_server(tmp_path / "data") as node_a:
        node_b = start_server(tmp_path / "data", secret=node_a.secret)  # same database and data dir
        try:

            async def scenario() -> None:
                token = node_a.technician_token()
                session = await create_session(node_a.url, token)
                technician, customer = SyntheticTechnician(), SyntheticCustomer(clip)
                tech_link = SignalingClient(node_a.url, token, session.session_id)
                cust_link = SignalingClient(node_a.url, session.join_token, session.session_id)
                auth = {"Authorization": f"Bearer {token}"}
                listing = f"{node_a.url}/api/tickets/{session.ticket_id}/recordings"
                try:
                    await tech_link.connect()
                    await tech_link.negotiate(technician)
                    await cust_link.connect()
                    await cust_link.negotiate(customer)
                    await eventually(lambda: len(technician.video_frames) > 30)
                    rows = (await asyncio.to_thread(httpx.get, listing, headers=auth)).json()
                    assert [r["status"] for r in rows] == ["recording"]
                    # node B restarts (a rolling deploy) while A records
                    node_b.kill(signal.SIGKILL)
                    restarted = start_server(tmp_path / "data", port=int(node_b.url.rsplit(":", 1)[1]),
                                             secret=node_a.secret)
                    restarted.kill(signal.SIGTERM)
                    rows = (await asyncio.to_thread(httpx.get, listing, headers=auth)).json()
                    assert [r["status"] for r in rows] == ["recording"]
                finally:
                    for closer in (customer.close, technician.close, cust_link.close, tech_link.close):
                        await closer()
                deadline = asyncio.get_running_loop().time() + 30
                while (rows := (await asyncio.to_thread(httpx.get, listing, headers=auth)).json())[0]["status"] \
                        == "recording":
                    assert asyncio.get_running_loop().time() < deadline, rows
                    await asyncio.sleep(0.2)
                assert rows[0]["status"] == "finalised" and rows[0]["size_bytes"] > 0

            asyncio.run(scenario())
        finally:
            if node_b.proc.poll() is None:
                node_b.kill(signal.SIGTERM)


def test_sigterm_on_an_owner_exits_in_time_and_moves_its_relayed_participant(tmp_path: Path):
    with running_cluster(tmp_path) as cluster:
        node_a, node_b = cluster.nodes

        async def scenario() -> None:
            token = node_a.technician_token()
            session = await create_session(node_a.url, token)
            tech = SignalingClient(node_a.url, token, session.session_id)
            cust = SignalingClient(node_b.url, session.join_token, session.session_id)
            again = SignalingClient(node_b.url, session.join_token, session.session_id)
            try:
                await tech.connect()
                await cust.connect()  # relayed through B to the owner A
                await tech.wait_for("participant_joined")
                started = asyncio.get_running_loop().time()
                node_a.proc.send_signal(signal.SIGTERM)
                told = await cust.wait_for("reconnect", timeout_s=10)
                assert told["reason"] == "server_draining" and told["retry_after_ms"] > 0
                assert count(cust, "ended") == 0  # not "the technician ended the session"
                await asyncio.to_thread(node_a.proc.wait, 20)
                assert asyncio.get_running_loop().time() - started < 20
                # the customer's rejoin lands on the surviving node, which now runs the session
                welcome = await again.connect()
                assert welcome["role"] == "customer"
                assert calls_on(node_b.url, token) == 1
            finally:
                for link in (tech, cust, again):
                    await link.close()

        asyncio.run(scenario())


def test_a_killed_owners_room_is_rehomed_and_its_relayed_customer_moved(tmp_path: Path):
    with running_cluster(tmp_path) as cluster:
        node_a, node_b = cluster.nodes

        async def scenario() -> None:
            token = node_a.technician_token()
            session = await create_session(node_a.url, token)
            tech = SignalingClient(node_a.url, token, session.session_id)
            cust = SignalingClient(node_b.url, session.join_token, session.session_id)
            cust2 = SignalingClient(node_b.url, session.join_token, session.session_id)
            tech2 = SignalingClient(node_b.url, token, session.session_id)
            try:
                await tech.connect()
                await cust.connect()  # relayed through B to the owner A
                await tech.wait_for("participant_joined")
                killed = asyncio.get_running_loop().time()
                node_a.kill(signal.SIGKILL)
                told = await cust.wait_for("reconnect", timeout_s=10)
                assert told["reason"] == "server_lost"
                welcome = await cust2.connect()  # B takes the room over: no 10 s hangs, no second room
                assert welcome["role"] == "customer"
                assert asyncio.get_running_loop().time() - killed < 15
                welcome = await tech2.connect()
                assert [p["role"] for p in welcome["participants"]] == ["customer"]
                await tech2.send({"type": "video_request"})
                assert (await cust2.wait_for("video_requested", timeout_s=5))["by_name"]
                assert calls_on(node_b.url, token) == 1
            finally:
                for link in (tech, cust, cust2, tech2):
                    await link.close()

        asyncio.run(scenario())


def test_a_killed_relay_nodes_customer_is_no_ghost(tmp_path: Path):
    with running_cluster(tmp_path) as cluster:
        node_a, node_b = cluster.nodes

        async def scenario() -> None:
            token = node_a.technician_token()
            session = await create_session(node_a.url, token)
            tech = SignalingClient(node_a.url, token, session.session_id)
            cust = SignalingClient(node_b.url, session.join_token, session.session_id)
            cust2 = SignalingClient(node_a.url, session.join_token, session.session_id)
            try:
                await tech.connect()
                await cust.connect()  # relayed through B to the owner A
                await tech.wait_for("participant_joined")
                node_b.kill(signal.SIGKILL)
                await tech.wait_for("participant_left", timeout_s=10)  # the ghost is removed
                welcome = await cust2.connect()  # no customer_present lock-out
                assert welcome["role"] == "customer"
            finally:
                for link in (tech, cust, cust2):
                    await link.close()

        asyncio.run(scenario())


async def joined(url: str, token: str, session_id: str, links: list[SignalingClient]) -> SignalingClient:
    """A client in the call, retrying a relayed join refused as `node_unavailable` (retryable: the pages retry it;
    a machine at load 20 misses the 0.6 s relay answer now and then)."""
    for attempt in range(5):
        link = SignalingClient(url, token, session_id)
        links.append(link)
        try:
            await link.connect()
            return link
        except RuntimeError as exc:
            if "node_unavailable" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.3)
    raise AssertionError("unreachable")


def test_a_node_restarted_with_its_id_within_the_heartbeat_window_leaves_no_ghost(tmp_path: Path):
    """SIGKILL a node and start it again with the same id at once (inside a 120 s heartbeat window, so the old
    incarnation's heartbeat is still there even when a loaded machine takes a minute to start a node): the other
    node sees the new boot id and lets go of the old incarnation's participants; the clients rejoin. First a relay
    node restarts, then an owner. (Without the boot id nothing is noticed until the window ends: checked by
    making `restarted()` answer False, the test then fails at the first 10 s wait.)"""
    window_s = 120
    with running_cluster(tmp_path, env={"LENSDESK_NODE_TTL_S": str(window_s)}) as cluster:
        node_a, node_b = cluster.nodes

        async def scenario() -> None:
            token = node_a.technician_token()
            session = await create_session(node_a.url, token)
            links: list[SignalingClient] = []
            try:
                tech = await joined(node_a.url, token, session.session_id, links)
                await joined(node_b.url, session.join_token, session.session_id, links)  # relayed through B to A
                await tech.wait_for("participant_joined")
                # 1. the relay node B restarts: its customer is no ghost in A's room
                killed = asyncio.get_running_loop().time()
                node_b.kill(signal.SIGKILL)
                restarted_b = await asyncio.to_thread(cluster.restart, 1)
                ready = asyncio.get_running_loop().time()
                assert ready - killed < window_s - 20, "the restart took too long to test a restart in the window"
                left = await tech.wait_for("participant_left", timeout_s=10)
                assert asyncio.get_running_loop().time() - ready < 10  # not the heartbeat's expiry
                assert left["participant_id"]
                cust2 = await joined(restarted_b.url, session.join_token, session.session_id, links)
                assert cust2.welcome is not None and cust2.welcome["role"] == "customer"  # no customer_present
                await eventually(lambda: count(tech, "participant_joined") == 2, within_s=5)
                # 2. the owner A restarts: the customer relayed through B is told to reconnect, and both get back in
                killed = asyncio.get_running_loop().time()
                node_a.kill(signal.SIGKILL)
                restarted_a = await asyncio.to_thread(cluster.restart, 0)
                ready = asyncio.get_running_loop().time()
                assert ready - killed < window_s - 20, "the restart took too long to test a restart in the window"
                told = await cust2.wait_for("reconnect", timeout_s=10)
                assert told["reason"] == "server_lost"
                assert asyncio.get_running_loop().time() - ready < 10
                cust3 = await joined(restarted_b.url, session.join_token, session.session_id, links)
                tech2 = await joined(restarted_a.url, token, session.session_id, links)
                assert tech2.welcome is not None
                assert [p["role"] for p in tech2.welcome["participants"]] == ["customer"]  # one room, no ghosts
                await tech2.send({"type": "video_request"})
                assert (await cust3.wait_for("video_requested", timeout_s=5))["by_name"]
            finally:
                for link in links:
                    await link.close()

        asyncio.run(scenario())
        for node in cluster.nodes:
            assert "Traceback" not in node.log()


def test_end_session_on_a_node_that_does_not_run_the_call_ends_it_on_the_owner(cluster: Cluster):
    node_a, node_b = cluster.nodes

    async def scenario() -> None:
        token = node_a.technician_token()
        session = await create_session(node_a.url, token)
        tech = SignalingClient(node_a.url, token, session.session_id)
        cust = SignalingClient(node_a.url, session.join_token, session.session_id)
        try:
            await tech.connect()
            await cust.connect()
            async with httpx.AsyncClient(base_url=node_b.url,
                                         headers={"Authorization": f"Bearer {token}"}) as http:
                (await http.post(f"/api/sessions/{session.session_id}/end")).raise_for_status()
            # the call on A ends (a revoked customer token alone would leave the technician in it)
            await eventually(lambda: calls_on(node_a.url, token) == 0, within_s=10)
            await tech.wait_for("ended", timeout_s=5)
            assert any(msg["type"] == "ended" or msg.get("code") == "session_ended" for msg in cust.messages), \
                cust.messages
        finally:
            for link in (tech, cust):
                await link.close()

    asyncio.run(scenario())


def still_jpeg() -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", np.full((480, 640, 3), 200, np.uint8))
    assert ok
    return buf.tobytes()


def test_snapshot_and_scan_photo_through_a_node_that_does_not_run_the_call_reach_the_owner(cluster: Cluster):
    node_a, node_b = cluster.nodes

    async def scenario() -> None:
        token = node_a.technician_token()
        session = await create_session(node_a.url, token)
        technician, customer = SyntheticTechnician(), SyntheticCustomer(grey_clip())
        tech = SignalingClient(node_a.url, token, session.session_id)
        cust = SignalingClient(node_a.url, session.join_token, session.session_id)
        try:
            await tech.connect()
            await tech.negotiate(technician)
            await cust.connect()
            await cust.negotiate(customer)  # the recording on A starts
            await eventually(lambda: len(technician.video_frames) > 15)
            # a snapshot taken through B: B does not run the call, A answers its recording offset
            async with httpx.AsyncClient(base_url=node_b.url, headers={"Authorization": f"Bearer {token}"}) as http:
                made = (await http.post(f"/api/sessions/{session.session_id}/snapshots", data={"note": "via B"},
                                        files={"file": ("s.jpg", still_jpeg(), "image/jpeg")})).raise_for_status()
            finding = made.json()
            assert finding["offset_s"] is not None and finding["offset_s"] > 0
            pushed = await tech.wait_for("finding", timeout_s=5)  # pushed by A to its technician
            assert pushed["finding"]["id"] == finding["id"]

            # a scan asked on A whose photo is uploaded through B is read on A
            await cust.send({"type": "video_started", "facing": "environment"})
            await tech.wait_for("video_state", timeout_s=5)
            await tech.send({"type": "scan_request"})
            take = await cust.wait_for("take_still", timeout_s=5)
            async with httpx.AsyncClient(base_url=node_b.url) as http:
                upload = await http.post(take["upload_path"], content=still_jpeg(), headers={
                    "Authorization": f"Bearer {session.join_token}", "Content-Type": "image/jpeg"})
                assert upload.status_code == 202, upload.text
                # a second upload for the same scan is refused by A, with A's reason
                again = await http.post(take["upload_path"], content=still_jpeg(), headers={
                    "Authorization": f"Bearer {session.join_token}", "Content-Type": "image/jpeg"})
                assert again.status_code == 409 and again.json()["type"].endswith("still-already-received")
            await eventually(lambda: any(msg.get("type") == "scan_status" and msg["state"] in ("no_code", "found")
                                    for msg in tech.messages), within_s=30)
        finally:
            for closer in (customer.close, technician.close, tech.close, cust.close):
                await closer()

    asyncio.run(scenario())


def test_new_rooms_go_to_the_least_loaded_node_and_a_drained_node_moves_its_calls_and_exits(tmp_path: Path):
    with running_cluster(tmp_path, env={"LENSDESK_MAX_CALLS": "2"}) as cluster:
        node_a, node_b = cluster.nodes

        def view(node, of) -> dict:  # how `node` sees `of` for placement (its latest heartbeat round)
            return httpx.get(node.url + "/healthz").json()["nodes"].get(of_id[of.url], {})

        of_id = {n.url: httpx.get(n.url + "/healthz").json()["node"] for n in cluster.nodes}

        async def scenario() -> None:
            token = node_a.technician_token()
            sessions = [await create_session(node_a.url, token) for _ in range(5)]
            links = [SignalingClient(node_a.url, token, s.session_id) for s in sessions[:4]]
            late = SignalingClient(node_b.url, token, sessions[4].session_id)
            rejoin = SignalingClient(node_b.url, token, sessions[0].session_id)
            rejoin_relayed = SignalingClient(node_b.url, token, sessions[1].session_id)
            try:
                await links[0].connect()  # both empty: the receiving node keeps the room
                assert (calls_on(node_a.url, token), calls_on(node_b.url, token)) == (1, 0)
                await eventually(lambda: view(node_a, node_b) == {"calls": 0, "refusals": []})
                await links[1].connect()  # through A, but B is less loaded
                assert (calls_on(node_a.url, token), calls_on(node_b.url, token)) == (1, 1)
                await eventually(lambda: view(node_a, node_b).get("calls") == 1)  # A has heard B's heartbeat
                await links[2].connect()  # a tie: stays on A, which is now full
                assert (calls_on(node_a.url, token), calls_on(node_b.url, token)) == (2, 1)
                ready = await asyncio.to_thread(httpx.get, node_a.url + "/readyz")
                assert ready.status_code == 503 and ready.json()["reasons"] == ["overloaded_calls"]
                await links[3].connect()  # A is full: B
                assert (calls_on(node_a.url, token), calls_on(node_b.url, token)) == (2, 2)
                # every node is full: a clear refusal, at once
                await eventually(lambda: view(node_b, node_a).get("refusals") == ["overloaded_calls"])
                started = asyncio.get_running_loop().time()
                with pytest.raises(RuntimeError, match="no_capacity"):
                    await late.connect()
                assert asyncio.get_running_loop().time() - started < 1.0
                await links[3].close()  # B has room again
                await eventually(lambda: calls_on(node_b.url, token) == 1)

                # `lensdesk drain` on A: no new rooms at once, calls may end by themselves during the grace ...
                env = {**os.environ, "LENSDESK_SECRET_KEY": cluster.secret}
                drain = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "lensdesk.cli", "drain", "--url", node_a.url, "--grace", "3", env=env,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
                # (the CLI takes seconds to start on a busy machine)
                await eventually(lambda: "draining" in httpx.get(node_a.url + "/readyz").json()["reasons"], within_s=30)
                started = asyncio.get_running_loop().time()
                await eventually(lambda: "draining" in view(node_b, node_a).get("refusals", []), within_s=5)
                await links[2].close()  # this call ends by itself
                await links[0].send({"type": "ping"})
                await links[0].wait_for("pong", timeout_s=2)  # the other one goes on during the grace
                assert count(links[0], "reconnect") == 0
                # ... then its participants are moved, and the node exits
                told = await links[0].wait_for("reconnect", timeout_s=10)
                assert told["reason"] == "server_draining"
                assert asyncio.get_running_loop().time() - started >= 1.5
                # also those relayed through A to a call on B
                assert (await links[1].wait_for("reconnect", timeout_s=5))["reason"] == "server_draining"
                output, _ = await asyncio.wait_for(drain.communicate(), 30)
                assert drain.returncode == 0, output.decode()
                assert node_a.proc.wait(timeout=5) == 0
                welcome = await rejoin.connect()  # the moved technician's session now runs on B
                assert welcome["role"] == "technician"
                welcome = await rejoin_relayed.connect()  # back in its call on B, without a ghost of itself
                assert welcome["participants"] == []
                assert calls_on(node_b.url, token) == 2
            finally:
                for link in (*links, late, rejoin, rejoin_relayed):
                    await link.close()

        asyncio.run(scenario())
        assert "Traceback" not in node_a.log() + node_b.log()


def test_drain_refuses_anything_but_the_admin_credential(cluster: Cluster):
    node = cluster.nodes[0]
    for headers in ({}, {"Authorization": f"Bearer {node.technician_token()}"}):
        assert httpx.post(node.url + "/admin/drain", headers=headers).status_code == 401
    # the CLI with another secret is refused, and the node goes on taking rooms
    env = {**os.environ, "LENSDESK_SECRET_KEY": "another-secret-" + "q" * 32}
    done = subprocess.run([sys.executable, "-m", "lensdesk.cli", "drain", "--url", node.url], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "refused the drain (401)" in done.stderr
    assert httpx.get(node.url + "/readyz").status_code == 200
