"""A synthetic cross-node support call against a running stack (docker/compose.yaml), ending in a finding.

    .venv/bin/python bench/docker_call.py --lb http://127.0.0.1:18080 --node-a http://127.0.0.1:18081 \
        --node-b http://127.0.0.1:18082 --secret "$LENSDESK_SECRET_KEY"

The ticket and session are created through the load balancer; the technician's signaling goes to node A and the
customer's to node B (so the room spans both nodes through Redis); the customer's aiortc peer sends a hand-held
720p capture of a device error screen (pre-encoded VP8) and the technician must get the finding pushed, and the
ticket must hold it. Every packet stays on loopback: the peers gather host candidates on 127.0.0.1 only.
Exit status 0 when the finding arrived, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.capacity import screen_clip  # noqa: E402
from media.host_addresses import gather_host_candidates_on  # noqa: E402
from signaling.tokens import TokenService  # noqa: E402
from testkit.peers import SyntheticCustomer, SyntheticTechnician  # noqa: E402
from testkit.session_client import SignalingClient, create_session  # noqa: E402


async def cross_node_call(lb: str, node_a: str, node_b: str, secret: str, within_s: float) -> int:
    """Run the call; print what happened; 0 if a finding reached the technician and the ticket."""
    gather_host_candidates_on(["127.0.0.1"])
    token = TokenService(secret).issue_technician("docker-test", "Docker Test")
    session = await create_session(lb, token, "docker-test cross-node call")
    technician, customer = SyntheticTechnician(), SyntheticCustomer(screen_clip(2.0))
    tech_link = SignalingClient(node_a, token, session.session_id)
    cust_link = SignalingClient(node_b, session.join_token, session.session_id)
    started = time.monotonic()
    try:
        await tech_link.connect()
        await tech_link.negotiate(technician)
        await cust_link.connect()
        await cust_link.negotiate(customer)
        await cust_link.send({"type": "video_started", "facing": "environment"})
        print(f"session {session.session_id}: technician on {node_a}, customer on {node_b}", flush=True)
        try:
            finding = (await tech_link.wait_for("finding", within_s))["finding"]
        except TimeoutError:
            print(f"FAIL: no finding within {within_s:.0f} s (technician got {len(technician.video_frames)} video "
                  f"frames, {technician.audio_frames} audio packets)")
            return 1
        print(f"finding after {time.monotonic() - started:.1f} s: {finding.get('code')} "
              f"(technician got {len(technician.video_frames)} video frames across the nodes)")
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=lb, headers=auth, timeout=10) as http:
            stored = (await http.get(f"/api/tickets/{session.ticket_id}/findings")).raise_for_status().json()
        codes = [f.get("code") for f in (stored if isinstance(stored, list) else stored.get("findings", []))]
        print(f"ticket {session.ticket_id} holds findings {codes}")
        return 0 if codes else 1
    finally:
        for close in (customer.close, technician.close, cust_link.close, tech_link.close):
            try:
                await asyncio.wait_for(close(), 10)
            except Exception as exc:  # teardown goes on
                print(f"teardown: {exc!r}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lb", required=True)
    parser.add_argument("--node-a", required=True)
    parser.add_argument("--node-b", required=True)
    parser.add_argument("--secret", required=True, help="the stack's LENSDESK_SECRET_KEY (issues a technician token)")
    parser.add_argument("--within", type=float, default=240.0, help="seconds to wait for the finding")
    args = parser.parse_args(argv)
    return asyncio.run(cross_node_call(args.lb, args.node_a, args.node_b, args.secret, args.within))


if __name__ == "__main__":
    raise SystemExit(main())
