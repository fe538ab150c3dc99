"""The help queue across two nodes sharing a real redis-server and database: a customer waiting on one node is
answered by a technician on the other, both nodes show the same places and estimates, the node running the queue
is SIGKILLed and its waiting customer reconnects through the other node with their place, a customer who gives up
while no node holds the queue's lease is taken out by the next engine, the service-level counters are the same on
both nodes and survive the failover, and every request is answered exactly once."""

from __future__ import annotations

import json
import re
import sqlite3
import time

import httpx
import pytest
import redis

from testkit.polling import wait_until
from testkit.servers import ServerProcess, running_cluster
from testkit.session_client import next_of_type
from tests.integration.test_help_queue import ask, customer, help_token, supervisor, technician

pytestmark = pytest.mark.slow


def engine_node(redis_url: str) -> str:
    """The node id holding the queue lease (signaling/queue_bus.py LEASE)."""
    holder = redis.Redis.from_url(redis_url, decode_responses=True).get("lensdesk:lease:queue-engine")
    assert holder, "nobody runs the queue"
    return str(holder).split("|")[0]


def counters(node: ServerProcess) -> dict[str, float]:
    """The queue's counters on a node's /metrics."""
    auth = {"Authorization": f"Bearer {node.technician_token()}"}
    text = httpx.get(f"{node.url}/metrics", headers=auth, timeout=10).text
    wanted = ("answered_total", "abandoned_total", "answer_seconds_count")
    return {m[1]: float(m[2]) for m in re.finditer(r"^lensdesk_queue_(\w+) ([0-9.e+]+)$", text, re.M) if m[1] in wanted}


def places(node: ServerProcess) -> dict[str, tuple[str, int, float | None]]:
    auth = {"Authorization": f"Bearer {node.technician_token()}"}
    snapshot = httpx.get(f"{node.url}/api/queue", headers=auth, timeout=10).json()
    return {r["id"]: (r["state"], r["position"], r["eta_s"]) for r in snapshot["requests"]}


def test_a_customer_waiting_on_one_node_is_answered_from_the_other_and_survives_the_queue_nodes_death(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("queue-cluster")
    with running_cluster(work, env={"LENSDESK_NODE_TTL_S": "3"}) as cluster:
        a, b = cluster.nodes
        engine = engine_node(cluster.redis.url)  # the node that started first runs the queue
        assert engine.endswith(a.url.rsplit(":", 1)[1]), engine
        link = help_token(httpx.post(f"{a.url}/api/help-links", headers=supervisor(a),
                                     json={"family": "printer", "model": "P1"}).json()["url"])
        r1 = ask(b, link, "Ann", "E52")  # through node B, which does not run the queue
        c1 = customer(b, r1)
        assert next_of_type(c1, "queue_position")["position"] == 1
        r2 = ask(a, link, "Bob", "jam")
        c2 = customer(a, r2)
        assert next_of_type(c2, "queue_position")["position"] == 2
        # A supervisor's view from either node: the same places and estimates.
        deadline = time.monotonic() + 5
        while places(a) != places(b) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert places(a) == places(b) == {r1["request_id"]: ("waiting", 1, None), r2["request_id"]: ("waiting", 2, None)}
        # A technician on node B answers the longest-waiting request, which waits on node B through node A's engine.
        t1 = technician(b, "t1", limit=1)
        assert next_of_type(t1, "queue_assigned")["request_id"] == r1["request_id"]
        assert next_of_type(c1, "queue_assigned")["technician_id"] == "t1"
        assert next_of_type(c2, "queue_position")["position"] == 1
        r3 = ask(b, link, "Cem", "noise")
        c3 = customer(b, r3)
        assert next_of_type(c3, "queue_position")["position"] == 2
        # The counters come from the store: both nodes say the same, not only the one running the queue.
        once = {"answered_total": 1.0, "abandoned_total": 0.0, "answer_seconds_count": 1.0}
        wait_until(lambda: counters(a) == counters(b) == once, within_s=10, what="the same counters on both nodes")
        # The node running the queue dies with customer 2's page; customer 3 gives up before its lease runs out.
        a.kill()
        c3.send(json.dumps({"type": "queue_cancel"}))
        assert engine_node(cluster.redis.url).endswith(a.url.rsplit(":", 1)[1])  # nobody took over yet
        # Customer 2 comes back through node B.
        c2.close()
        c2 = customer(b, r2)
        position = next_of_type(c2, "queue_position", timeout=15)  # node B takes the lease and restores the queue
        assert (position["request_id"], position["position"]) == (r2["request_id"], 1)
        assert engine_node(cluster.redis.url).endswith(b.url.rsplit(":", 1)[1])
        t2 = technician(b, "t2", limit=1)
        assert next_of_type(t2, "queue_assigned")["request_id"] == r2["request_id"]
        assert next_of_type(c2, "queue_assigned")["technician_id"] == "t2"
        assert next_of_type(c3, "queue_closed", timeout=15)["reason"] == "cancelled"  # applied by B's engine
        # Node B counts what node A's engine did too: two answered (one by each engine), one given up.
        twice = {"answered_total": 2.0, "abandoned_total": 1.0, "answer_seconds_count": 2.0}
        wait_until(lambda: counters(b) == twice, within_s=10, what="the counters across the failover")
        # t1 still has their call (restored from the store), so customer 2 went to t2; each answered once.
        assert places(b) == {r1["request_id"]: ("assigned", 0, None), r2["request_id"]: ("assigned", 0, None)}
        for conn in (c1, c2, c3, t1, t2):
            conn.close()
    with sqlite3.connect(cluster.data_dir / "lensdesk.db") as db:
        answered = db.execute("SELECT target, count(*) FROM audit_log WHERE action = 'help_answered' "
                              "GROUP BY target").fetchall()
        techs = dict(db.execute("SELECT id, technician_id FROM queue_requests WHERE state = 'assigned'").fetchall())
        gave_up = db.execute("SELECT state FROM queue_requests WHERE id = ?", (r3["request_id"],)).fetchone()
    assert gave_up == ("abandoned",)
    assert sorted(answered) == sorted([(f"queue_request:{r1['request_id']}", 1),
                                       (f"queue_request:{r2['request_id']}", 1)])
    assert techs == {r1["request_id"]: "t1", r2["request_id"]: "t2"}
