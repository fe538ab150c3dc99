"""Signaling across nodes: a room's call runs on the node that owns it; other nodes relay over the bus.

A browser may reach any node (a load balancer picks one). The node that first admits someone to a room claims
it; a node that receives a join for a room owned elsewhere becomes a relay: it forwards the participant's
messages to the owner's inbox channel and the owner's replies come back on a channel for that connection.
Media always flows between the browser and the owner (its ICE candidates are in the owner's SDP answer).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from . import messages as m
from . import node_messages as nm
from .bus import Bus, BusUnavailable, Subscription
from .placement import NodeLoad, choose_node
from .service import CallService, ClientLink
from .tokens import Claims, Role, TokenError, TokenService

log = logging.getLogger(__name__)

ROOM_TTL_S = 30
REFRESH_EVERY_S = 10.0
REFRESH_BATCH = 500  # room claims extended per Redis round trip
# A relayed join the owner does not answer within this is refused with a clear, retryable error (a refused join
# is answered within a second): by then the owner is dead (its heartbeat expires and the room is re-homed) or
# swamped. The owner is told to drop the participant should it admit it later.
JOIN_REPLY_TIMEOUT_S = 0.6
# An owner that said it has the join (JoinQueued) is alive: the relay waits this long for its answer, as long as
# the owner keeps heart-beating under the same boot id (its join queue answers `busy` sooner than this).
RELAYED_JOIN_WAIT_S = 15.0
HEARTBEAT_EVERY_S = 1.0
# A node silent this long is dead: its rooms are re-homed, its relayed participants moved. Not less: a busy
# machine stalls a live node's event loop for seconds (measured: a false death at 3 s under load 13 on 2 cores).
NODE_TTL_S = 5
RECONNECT_AFTER_MS = 300

BUS_DOWN_JOIN = ("cluster_unavailable",
                 "The call servers cannot reach each other right now; try joining again in a few seconds.")
BUS_DOWN_MESSAGE = ("relay_unavailable",
                    "Your message could not be passed on right now; the call goes on, send it again in a moment.")

DRAINING = ("node_draining", "This server is stopping; connecting again will reach another one.")
NO_CAPACITY = ("no_capacity", "Every call server is at capacity right now; try again in a minute.")

RELAYED = nm.RELAYED


def relayed_claims(data: dict[str, Any] | Claims, session_id: str) -> Claims:
    """Claims a relay node sent with a join (or a room action), checked again for expiry and session binding."""
    claims = data if isinstance(data, Claims) else Claims(**{**data, "role": Role(data["role"])})
    if claims.expires_at <= time.time():
        raise TokenError("token_expired", "This link or token has expired; ask for a new one.")
    if claims.role is Role.CUSTOMER and claims.session_id != session_id:
        raise TokenError("token_wrong_session", "This token is not valid for this session.")
    return claims


RoomAction = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]  # (session id, arguments) -> result
ACTION_REPLY_TIMEOUT_S = 10.0


class RoomActionError(Exception):
    """A room action was refused (on whichever node ran it): a code, a sentence and an HTTP-like status."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class LocalCalls(CallService, Protocol):
    """The node's own call service, which also says whether a room is live here."""

    def is_live(self, session_id: str) -> bool:
        """A call for this session runs on this node."""


Publish = Callable[[str, str], Awaitable[None]]


class _BusLink:
    """ClientLink on the owner for a participant connected to another node (every event names the owner's boot)."""

    def __init__(self, publish: Publish, channel: str, boot_id: str) -> None:
        self._publish_raw, self._channel, self._boot_id = publish, channel, boot_id

    async def send(self, message: m.ServerMessage) -> None:
        await self._publish(nm.ForParticipant(data=message, boot=self._boot_id))

    async def close(self, reason: str) -> None:
        await self._publish(nm.CloseParticipant(reason=reason, boot=self._boot_id))

    async def send_raw(self, event: nm.ToRelay) -> None:
        """An event for the relay itself rather than for the browser."""
        await self._publish(event)

    async def _publish(self, event: nm.ToRelay) -> None:
        # Published reliably: an outage delays these messages (they go out, in order, once Redis is back).
        await self._publish_raw(self._channel, nm.encode(event))


@dataclass
class _Undelivered:
    """A message that must reach its channel, held while Redis is away."""

    channel: str
    data: str
    since: float  # time.monotonic() of the first attempt


UNDELIVERED_MAX = 2000  # messages held per node during an outage; beyond it the oldest are dropped (logged)
UNDELIVERED_KEEP_S = 30.0  # a held message nobody subscribes to again within this is dropped (logged)


class _NoAnswer(m.ProtocolError):
    """The owner did not answer a relayed join in time."""


NO_ANSWER = ("node_unavailable", "The server running this call did not answer; try again.")
OWNER_LOST = ("node_unavailable", "The server running this call stopped while you were joining; try again.")


@dataclass
class _Remote:
    """A participant of this node relayed to the owner of their room."""

    conn_id: str
    owner: str
    subscription: Subscription
    owner_boot: str  # the owner's incarnation that admitted them


@dataclass(frozen=True)
class _Served:
    """A participant of a room here who is connected to another node (their relay)."""

    session_id: str
    participant_id: str
    relay: str
    relay_boot: str  # the relay's incarnation that holds their connection


def restarted(node: str, boot: str, boots: dict[str, str]) -> bool:
    """The node now runs another incarnation than `boot` (it restarted with the same id within its heartbeat
    window). An unknown node or boot is not taken as a restart: silence is judged by the heartbeat's expiry."""
    now = boots.get(node, "")
    return bool(boot) and bool(now) and now != boot


class RoutedCallService:
    """CallService for one node of many: local calls for owned rooms, relaying for the others."""

    def __init__(self, local: LocalCalls, bus: Bus, tokens: TokenService, node_id: str | None = None,
                 load: Callable[[], NodeLoad] | None = None, node_ttl_s: int = NODE_TTL_S,
                 relayed_join_wait_s: float = RELAYED_JOIN_WAIT_S) -> None:
        self._local = local
        self._relayed_join_wait_s = relayed_join_wait_s
        self._node_ttl_s = node_ttl_s
        self._load = load  # this node's load now (None: every room stays where its first join arrives)
        self._loads: dict[str, NodeLoad] = {}  # live nodes' loads as of the latest heartbeat
        self._bus = bus
        self._tokens = tokens
        self.node_id = node_id or uuid.uuid4().hex[:12]
        # New at every process start: peers see a restart under the same node id at its first heartbeat, without
        # waiting for the old incarnation's heartbeat to expire.
        self.boot_id = uuid.uuid4().hex[:12]
        self._boots: dict[str, str] = {}  # live nodes' boot ids as of the latest heartbeat
        self._remote: dict[tuple[str, str], _Remote] = {}  # (session, participant) -> relay state
        self._served: dict[str, _Served] = {}  # conn id -> participant relayed to a room here
        self._owned: set[str] = set()
        self._links: dict[tuple[str, str], ClientLink] = {}  # relayed participants' browser links
        self._moved: set[tuple[str, str]] = set()  # relayed participants told to reconnect (their owner died)
        self._inbox: Subscription | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self.draining = False
        self._actions: dict[str, RoomAction] = {}
        self._undelivered: collections.deque[_Undelivered] = collections.deque()
        # Inbox events run one after another per room (a relayed participant's join before their messages), rooms
        # side by side: one slow join must not hold up every other room's joins and messages.
        self._lanes: dict[str, collections.deque[Callable[[], Awaitable[None]]]] = {}
        self._lane_runs: set[asyncio.Task[None]] = set()
        self._conn_rooms: dict[str, str] = {}  # relayed conn id -> its room, from its join's arrival

    async def start(self) -> None:
        """Listen on this node's inbox and keep owned rooms claimed."""
        if not await self._bus.ping():
            raise BusUnavailable("the bus does not answer")
        self._inbox = await self._bus.subscribe(f"node:{self.node_id}", self._on_inbox)
        self._bus.on_reconnect(self._reclaim)
        self._refresher = asyncio.create_task(self._refresh(), name="room-claims")
        await self._beat()
        self._watcher = asyncio.create_task(self._watch(), name="node-liveness")

    async def stop(self) -> None:
        """Stop listening and give up owned rooms."""
        for task in (self._refresher, self._watcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._inbox is not None:
            await self._inbox.close()
        for run in list(self._lane_runs):
            run.cancel()
        for remote in self._remote.values():
            await remote.subscription.close()
        for session_id in list(self._owned):
            with contextlib.suppress(BusUnavailable):
                await self._bus.release_room(session_id, self.node_id)

    @property
    def cluster_loads(self) -> dict[str, NodeLoad]:
        """Every live node's load as of this node's latest heartbeat."""
        return dict(self._loads)

    async def announce_load(self) -> None:
        """Publish this node's load now (not at the next heartbeat): e.g. that it is draining."""
        with contextlib.suppress(BusUnavailable):
            await self._beat()

    async def drain(self) -> None:
        """Stopping: give every room up first, so participants told to reconnect land on a live node; the
        participants relayed through this node to calls elsewhere are told to reconnect too."""
        self.draining = True
        for key, remote in list(self._remote.items()):
            self._remote.pop(key, None)
            await remote.subscription.close()
            # the owner drops them now, so their rejoin is not refused as a second customer
            await self._publish_reliably(f"node:{remote.owner}", nm.encode(nm.LeaveVia(conn=remote.conn_id)))
            link = self._links.pop(key, None)
            if link is not None:
                await link.send(m.Reconnect(reason="server_draining", retry_after_ms=RECONNECT_AFTER_MS))
                await link.close("server draining")
        for session_id in list(self._owned):
            with contextlib.suppress(BusUnavailable):
                await self._bus.release_room(session_id, self.node_id)
        self._owned.clear()

    def _may_judge(self) -> bool:
        # Redis may come back empty: until every node had time to heartbeat again, nobody is judged dead.
        return self._bus.up_for_s >= self._node_ttl_s + 2 * HEARTBEAT_EVERY_S

    async def _reclaim(self) -> None:
        """After Redis came back (perhaps empty): claim again every room whose call runs here."""
        await self._beat()
        await self._flush_undelivered()
        for session_id in list(self._owned):
            if not self._local.is_live(session_id):
                self._owned.discard(session_id)
                continue
            owner = await self._bus.claim_room(session_id, self.node_id, ROOM_TTL_S)
            if owner != self.node_id:
                log.error("node %s: room %s was claimed by node %s while Redis was away", self.node_id, session_id,
                          owner)

    async def _beat(self) -> None:
        """Heartbeat with this node's boot id and load, and learn every live node's."""
        payload = (dataclasses.replace(self._load(), boot_id=self.boot_id).to_json() if self._load is not None
                   else json.dumps({"boot_id": self.boot_id}))
        await self._bus.heartbeat(self.node_id, self._node_ttl_s, payload)
        loads: dict[str, NodeLoad] = {}
        boots: dict[str, str] = {}
        for node, raw in (await self._bus.node_loads()).items():
            with contextlib.suppress(ValueError, AttributeError):
                boots[node] = str(json.loads(raw).get("boot_id", ""))
            # a node without a load (or of an older version) is not offered new rooms
            with contextlib.suppress(ValueError, KeyError, TypeError):
                loads[node] = NodeLoad.from_json(raw)
        self._loads, self._boots = loads, boots

    def _place(self) -> str:
        """The node a new room should run on (ProtocolError when every node is full or draining)."""
        if self._load is None:
            return self.node_id
        loads = {**self._loads, self.node_id: self._load()}
        choice = choose_node(loads.values(), self.node_id)
        if choice is None:
            raise m.ProtocolError(*NO_CAPACITY)
        if choice != self.node_id:
            self._loads[choice] = loads[choice].with_one_more_call()  # until its next heartbeat says
        return choice

    # -- CallService -----------------------------------------------------------------------------------

    async def join(self, link: ClientLink, claims: Claims, join: m.Join) -> str:
        """Join locally if this node owns (or now claims) the room, else relay to the owner.

        A room nobody owns yet is placed on the least-loaded live node that accepts rooms.
        """
        if self.draining:
            raise m.ProtocolError(*DRAINING)
        try:
            owner, placed = await self._owner_for(join.session_id)
            if owner != self.node_id:
                try:
                    return await self._join_remote(link, claims, join, owner)
                except _NoAnswer:
                    # A node chosen for this new room a moment ago is gone or stuck: run the room here instead.
                    if not placed or await self._take_over(join.session_id, owner) != self.node_id:
                        raise
        except BusUnavailable:
            if self._local.is_live(join.session_id):  # the call runs here: Redis is not needed to join it
                return await self._local.join(link, claims, join)
            raise m.ProtocolError(*BUS_DOWN_JOIN) from None
        self._owned.add(join.session_id)
        return await self._local.join(link, claims, join)

    async def _owner_for(self, session_id: str) -> tuple[str, bool]:
        """The node to run the room on (its owner; a placement for a new room, flagged; this node for a dead
        owner's room)."""
        owner = await self._bus.room_owner(session_id)
        placed = False
        if owner is None:
            target = self._place()
            owner = await self._bus.claim_room(session_id, target, ROOM_TTL_S)
            placed = owner == target
        # Redis is asked only when the latest heartbeat did not show the owner (no round trip per relayed join).
        if owner != self.node_id and self._may_judge() and owner not in self._boots \
                and not await self._bus.alive({owner}):
            # The owner stopped heart-beating: re-home the room here (the session goes on, findings are stored).
            owner = await self._take_over(session_id, owner)
        return owner, placed

    async def _take_over(self, session_id: str, dead: str) -> str:
        owner = await self._bus.take_over_room(session_id, dead, self.node_id, ROOM_TTL_S)
        if owner == self.node_id:
            log.warning("node %s: took over room %s from node %s", self.node_id, session_id, dead)
        return owner

    async def handle(self, session_id: str, participant_id: str, message: m.ClientMessage) -> None:
        """Act locally, or forward to the owner."""
        remote = self._remote.get((session_id, participant_id))
        if remote is None:
            await self._local.handle(session_id, participant_id, message)
            return
        try:
            await self._bus.publish(f"node:{remote.owner}", nm.encode(nm.MessageVia(conn=remote.conn_id,
                                                                                   message=message)))
        except BusUnavailable:
            raise m.ProtocolError(*BUS_DOWN_MESSAGE) from None

    async def leave(self, session_id: str, participant_id: str) -> None:
        """The browser's connection closed."""
        remote = self._remote.pop((session_id, participant_id), None)
        self._links.pop((session_id, participant_id), None)
        if (session_id, participant_id) in self._moved:
            self._moved.discard((session_id, participant_id))
            return
        if remote is None:
            await self._local.leave(session_id, participant_id)
            return
        await remote.subscription.close()
        # Reliably: a leave lost in an outage would leave a ghost in the owner's room.
        await self._publish_reliably(f"node:{remote.owner}", nm.encode(nm.LeaveVia(conn=remote.conn_id)))

    # -- messages that must survive a short outage ------------------------------------------------------

    async def _publish_reliably(self, channel: str, data: str) -> None:
        """Publish now, or hold the message (in order) until Redis is back and someone listens on the channel."""
        if not self._undelivered:
            try:
                await self._bus.publish(channel, data)
                return
            except BusUnavailable:
                log.warning("node %s: bus down; holding messages until it is back", self.node_id)
        if len(self._undelivered) >= UNDELIVERED_MAX:
            lost = self._undelivered.popleft()
            log.error("node %s: too many messages held during the outage; one to %s was dropped", self.node_id,
                      lost.channel)
        self._undelivered.append(_Undelivered(channel, data, time.monotonic()))

    async def _flush_undelivered(self) -> None:
        """Send held messages in order; stop at the first that Redis refuses or that nobody receives yet."""
        while self._undelivered:
            held = self._undelivered[0]
            try:
                receivers = await self._bus.publish(held.channel, held.data)
            except BusUnavailable:
                return
            if receivers == 0 and time.monotonic() - held.since < UNDELIVERED_KEEP_S:
                return  # that node has not subscribed again yet: try on the next heartbeat
            if receivers == 0:
                log.warning("node %s: a message held for %s reached nobody; dropped", self.node_id, held.channel)
            self._undelivered.popleft()

    # -- REST actions on a room, wherever it runs -------------------------------------------------------

    def register_action(self, name: str, action: RoomAction) -> None:
        """An action (end the session, push a finding) that must run on the node running the room."""
        self._actions[name] = action

    async def act(self, name: str, session_id: str, args: dict[str, Any]) -> dict[str, Any]:
        """Run a registered action here if the room is live here, else on its owner over the bus; its result.

        Raises RoomActionError when the action is refused, BusUnavailable when the owner cannot be reached.
        """
        if self._local.is_live(session_id):
            return await self._actions[name](session_id, args)
        owner = await self._bus.room_owner(session_id)
        if owner is None or owner == self.node_id:
            return await self._actions[name](session_id, args)  # no live call anywhere: the local action says so
        return await self._ask(owner, name, session_id, args)

    async def _ask(self, owner: str, name: str, session_id: str, args: dict[str, Any]) -> dict[str, Any]:
        reply_id = uuid.uuid4().hex
        answer: asyncio.Future[nm.ActionReply] = asyncio.get_running_loop().create_future()

        async def on_reply(raw: str) -> None:
            try:
                reply = nm.ActionReply.model_validate_json(raw)
            except ValidationError as exc:
                log.warning("node %s: malformed reply to action %s on session %s dropped: %s", self.node_id, name,
                            session_id, nm.what_failed(exc))
                return
            if not answer.done():
                answer.set_result(reply)

        subscription = await self._bus.subscribe(f"reply:{reply_id}", on_reply)
        try:
            await self._bus.publish(f"node:{owner}", nm.encode(
                nm.RoomActionCall(name=name, session=session_id, args=args, reply=reply_id)))
            reply = await asyncio.wait_for(answer, ACTION_REPLY_TIMEOUT_S)
        except TimeoutError:
            raise RoomActionError("node_unavailable", "The server running this call did not answer; try again.",
                                  503) from None
        finally:
            await subscription.close()
        if reply.error is not None:
            raise RoomActionError(reply.error.code, reply.error.message, reply.error.status)
        return dict(reply.result or {})

    async def _run_action(self, call: nm.RoomActionCall) -> None:
        """Owner side of act(): run the action, answer on its reply channel (if the caller waits for one)."""
        action = self._actions.get(call.name)
        reply: nm.ActionReply
        if action is None:
            log.warning("node %s: unknown room action %r refused", self.node_id, call.name)
            reply = nm.ActionReply(error=nm.ActionRefusal(code="unknown_action", status=501,
                                                          message=f"No action {call.name!r} on this server."))
        else:
            try:
                reply = nm.ActionReply(result=await action(call.session, dict(call.args)))
            except RoomActionError as exc:
                reply = nm.ActionReply(error=nm.ActionRefusal(code=exc.code, message=exc.message, status=exc.status))
            except Exception:
                log.exception("node %s: room action %s failed", self.node_id, call.name)
                reply = nm.ActionReply(error=nm.ActionRefusal(
                    code="action_failed", message="The server running this call could not do that; try again.",
                    status=500))
        if call.reply:
            await self._publish_reliably(f"reply:{call.reply}", nm.encode(reply))

    # -- relay side ------------------------------------------------------------------------------------

    async def _join_remote(self, link: ClientLink, claims: Claims, join: m.Join, owner: str) -> str:
        conn_id = uuid.uuid4().hex
        first: asyncio.Future[nm.ToRelay] = asyncio.get_running_loop().create_future()
        queued: asyncio.Future[str] = asyncio.get_running_loop().create_future()  # the owner's boot id

        async def from_owner(raw: str) -> None:
            try:
                event = nm.to_relay.validate_json(raw)
            except ValidationError as exc:
                log.warning("node %s: malformed message from owner %s for session %s dropped: %s", self.node_id,
                            owner, join.session_id, nm.what_failed(exc))
                return
            if not queued.done():
                queued.set_result(event.boot)
            if isinstance(event, nm.JoinQueued):
                return
            if not first.done():
                first.set_result(event)
            elif isinstance(event, nm.CloseParticipant):
                await link.close(event.reason)
            else:
                await link.send(event.data)

        subscription = await self._bus.subscribe(f"conn:{conn_id}", from_owner)
        # The bearer token never crosses the bus (anyone reading Redis could replay it): this node verified it,
        # the owner gets what it said.
        try:
            await self._bus.publish(f"node:{owner}", nm.encode(nm.JoinVia(
                conn=conn_id, relay=self.node_id, relay_boot=self.boot_id, claims=claims,
                join=nm.RelayedJoin(session_id=join.session_id, name=join.name))))
        except BusUnavailable:
            await subscription.close()
            raise m.ProtocolError(*BUS_DOWN_JOIN) from None
        try:
            event = await self._owner_answer(owner, queued, first)
        except (TimeoutError, m.ProtocolError) as exc:
            await subscription.close()
            await self._publish_reliably(f"node:{owner}", nm.encode(nm.LeaveVia(conn=conn_id)))
            if isinstance(exc, m.ProtocolError):
                raise
            raise _NoAnswer(*NO_ANSWER) from None
        welcome = event.data if isinstance(event, nm.ForParticipant) else None
        if not isinstance(welcome, m.Welcome):
            await subscription.close()
            if isinstance(welcome, m.ErrorMessage):
                raise m.ProtocolError(welcome.code, welcome.message, welcome.retry_after_ms)
            raise m.ProtocolError("join_failed", "The call could not be joined.")
        self._remote[(join.session_id, welcome.participant_id)] = _Remote(conn_id, owner, subscription, event.boot)
        self._links[(join.session_id, welcome.participant_id)] = link
        await link.send(welcome)
        return welcome.participant_id

    async def _owner_answer(self, owner: str, queued: asyncio.Future[str],
                            first: asyncio.Future[nm.ToRelay]) -> nm.ToRelay:
        """The owner's answer to a relayed join. An owner that does not even say it has the join within
        JOIN_REPLY_TIMEOUT_S is dead or stuck (TimeoutError: refused at once); one that did is alive and slow, and
        is waited for while it keeps heart-beating under the same boot id (ProtocolError when it stops)."""
        await asyncio.wait_for(asyncio.shield(queued), JOIN_REPLY_TIMEOUT_S)
        boot = queued.result()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._relayed_join_wait_s
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError
            try:
                return await asyncio.wait_for(asyncio.shield(first), min(HEARTBEAT_EVERY_S, left))
            except TimeoutError:
                # The latest heartbeat's view, no Redis round trip per waiting join: gone, or another incarnation.
                if (self._may_judge() and owner not in self._boots) or restarted(owner, boot, self._boots):
                    raise m.ProtocolError(*OWNER_LOST) from None

    # -- owner side ------------------------------------------------------------------------------------

    async def _on_inbox(self, raw: str) -> None:
        try:
            event = nm.to_node.validate_json(raw)
        except ValidationError as exc:
            # Never raised into the bus's dispatcher: one bad message must not stop this node's inbox.
            await self._drop_malformed(raw, exc)
            return
        if isinstance(event, nm.RoomActionCall):
            self._in_lane(event.session, lambda: self._run_action(event))
            return
        link = _BusLink(self._publish_reliably, f"conn:{event.conn}", self.boot_id)
        if isinstance(event, nm.JoinVia):
            self._conn_rooms[event.conn] = event.join.session_id
            # Said at once, before the join waits its turn: the relay then knows this node is alive, only busy.
            await link.send_raw(nm.JoinQueued(boot=self.boot_id))
            self._in_lane(event.join.session_id, lambda: self._serve_join(link, event))
            return
        room = self._conn_rooms.get(event.conn)
        self._in_lane(room if room is not None else f"conn:{event.conn}", lambda: self._on_relayed(link, event))

    def _in_lane(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run work after the earlier inbox events of the same room, alongside other rooms'."""
        lane = self._lanes.get(key)
        if lane is not None:
            lane.append(work)
            return
        lane = self._lanes[key] = collections.deque([work])
        run = asyncio.create_task(self._run_lane(key, lane), name=f"inbox:{key}")
        self._lane_runs.add(run)
        run.add_done_callback(self._lane_runs.discard)

    async def _run_lane(self, key: str, lane: collections.deque[Callable[[], Awaitable[None]]]) -> None:
        try:
            while lane:
                work = lane.popleft()
                try:
                    await work()
                except Exception:
                    log.exception("node %s: an inbox event of %s failed", self.node_id, key)
        finally:
            if self._lanes.get(key) is lane:
                del self._lanes[key]

    async def _on_relayed(self, link: _BusLink, event: nm.MessageVia | nm.LeaveVia) -> None:
        """A relayed participant's message or leave, in its room's order."""
        served = self._served.get(event.conn)
        if served is None:
            if isinstance(event, nm.LeaveVia):
                self._conn_rooms.pop(event.conn, None)
            if isinstance(event, nm.MessageVia):  # not (or no longer) in a room here, e.g. removed as a ghost
                await link.send(m.Reconnect(reason="server_lost", retry_after_ms=RECONNECT_AFTER_MS))
                await link.close("not in the call")
            return
        session_id, participant_id = served.session_id, served.participant_id
        if isinstance(event, nm.LeaveVia):
            del self._served[event.conn]
            self._conn_rooms.pop(event.conn, None)
            await self._local.leave(session_id, participant_id)
            return
        try:
            await self._local.handle(session_id, participant_id, event.message)
        except m.ProtocolError as exc:
            await link.send(exc.to_message())

    async def _drop_malformed(self, raw: str, exc: ValidationError) -> None:
        """Log a bus message that failed validation, with its session, and drop it; a join is refused."""
        session = nm.session_hint(raw)
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            served = self._served.get(str(json.loads(raw).get("conn")))
            session = served.session_id if served is not None else session
        log.warning("node %s: malformed bus message for session %s dropped: %s", self.node_id, session,
                    nm.what_failed(exc))
        conn = ""
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            data = json.loads(raw)
            conn = str(data["conn"]) if data.get("op") == "join" and isinstance(data.get("conn"), str) else ""
        if conn:  # the relay is waiting for an answer: tell its participant now rather than after its timeout
            await _BusLink(self._publish_reliably, f"conn:{conn}", self.boot_id).send(m.ErrorMessage(
                code="join_failed", message="The call could not be joined.", fatal=True))

    async def _serve_join(self, link: _BusLink, event: nm.JoinVia) -> None:
        session_id = event.join.session_id
        if self.draining:
            if not self._local.is_live(session_id):
                with contextlib.suppress(BusUnavailable):  # placed here just before the drain: free it
                    await self._bus.release_room(session_id, self.node_id)
            self._conn_rooms.pop(event.conn, None)
            await link.send(m.ErrorMessage(code=DRAINING[0], message=DRAINING[1], fatal=True))
            return
        try:
            claims = relayed_claims(event.claims, session_id)
            participant_id = await self._local.join(link, claims, event.join.to_join())
            self._owned.add(session_id)
        except TokenError as exc:
            self._conn_rooms.pop(event.conn, None)
            await link.send(m.ErrorMessage(code=exc.code, message=exc.message, fatal=True))
            return
        except m.ProtocolError as exc:
            self._conn_rooms.pop(event.conn, None)
            await link.send(exc.to_message(fatal=True))
            return
        self._served[event.conn] = _Served(session_id, participant_id, event.relay, event.relay_boot)

    async def _watch(self) -> None:
        """Heartbeat; move relayed participants off dead (or restarted) owners and remove ghosts relayed through
        dead (or restarted) nodes."""
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY_S)
            try:
                await self._beat()
                await self._flush_undelivered()
                peers = {r.owner for r in self._remote.values()} | {s.relay for s in self._served.values() if s.relay}
                dead = peers - await self._bus.alive(peers) if self._may_judge() else set()
                # A restart is seen at once (a new boot id), also while Redis may have come back empty.
                if dead or any(restarted(r.owner, r.owner_boot, self._boots) for r in self._remote.values()) or \
                        any(restarted(s.relay, s.relay_boot, self._boots) for s in self._served.values()):
                    await self._bury(dead)
            except BusUnavailable:
                continue  # Redis away: nobody can be judged dead; the bus reconnects by itself
            except Exception:
                log.exception("node %s: liveness check failed", self.node_id)

    async def _bury(self, dead: set[str]) -> None:
        """Let go of what ran on dead nodes and on the former incarnations of restarted ones."""
        for key, remote in list(self._remote.items()):
            if remote.owner not in dead and not restarted(remote.owner, remote.owner_boot, self._boots):
                continue
            log.warning("node %s: owner %s of room %s is dead or restarted; its participant is told to reconnect",
                        self.node_id, remote.owner, key[0])
            self._remote.pop(key, None)
            self._moved.add(key)
            await remote.subscription.close()
            # Should the owner only have been slow, not dead, it must not keep a ghost of this participant.
            with contextlib.suppress(BusUnavailable):
                await self._bus.publish(f"node:{remote.owner}", json.dumps({"op": "leave", "conn": remote.conn_id}))
            link = self._links.pop(key, None)
            if link is not None:
                await link.send(m.Reconnect(reason="server_lost", retry_after_ms=RECONNECT_AFTER_MS))
                await link.close("server lost")
        for conn_id, served in list(self._served.items()):
            if served.relay in dead or restarted(served.relay, served.relay_boot, self._boots):
                log.warning("node %s: relay node %s is dead or restarted; removing %s from room %s", self.node_id,
                            served.relay, served.participant_id, served.session_id)
                del self._served[conn_id]
                self._conn_rooms.pop(conn_id, None)
                await self._local.leave(served.session_id, served.participant_id)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_EVERY_S)
            try:
                await self._refresh_claims()
            except BusUnavailable:
                log.warning("node %s: Redis away; room claims are made again when it is back", self.node_id)
            except Exception:
                log.exception("node %s: could not refresh its room claims", self.node_id)

    async def _refresh_claims(self) -> None:
        """Extend the claims of the rooms live here (in batches: one round trip per REFRESH_BATCH rooms, not two per
        room, so thousands of rooms are refreshed well within their TTL); give up those no longer live."""
        live = [s for s in self._owned if self._local.is_live(s)]
        for session_id in [s for s in self._owned if not self._local.is_live(s)]:
            self._owned.discard(session_id)
            await self._bus.release_room(session_id, self.node_id)
        for i in range(0, len(live), REFRESH_BATCH):
            await self._bus.refresh_rooms(live[i:i + REFRESH_BATCH], self.node_id, ROOM_TTL_S)
