"""Two lensdesk nodes behind a real HAProxy (health-checked on /readyz, WebSocket upgrade), a real redis-server,
two live calls of synthetic aiortc peers that rejoin through the load balancer as the pages do; a node is
SIGKILLed and restarted, Redis is SIGKILLed and restarted. Nobody is stuck, no recording or finding is lost, and
every refused join is answered with a clear error within a second."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import websockets

from testkit.peers import EncodedClip, SyntheticCustomer, SyntheticTechnician, encode_clip
from testkit.servers import running_cluster, running_haproxy
from testkit.session_client import CreatedSession, SignalingClient, create_session

pytestmark = pytest.mark.slow

REJOIN_BACKOFF_S = 0.3


@dataclass
class Member:
    """One synthetic participant that keeps itself in its call through the load balancer."""

    lb: str
    token: str
    session_id: str
    customer: bool
    clip: EncodedClip
    link: SignalingClient | None = None
    peer: Any = None
    refusals: list[tuple[float, str]] = field(default_factory=list)  # (seconds to the answer, what it said)
    joins: int = 0

    @property
    def participant_id(self) -> str:
        assert self.link is not None and self.link.welcome is not None
        return str(self.link.welcome["participant_id"])

    def dropped(self) -> bool:
        link = self.link
        return (link is None or link._reader is None or link._reader.done()
                or any(msg.get("type") == "reconnect" for msg in link.messages))

    async def join(self, within_s: float = 40.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while True:
            await self.close()
            link = SignalingClient(self.lb, self.token, self.session_id)
            started = loop.time()
            try:
                await link.connect()
            except (RuntimeError, OSError, websockets.exceptions.WebSocketException) as exc:
                self.refusals.append((loop.time() - started, f"{type(exc).__name__}: {exc}"))
                await link.close()
                assert loop.time() < deadline, f"never back in the call: {self.refusals}"
                await asyncio.sleep(REJOIN_BACKOFF_S)
                continue
            self.link = link
            self.peer = SyntheticCustomer(self.clip) if self.customer else SyntheticTechnician()
            await link.negotiate(self.peer)
            if self.customer:
                await link.send({"type": "video_started", "facing": "environment"})
            self.joins += 1
            return

    def room(self) -> set[str]:
        """The other participants as this connection's messages say (welcome, then joins and leaves)."""
        assert self.link is not None and self.link.welcome is not None
        present = {p["id"] for p in self.link.welcome["participants"]}
        for msg in self.link.messages:
            if msg.get("type") == "participant_joined":
                present.add(msg["participant"]["id"])
            elif msg.get("type") == "participant_left":
                present.discard(msg["participant_id"])
        return present

    async def close(self) -> None:
        if self.peer is not None:
            await self.peer.close()
        if self.link is not None:
            await self.link.close()
        self.link, self.peer = None, None


async def until(cond, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await asyncio.to_thread(cond):
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def heal(members: list[Member]) -> None:
    """Rejoin whoever lost the call (socket gone, or told to reconnect), as the pages do."""
    await asyncio.gather(*(m.join() for m in members if m.dropped()))


def still_jpeg(shade: int) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", np.full((120, 160, 3), shade, np.uint8))
    assert ok
    return buf.tobytes()


@pytest.mark.serial  # every refused join answered within a second: a timing assertion (1.29 s in the parallel phase)
def test_calls_behind_haproxy_survive_a_node_kill_a_restart_and_a_redis_crash(tmp_path: Path):
    clip = encode_clip([np.full((240, 320, 3), 40 + i, np.uint8) for i in range(30)], bitrate=300_000,
                       keyframe_interval=30)
    with running_cluster(tmp_path, env={"LENSDESK_RECORDING_ENABLED": "true"}) as cluster, \
            running_haproxy(tmp_path / "lb", [n.url for n in cluster.nodes]) as lb:
        token = cluster.nodes[0].technician_token()
        auth = {"Authorization": f"Bearer {token}"}

        def ready(url: str) -> bool:
            return httpx.get(url + "/readyz").status_code == 200

        async def scenario() -> None:
            sessions: list[CreatedSession] = []
            members: list[Member] = []
            http = httpx.AsyncClient(base_url=lb.url, headers=auth, timeout=10)
            snapshots: dict[str, list[str]] = {}

            async def snapshot(session: CreatedSession, tech: Member, shade: int) -> None:
                made = (await http.post(f"/api/sessions/{session.session_id}/snapshots", data={"note": "lb"},
                                        files={"file": ("s.jpg", still_jpeg(shade), "image/jpeg")})).raise_for_status()
                snapshots.setdefault(session.ticket_id, []).append(made.json()["id"])
                assert made.json()["offset_s"] is not None  # the call's node answered, wherever REST landed
                # pushed to the technician of the call, wherever it is connected
                await until(lambda: tech.link is not None and any(
                    msg.get("type") == "finding" and msg["finding"]["id"] == made.json()["id"]
                    for msg in tech.link.messages), within=10)

            try:
                for _ in range(2):
                    session = await create_session(lb.url, token)
                    tech = Member(lb.url, token, session.session_id, False, clip)
                    cust = Member(lb.url, session.join_token, session.session_id, True, clip)
                    await tech.join()
                    await cust.join()
                    sessions.append(session)
                    members += [tech, cust]
                await until(lambda: all(len(m.peer.video_frames) > 15 for m in members[0::2]))
                for i, session in enumerate(sessions):
                    await snapshot(session, members[2 * i], 60 + i)

                # a node dies: its calls are re-homed, its participants rejoin through the load balancer
                cluster.nodes[0].kill(signal.SIGKILL)
                await until(lambda: any(m.dropped() for m in members), within=10)
                await heal(members)
                # ... and comes back (same node id: it recovers the recording the kill cut)
                await asyncio.to_thread(cluster.restart, 0)
                await until(lambda: ready(cluster.nodes[0].url))
                await heal(members)

                # Redis crashes and comes back empty: nobody is dropped; new rooms meanwhile are refused clearly
                fresh = await create_session(lb.url, token)
                cluster.redis.stop(signal.SIGKILL)
                await until(lambda: not any(ready(n.url) for n in cluster.nodes), within=10)
                probe = Member(lb.url, token, fresh.session_id, False, clip)  # a room that runs nowhere yet
                with pytest.raises(AssertionError, match="never back"):
                    await probe.join(within_s=1.0)
                cluster.redis.start()
                await until(lambda: all(ready(n.url) for n in cluster.nodes))
                await heal(members)

                # every call has exactly its two participants, in working calls
                for i, session in enumerate(sessions):
                    tech, cust = members[2 * i], members[2 * i + 1]
                    try:
                        await until(lambda tech=tech, cust=cust: tech.room() == {cust.participant_id}
                                    and cust.room() == {tech.participant_id}, within=15)
                    except AssertionError:
                        raise AssertionError(f"tech {tech.participant_id} sees {tech.room()}, customer "
                                             f"{cust.participant_id} sees {cust.room()}; tech got "
                                             f"{[m for m in tech.link.messages if 'participant' in m['type']]}") from None
                    frames = len(tech.peer.video_frames)
                    await until(lambda tech=tech, frames=frames: len(tech.peer.video_frames) > frames + 15)
                    await snapshot(session, tech, 90 + i)
                for session in sessions:
                    (await http.post(f"/api/sessions/{session.session_id}/end")).raise_for_status()
                for node in cluster.nodes:
                    await until(lambda node=node: "lensdesk_calls 0.0" in httpx.get(
                        node.url + "/metrics", headers=auth).text)

                # no finding lost, no recording lost
                for session in sessions:
                    findings = (await http.get(f"/api/tickets/{session.ticket_id}")).json()["findings"]
                    assert sorted(f["id"] for f in findings) == sorted(snapshots[session.ticket_id])
                    rows = (await http.get(f"/api/tickets/{session.ticket_id}/recordings")).json()
                    assert rows and all(r["status"] in ("finalised", "recovered") and r["size_bytes"] > 0
                                        for r in rows), rows
                # every refused join was answered (a clear error, or the balancer's 503) within a second
                refusals = [r for m in [*members, probe] for r in m.refusals]
                assert refusals and max(seconds for seconds, _ in refusals) < 1.0, refusals
                assert any(m.joins > 1 for m in members)
            finally:
                await http.aclose()
                for member in members:
                    await member.close()

        asyncio.run(scenario())
        for node in cluster.nodes:
            assert "Traceback" not in node.log()
