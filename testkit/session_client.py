"""Drive a real lensdesk server from Python: REST to create sessions, the signaling WebSocket, aiortc peers.

Used by benches (capacity, time-to-finding) and by tests that need a synthetic participant going through the
server exactly as a browser would: join, offer, answer, video_started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.sync.connection import Connection

from testkit.peers import SyntheticCustomer, SyntheticTechnician


@dataclass
class CreatedSession:
    """A ticket's support session and its customer join token."""

    ticket_id: str
    session_id: str
    join_token: str


async def create_session(base_url: str, technician_token: str, title: str = "bench") -> CreatedSession:
    """Create a ticket and a session over REST."""
    auth = {"Authorization": f"Bearer {technician_token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=auth, timeout=10) as http:
        ticket = (await http.post("/api/tickets", json={"title": title})).raise_for_status().json()
        created = (await http.post(f"/api/tickets/{ticket['id']}/sessions", json={})).raise_for_status().json()
    return CreatedSession(ticket["id"], created["session"]["id"], created["join_token"])


@dataclass
class SignalingClient:
    """One participant's signaling connection (join, offer/answer, room messages)."""

    base_url: str
    token: str
    session_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    _ws: Any = None
    _reader: asyncio.Task[None] | None = None
    _answers: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    welcome: dict[str, Any] | None = None
    offer_sent_at: float | None = None  # monotonic time the latest offer was sent

    async def connect(self) -> dict[str, Any]:
        """Open the socket and join; returns the welcome message (raises on a refusal)."""
        self._ws = await websockets.connect(self.base_url.replace("http", "ws", 1) + "/ws", max_size=1 << 20)
        await self.send({"type": "join", "token": self.token, "session_id": self.session_id})
        first = json.loads(await asyncio.wait_for(self._ws.recv(), 10))
        if first.get("type") != "welcome":
            raise RuntimeError(f"join refused: {first}")
        self.welcome = first
        self._reader = asyncio.create_task(self._read())
        return first

    async def send(self, message: dict[str, Any]) -> None:
        await self._ws.send(json.dumps({"v": 1, **message}))

    async def negotiate(self, peer: SyntheticCustomer | SyntheticTechnician) -> None:
        """Offer from the peer, wait for the server's answer, apply it."""
        sdp = await peer.offer()
        self.offer_sent_at = time.monotonic()  # the server starts a call's recording on its first offer
        await self.send({"type": "offer", "sdp": sdp})
        await peer.accept(await asyncio.wait_for(self._answers.get(), 15))

    async def wait_for(self, kind: str, timeout_s: float = 30.0) -> dict[str, Any]:
        """The first message of this type (already received or arriving)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            for msg in self.messages:
                if msg.get("type") == kind:
                    return msg
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no {kind!r} message within {timeout_s} s")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def _read(self) -> None:
        async for raw in self._ws:
            msg = json.loads(raw)
            if msg.get("type") == "answer":
                self._answers.put_nowait(msg["sdp"])
            else:
                self.messages.append(msg)


@dataclass
class CallPair:
    """A synthetic customer and technician in one session, both through the server."""

    session: CreatedSession
    customer: SyntheticCustomer
    technician: SyntheticTechnician
    customer_link: SignalingClient
    technician_link: SignalingClient

    async def close(self, end_session: bool = False) -> None:
        if end_session:
            with contextlib.suppress(Exception):
                await self.technician_link.send({"type": "bye", "end_session": True})
        for closer in (self.customer.close, self.technician.close, self.customer_link.close,
                       self.technician_link.close):
            with contextlib.suppress(Exception):
                await closer()


async def start_pair(base_url: str, technician_token: str, customer: SyntheticCustomer,
                     technician: SyntheticTechnician, *, title: str = "bench") -> CallPair:
    """Create a session, join the technician then the customer, negotiate both, announce the video."""
    session = await create_session(base_url, technician_token, title)
    tech_link = SignalingClient(base_url, technician_token, session.session_id)
    await tech_link.connect()
    await tech_link.negotiate(technician)
    cust_link = SignalingClient(base_url, session.join_token, session.session_id)
    await cust_link.connect()
    await cust_link.negotiate(customer)
    if customer.video is not None:
        await cust_link.send({"type": "video_started", "facing": "environment"})
    return CallPair(session, customer, technician, cust_link, tech_link)


def recv_json(conn: Connection, timeout: float = 10.0) -> dict[str, Any]:
    """The next message of a sync WebSocket, parsed."""
    message: dict[str, Any] = json.loads(conn.recv(timeout=timeout))
    return message


def next_of_type(conn: Connection, kind: str, timeout: float = 10.0, **fields: object) -> dict[str, Any]:
    """The next message of this type (and these field values) within timeout; others are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        message = recv_json(conn, max(0.1, deadline - time.monotonic()))
        if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
            return message
