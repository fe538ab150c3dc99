"""Runs live calls: rooms (signaling state), their media, recording and analysis; implements CallService."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import uuid
from collections import deque
from collections.abc import Mapping
from typing import Any

from aiortc import RTCIceServer

from diagnostics.finding import Finding
from media.call import CallMedia
from media.frames import EncodedFrame
from media.ice import CandidateError
from media.peer import NegotiationError
from media.recorder import EmptyRecording, SessionRecorder
from signaling import annotation as a
from signaling import messages as m
from signaling import room as r
from signaling.join_gate import JoinGate
from signaling.service import ClientLink
from signaling.tokens import Claims, Role
from tickets.errors import ConflictError, InvalidInputError, NotFoundError
from tickets.records import FindingRecord, SessionEventKind, SessionEventRecord
from tickets.store import TicketStore
from vocabulary import ActorRole, FindingSource, ParticipantRole
from web.common_api import finding_view
from web.scans_api import StillMeta, StillRefused

from .analysis_pool import AnalysisPool, CallAnalysis, ScanReading
from .autoscan import AutoScanPolicy
from .chat_history import chat_history
from .findings import new_finding
from .guidance_pool import CallGuidance, GuidancePool
from .guide import FrozenFrame, TrackedPoses
from .live import CallOptions, LiveCall, ScanInProgress
from .recordings import store_recording

log = logging.getLogger(__name__)

JOIN_ATTEMPTS = 3  # a join that finds its call tearing down looks again this often before asking to retry
POINTER_MIN_INTERVAL_S = 0.04  # laser-dot updates closer than this are dropped (pages send ~12/s)
FREEZE_TIMEOUT_S = 10.0  # a freeze whose frame has not come from the worker by then has failed
RECONNECT_AFTER_MS = 500  # a stopping node's participants rejoin through the load balancer after this


class CallManager:
    """The CallService the WebSocket endpoint talks to."""

    def __init__(self, store: TicketStore, options: CallOptions, analysis_pool: AnalysisPool,
                 guidance: GuidancePool | None = None, join_gate: JoinGate | None = None) -> None:
        self._store = store
        self.join_gate = join_gate if join_gate is not None else JoinGate()  # joins worked on at once, the rest queue
        self._opts = options
        self._analysis_pool = analysis_pool
        self._guidance = guidance if guidance is not None else GuidancePool()  # its worker starts on first use
        self._background: set[asyncio.Future[None]] = set()
        self._calls: dict[str, LiveCall] = {}
        self._making: dict[str, asyncio.Future[LiveCall]] = {}  # calls being made, by session id
        self.findings_total = 0
        self.recent_findings: deque[tuple[str, float]] = deque(maxlen=256)  # (code, monotonic commit time)

    def recording_offset(self, session_id: str) -> float | None:
        """Seconds into the session's live recording right now (None if not recording)."""
        call = self._calls.get(session_id)
        if call is None or call.recorder is None:
            return None
        return call.recorder.offset_of(time.monotonic())

    async def record_event(self, session_id: str, kind: SessionEventKind, payload: Mapping[str, Any], actor: str, *,
                           moment: float | None = None) -> SessionEventRecord:
        """Put one session event on the record, at its moment in the session's live recording.

        actor: a participant id of the call (its role and name are looked up) or signaling.room.SERVER;
        moment: the time.monotonic() instant it happened (default now; a tracker passes its frame's arrival).
        The offset is computed as findings' offsets are. Raises ProtocolError (invalid_event, session_ended)."""
        call = self._calls.get(session_id)
        role: ActorRole = "server"
        name = "lensdesk"
        if actor != r.SERVER:
            participant = call.room.participants.get(actor) if call is not None else None
            if participant is not None:
                role, name = participant.role, participant.name
            else:  # left already: the store still knows who it was
                stored = await self._store.get_participant(session_id, actor)
                if stored is None:
                    raise m.ProtocolError("not_joined", "Only participants of the call can put events on its record.")
                role = "customer" if stored.role == "customer" else "technician"
                name = stored.name
        offset_ms = None
        if call is not None and call.recorder is not None:
            offset_ms = round(call.recorder.offset_of(time.monotonic() if moment is None else moment) * 1000)
        try:
            return await self._store.session_events.add(session_id, kind, dict(payload), actor_role=role, actor=actor,
                                                        actor_name=name, offset_ms=offset_ms)
        except InvalidInputError as exc:
            raise m.ProtocolError("invalid_event", f"{exc.field}: {exc.message}") from exc
        except (ConflictError, NotFoundError) as exc:
            raise m.ProtocolError("session_ended", "This support session has ended.") from exc

    async def _with_stored_image(self, call: LiveCall, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A freeze's payload with its image stored (data_dir/freezes, sealed with the at-rest key if set) and
        named instead of inlined; without the image if it cannot be stored (the freeze stays on the record)."""
        out = dict(payload)
        image = str(out.pop(a.FREEZE_IMAGE, ""))
        try:
            stored = await asyncio.to_thread(self._store.freezes.write, base64.b64decode(image, validate=True))
        except (ValueError, InvalidInputError, OSError) as exc:
            log.warning("session %s: the image of freeze %s is not stored: %s", call.session_id,
                        out.get("freeze_id"), exc)
            return out
        out["image_file"] = stored.file_name
        return out

    @property
    def analysis_pool(self) -> AnalysisPool:
        """The analysis workers calls hand their frames to."""
        return self._analysis_pool

    @property
    def background_tasks(self) -> int:
        """Background work (finding commits, scans) still running."""
        return len(self._background)

    def is_live(self, session_id: str) -> bool:
        """A call for this session runs on this node."""
        return session_id in self._calls

    @property
    def calls(self) -> dict[str, LiveCall]:
        """Running calls by session id."""
        return self._calls

    # -- CallService --------------------------------------------------------------------------------

    async def join(self, link: ClientLink, claims: Claims, join: m.Join) -> str:
        """Admit a participant into the session's room (creating the call on first join)."""
        role: ParticipantRole = "customer" if claims.role is Role.CUSTOMER else "technician"
        pid = f"{role[0]}-{uuid.uuid4().hex[:10]}"
        name = join.name or claims.name or role.title()
        async with self.join_gate.turn():
            for _ in range(JOIN_ATTEMPTS):
                call = await self._call_for(join.session_id)
                async with call.lock:
                    if call.closing:
                        continue  # the last participant left while we waited: the next lookup makes a fresh call
                    await self._admit(call, link, claims, pid, role, name)
                    log.info("session %s: %s %s joined as %s", call.session_id, role, name, pid)
                    return pid
        raise m.ProtocolError("call_restarting", "The call is restarting after everyone left; try again in a moment.")

    async def _admit(self, call: LiveCall, link: ClientLink, claims: Claims, pid: str, role: ParticipantRole,
                     name: str) -> None:
        call.links[pid] = link
        call.roles[pid] = role
        actions = call.room.handle(r.Joined(pid, role, name, self._ice_servers_for(pid, claims)))
        if any(isinstance(a, r.Reject) and a.to == pid for a in actions):
            call.links.pop(pid, None)
            call.roles.pop(pid, None)
            rejection = next(a for a in actions if isinstance(a, r.Reject))
            raise m.ProtocolError(rejection.code, rejection.message)
        await self._store.add_participant(call.session_id, participant_id=pid, role=role, name=name,
                                          token_family=claims.family, ticket_id=call.ticket_id)
        await self._run(call, actions, actor_subject=claims.subject)

    def _ice_servers_for(self, participant_id: str, claims: Claims) -> tuple[m.IceServer, ...]:
        """STUN servers and this participant's own TURN credentials, expiring with its credentials."""
        turn = self._opts.turn
        own = turn.issue(participant_id, self._opts.credential_deadline(claims)) if turn is not None else []
        return (*self._opts.participant_ice_servers, *own)

    def _server_ice_servers(self) -> tuple[RTCIceServer, ...]:
        """The server's own ICE servers: configured STUN, plus TURN credentials of its own when asked to."""
        turn = self._opts.turn
        if turn is None or not self._opts.turn_for_server:
            return self._opts.ice_servers
        own = turn.issue(f"lensdesk-server-{uuid.uuid4().hex[:8]}", time.time() + turn.max_ttl_s)
        return (*self._opts.ice_servers,
                *(RTCIceServer(urls=s.urls, username=s.username, credential=s.credential) for s in own))

    async def handle(self, session_id: str, participant_id: str, message: m.ClientMessage) -> None:
        """Offers and ICE go to media; everything else to the room state machine."""
        call = self._calls.get(session_id)
        if call is None or participant_id not in call.roles:
            raise m.ProtocolError("not_joined", "Join the session first.")
        role = call.roles[participant_id]
        if isinstance(message, m.Offer):
            await self._start_recording(call)
            offer, refused = self._opts.candidates.filter_sdp(message.sdp)
            try:
                sdp = await call.media.handle_offer(participant_id, role, offer)
            except NegotiationError as exc:
                raise m.ProtocolError("negotiation_failed", str(exc)) from exc
            await call.links[participant_id].send(m.Answer(sdp=sdp))
            if refused:
                # Not an error for the page: browsers list private host candidates as a matter of course.
                log.info("session %s: ignored %d ICE candidate(s) of %s naming addresses the server does not "
                         "contact", call.session_id, len(refused), participant_id)
            return
        if isinstance(message, m.IceCandidate):
            try:
                if message.candidate:
                    self._opts.candidates.check(message.candidate)
                await call.media.add_candidate(participant_id, message.candidate, message.sdpMid,
                                               message.sdpMLineIndex)
            except CandidateError as exc:
                raise m.ProtocolError(exc.code, exc.message) from exc
            except (ValueError, IndexError) as exc:
                raise m.ProtocolError("invalid_candidate", "The ICE candidate could not be parsed.") from exc
            return
        if isinstance(message, m.Join | m.Ping):
            return
        if isinstance(message, m.ShareFinding):
            await self._share(call, participant_id, message.finding_id)
            return
        if isinstance(message, m.ScanRequest):
            await self._ask_scan(call, participant_id, "technician")
            return
        if isinstance(message, m.PointerMove) and message.visible:
            now, last = time.monotonic(), call.guidance.pointer_at.get(participant_id, 0.0)
            if now - last < POINTER_MIN_INTERVAL_S:
                return  # a dot this soon after the last one adds nothing the pages can show
            call.guidance.pointer_at[participant_id] = now
        async with call.lock:
            await self._run(call, call.room.handle(r.Said(participant_id, message)))

    async def leave(self, session_id: str, participant_id: str) -> None:
        """A connection went away."""
        call = self._calls.get(session_id)
        if call is None:
            return
        async with call.lock:
            call.links.pop(participant_id, None)
            await self._run(call, call.room.handle(r.Left(participant_id)))
            call.roles.pop(participant_id, None)
            await call.media.remove(participant_id)
            empty = not call.room.participants
            if empty:
                self._retire(call)  # under the lock: a join waiting for it sees `closing` and starts afresh
        if empty:
            await self._finish(call, ended=False)

    # -- lifecycle ------------------------------------------------------------------------------------

    async def end_session(self, session_id: str, actor: str) -> None:
        """End a session from outside the call (REST): close everyone's connection."""
        call = self._calls.get(session_id)
        if call is not None:
            for link in list(call.links.values()):
                await link.send(m.Ended(reason="ended_by_technician"))
                await link.close("ended")
            await self._finish(call, ended=True, actor=actor)

    async def close(self) -> None:
        """Server shutdown: tell everyone to reconnect (the session goes on on another node), finalise every call."""
        for call in list(self._calls.values()):
            for link in list(call.links.values()):
                await link.send(m.Reconnect(reason="server_draining", retry_after_ms=RECONNECT_AFTER_MS))
                await link.close("server draining")
            await self._finish(call, ended=False)
        await asyncio.to_thread(self._guidance.close)

    async def _call_for(self, session_id: str) -> LiveCall:
        """The session's live call, made on its first join; joins of one session wait for one making, joins of
        other sessions do not wait for it (a node-wide lock made every new call wait for the others' reads)."""
        call = self._calls.get(session_id)
        if call is not None:
            return call
        making = self._making.get(session_id)
        if making is None:
            making = self._making[session_id] = asyncio.ensure_future(self._new_call(session_id))
            making.add_done_callback(lambda _: self._making.pop(session_id, None))
        return await asyncio.shield(making)

    async def _new_call(self, session_id: str) -> LiveCall:
        """Read the session and its chat history, make its room and media."""
        record = await self._store.get_session(session_id)
        if record is None:
            raise m.ProtocolError("session_not_found", "This support session does not exist.")
        if record.status == "ended":
            raise m.ProtocolError("session_ended", "This support session has ended.")
        media = (self._opts.media_factory(session_id) if self._opts.media_factory is not None else
                 CallMedia(session_id, video_codec=self._opts.video_codec, drop_rate=self._opts.drop_rate,
                           ice_servers=self._server_ice_servers(), candidates=self._opts.candidates,
                           relay_mode=self._opts.relay_mode))
        room = r.Room(session_id, recording=self._opts.recording_enabled)
        room.chat.seed(chat_history(await self._store.session_events.for_session(
            session_id, kinds=("chat", "chat_status"))))
        call = LiveCall(session_id, record.ticket_id, room, media,
                        auto_scan=AutoScanPolicy(interval_s=self._opts.auto_scan_interval_s))
        media.add_observer(lambda source, frame: self._analyse(call, source, frame))
        self._calls[session_id] = call
        return call

    def _retire(self, call: LiveCall) -> None:
        """Take the call out of service: new joins for its session get a fresh call."""
        call.closing = True
        if self._calls.get(call.session_id) is call:
            del self._calls[call.session_id]

    async def _start_recording(self, call: LiveCall) -> None:
        """Start the call's recording when media first starts (a join without media leaves no folder or row)."""
        if not self._opts.recording_enabled or call.recording_started or call.closing:
            return
        call.recording_started = True  # before the first await: a second offer must not start another
        # One folder per session, one recording (named by its row id) per stretch of the call.
        folder = self._opts.recordings_dir / call.session_id
        rec = await self._store.add_recording(call.session_id, str(folder), node_id=self._opts.node_id or None)
        if call.finished:  # the call ended while the row was written: nothing will be recorded
            await self._store.mark_recording_empty(rec.id)
            return
        call.recorder = SessionRecorder(folder, rec.id, key=self._opts.at_rest_key)
        call.recorder.start()
        call.recording_id = rec.id
        call.media.add_observer(call.recorder.push)

    async def _finish(self, call: LiveCall, *, ended: bool, actor: str = "technician") -> None:
        self._retire(call)
        if call.finished:
            return
        call.finished = True
        if call.scan is not None and call.scan.timer is not None:
            call.scan.timer.cancel()
        await call.media.close()
        if call.analysis is not None:
            call.analysis.close()
        if call.guide is not None:
            call.guide.close()
        if call.recorder is not None and call.recording_id is not None:
            try:
                info = await call.recorder.close(poster_at=call.first_finding_offset)
                await store_recording(self._store, call.recording_id, info)
            except EmptyRecording:
                log.info("session %s: nothing was recorded", call.session_id)
                await self._store.mark_recording_empty(call.recording_id)
            except Exception:
                log.exception("session %s: finalising the recording failed; it will be recovered at restart",
                              call.session_id)
        if ended:
            await self._store.end_session(call.session_id, actor=actor)
            if self._opts.on_session_ended is not None:
                await self._opts.on_session_ended(call.session_id, actor)

    # -- actions -------------------------------------------------------------------------------------

    async def _run(self, call: LiveCall, actions: list[r.Action], actor_subject: str | None = None) -> None:
        for action in actions:
            if isinstance(action, r.Send):
                link = call.links.get(action.to)
                if link is not None:
                    await link.send(action.message)
            elif isinstance(action, r.Reject):
                link = call.links.get(action.to)
                if link is not None:
                    await link.send(m.ErrorMessage(code=action.code, message=action.message, fatal=action.fatal))
                    if action.fatal:
                        await link.close(action.code)
            elif isinstance(action, r.VideoChanged):
                call.video_active = action.active
                if action.active:
                    call.media.request_keyframe()
                    self._guide_of(call)  # the guidance worker starts now, not on the first freeze
            elif isinstance(action, r.Audit):
                detail: dict[str, Any] = dict(action.detail)
                if actor_subject:
                    detail["subject"] = actor_subject
                await self._store.audit(actor=action.actor, action=action.action, session_id=call.session_id,
                                        ticket_id=call.ticket_id, detail=detail)
            elif isinstance(action, r.ScanStarted):
                self._scan_started(call, action.scan_id)
            elif isinstance(action, a.TrackMarks):
                if not self._guide_of(call).track({mk.id: list(mk.points) for mk in action.marks}):
                    log.warning("session %s: the analysis is overloaded; marks are not followed", call.session_id)
            elif isinstance(action, a.CaptureFreeze):
                self._capture_freeze(call, action.freeze_id)
            elif isinstance(action, r.Record):
                payload = action.payload
                if action.kind == "freeze" and a.FREEZE_IMAGE in payload:
                    payload = await self._with_stored_image(call, payload)
                try:
                    await self.record_event(call.session_id, action.kind, payload,  # type: ignore[arg-type]
                                            action.actor)
                except Exception:
                    if action.kind == "chat":  # not on the record, so not said: no history may show it
                        call.room.chat.forget(int(action.payload["message_id"]))
                    raise  # the sender gets an error; the room's later actions (the relay) do not run
            elif isinstance(action, r.SessionEnded):
                for link in list(call.links.values()):
                    await link.close("ended")
                # Finish outside this action loop (it holds the call's lock); keep the task referenced.
                task = asyncio.ensure_future(self._finish(call, ended=True, actor=action.by))
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    async def _share(self, call: LiveCall, participant_id: str, finding_id: str) -> None:
        if call.roles.get(participant_id) != "technician":
            raise m.ProtocolError("not_allowed", "Only a technician can share a finding.")
        record = await self._store.get_finding(finding_id)
        if record is None or record.ticket_id != call.ticket_id:
            raise m.ProtocolError("finding_not_found", "There is no such finding on this session's ticket.")
        customer = call.room.customer
        if customer is None or customer.id not in call.links:
            raise m.ProtocolError("no_customer", "The customer is not in the call.")
        await call.links[customer.id].send(m.SharedFinding(code=record.code, title=record.title or record.note,
                                                           remedy=record.remedy))
        await self._store.audit(actor=participant_id, action="shared", session_id=call.session_id,
                                ticket_id=call.ticket_id, detail={"finding": record.id, "code": record.code})

    async def announce_finding(self, record: FindingRecord) -> None:
        """Push a finding made outside the live analysis (manual snapshot, dismissal) to the call's technicians."""
        call = self._calls.get(record.session_id)
        if call is not None:
            await self._push_to_technicians(call, m.FindingMessage(finding=finding_view(record)))

    async def _push_to_technicians(self, call: LiveCall, message: m.ServerMessage) -> None:
        for pid, role in list(call.roles.items()):
            link = call.links.get(pid)
            if role == "technician" and link is not None:
                await link.send(message)

    # -- analysis --------------------------------------------------------------------------------------

    def _analysis_of(self, call: LiveCall) -> CallAnalysis:
        if call.analysis is None:
            loop = asyncio.get_running_loop()
            call.analysis = self._analysis_pool.analysis(call.session_id, loop,
                                                      lambda f, arrival: self._found(call, f, arrival),
                                                      call.media.request_keyframe,
                                                      on_pending=lambda pending: self._pending(call, pending),
                                                      on_scan=lambda reading: self._spawn(self._scanned(call, reading)))
        return call.analysis

    def _guide_of(self, call: LiveCall) -> CallGuidance:
        if call.guide is None:
            call.guide = self._guidance.guidance(call.session_id, asyncio.get_running_loop(),
                                                 lambda result: self._guided(call, result), call.media.request_keyframe)
        return call.guide

    def _analyse(self, call: LiveCall, source: str, frame: EncodedFrame) -> None:
        if source != "customer" or frame.kind != "video":
            return
        if call.guide is not None:
            call.guide.feed(frame)
        self._analysis_of(call).feed(frame)

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _found(self, call: LiveCall, finding: Finding, arrival: float) -> None:
        offset = call.recorder.offset_of(arrival) if call.recorder is not None else None
        self._spawn(self._commit_finding(call, finding, offset, "live", finding.snapshot_jpeg))

    async def _commit_finding(self, call: LiveCall, finding: Finding, offset: float | None, source: FindingSource,
                              snapshot: bytes) -> FindingRecord | None:
        if call.first_finding_offset is None:
            call.first_finding_offset = offset
        try:
            record = await self._store.attach_finding(call.session_id, new_finding(
                finding, offset_s=offset, source=source, snapshot_jpeg=snapshot))
        except ConflictError:
            log.info("session %s: finding %s came after the session ended; not attached", call.session_id,
                     finding.code)
            return None
        except Exception:
            log.exception("session %s: could not attach finding %s", call.session_id, finding.code)
            return None
        self.findings_total += 1
        self.recent_findings.append((finding.code, time.monotonic()))
        log.info("session %s: %s finding %s attached to ticket %s", call.session_id, source, finding.code,
                 call.ticket_id)
        await self._push_to_technicians(call, m.FindingMessage(finding=finding_view(record)))
        return record

    # -- annotation: tracker positions and frozen frames -------------------------------------------------

    def _capture_freeze(self, call: LiveCall, freeze_id: str) -> None:
        """Ask the worker for the current frame of a freeze now, and the customer's camera for a full-resolution
        still of it (shown instead when it comes)."""
        g = call.guidance
        if g.freeze_timer is not None:
            g.freeze_timer.cancel()
        if not call.video_active or not self._guide_of(call).freeze(freeze_id):
            reason = "no video is coming from the customer" if not call.video_active else "the analysis is overloaded"
            self._spawn(self._board_event(call, a.FreezeFailed(freeze_id, reason)))
            return
        log.info("session %s: freeze %s asked; guidance dropped %d frames so far", call.session_id, freeze_id,
                 self._guide_of(call).dropped)
        g.freeze_timer = asyncio.get_running_loop().call_later(FREEZE_TIMEOUT_S, lambda: self._spawn(
            self._board_event(call, a.FreezeFailed(freeze_id, "no video frame arrived in time"))))
        freeze = call.room.board.freeze
        if call.room.scan is None and freeze is not None:
            self._spawn(self._ask_scan(call, freeze.by, "freeze"))

    def _guided(self, call: LiveCall, result: TrackedPoses | FrozenFrame) -> None:
        """The worker tracked the marks in a frame, or captured a frame for a freeze (on the event loop)."""
        if self._calls.get(call.session_id) is not call:
            return
        event: a.AnnotationEvent
        if isinstance(result, TrackedPoses):
            call.guidance.tracked += 1
            call.guidance.tracker_cpu_s += result.cpu_s
            event = a.MarksTracked(tuple(m.MarkPosition(id=p.id, h=list(p.h), visible=p.visible)
                                         for p in result.poses))
        elif result.error and result.source == "still":
            log.info("session %s: the freeze's still is not shown: %s", call.session_id, result.error)
            return  # the video frame stays on show
        elif result.error:
            event = a.FreezeFailed(result.freeze_id, result.error)
        else:
            if result.source == "frame" and call.guidance.freeze_timer is not None:
                call.guidance.freeze_timer.cancel()
            log.info("session %s: freeze %s: %dx%d %s (%d bytes base64)", call.session_id, result.freeze_id,
                     result.width, result.height, result.source, len(result.jpeg_b64))
            event = a.FreezeCaptured(result.freeze_id, result.jpeg_b64, result.width, result.height, result.source)
        self._spawn(self._board_event(call, event))

    async def _board_event(self, call: LiveCall, event: a.AnnotationEvent) -> None:
        try:
            async with call.lock:
                await self._run(call, call.room.handle(event))
        except m.ProtocolError as exc:  # e.g. the session ended while a position was on its way to the record
            log.info("session %s: %s not applied: %s", call.session_id, type(event).__name__, exc.message)

    # -- full-resolution scans ---------------------------------------------------------------------------

    async def _ask_scan(self, call: LiveCall, by: str, reason: m.ScanReason) -> None:
        async with call.lock:
            await self._run(call, call.room.handle(r.ScanAsked(by, uuid.uuid4().hex[:16], reason)))

    def _pending(self, call: LiveCall, pending: bool) -> None:
        """After each analysed frame: a code seen but not confirmed for a while asks for a scan by itself."""
        if self._calls.get(call.session_id) is not call:
            return
        if call.auto_scan.observe(pending, time.monotonic(), scan_running=call.room.scan is not None):
            log.info("session %s: a code stays unconfirmed in the video; asking for a scan", call.session_id)
            self._spawn(self._ask_scan(call, r.SERVER, "automatic"))

    def _scan_started(self, call: LiveCall, scan_id: str) -> None:
        if call.room.scan is not None and call.room.scan.reason == "freeze" and call.room.board.freeze is not None:
            call.guidance.freeze_scans[scan_id] = call.room.board.freeze.id
        now = time.monotonic()
        call.auto_scan.scan_started(now)
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self._opts.scan_timeout_s, lambda: self._spawn(self._scan_timed_out(call, scan_id)))
        call.scan = ScanInProgress(scan_id, now, timer)

    async def _scan_timed_out(self, call: LiveCall, scan_id: str) -> None:
        async with call.lock:
            await self._run(call, call.room.handle(r.ScanTimedOut(scan_id)))

    async def accept_still(self, session_id: str, scan_id: str, claims: Claims, data: bytes, meta: StillMeta) -> None:
        """The customer's page uploaded a scan's still: hand it to the call's worker (read off the event loop)."""
        call = self._calls.get(session_id)
        if call is None or call.closing:
            raise StillRefused(409, "no_scan_requested", "This session has no call running here, so no scan waits.")
        arrived = time.monotonic()
        async with call.lock:
            scan = call.scan
            detail = {"bytes": str(len(data)), "size": f"{meta.width}x{meta.height}", "source": meta.source,
                      "subject": claims.subject}
            actions = call.room.handle(r.StillReceived(scan_id, detail))
            refusal = next((a for a in actions if isinstance(a, r.Reject)), None)
            if refusal is not None:
                raise StillRefused(409, refusal.code, refusal.message)
            assert scan is not None and scan.scan_id == scan_id  # the room and the manager start scans together
            if scan.timer is not None:
                scan.timer.cancel()
            scan.still = data
            scan.taken_at = min(arrived, scan.asked_at + meta.capture_delay_s)
            await self._run(call, actions)
            freeze_id = call.guidance.freeze_scans.pop(scan_id, None)
            if freeze_id is not None:  # the frozen frame is shown at full resolution once the worker decoded it
                self._guide_of(call).freeze_still(freeze_id, data)
            if not self._analysis_of(call).read_still(scan_id, data):
                await self._run(call, call.room.handle(r.ScanEnded(
                    scan_id, "failed", (), "The analysis is overloaded; the photo could not be read. Try again.")))
                raise StillRefused(503, "analysis_busy", "The analysis is overloaded; try again in a moment.")
        log.info("session %s: scan %s photo %dx%d (%d bytes, %s) is being read", session_id, scan_id, meta.width,
                 meta.height, len(data), meta.source)

    async def _scanned(self, call: LiveCall, reading: ScanReading) -> None:
        """The worker read a scan's still: new codes become findings (the still is their snapshot), then the
        technicians hear the outcome."""
        scan = call.scan
        if scan is None or scan.scan_id != reading.scan_id:
            return
        call.scan = None
        log.info("session %s: scan %s read in %.0f ms CPU: %s", call.session_id, reading.scan_id,
                 reading.cpu_s * 1000, [f.code for f in reading.findings] or reading.error or "no code")
        if reading.error is not None:
            ended = r.ScanEnded(reading.scan_id, "failed", (), f"The photo could not be read: {reading.error}")
        elif not reading.findings:
            ended = r.ScanEnded(reading.scan_id, "no_code")
        else:
            reported = {f.code for f in await self._store.list_findings(call.ticket_id)
                        if f.session_id == call.session_id}
            offset = (call.recorder.offset_of(scan.taken_at)
                      if call.recorder is not None and scan.taken_at is not None else None)
            codes = tuple(dict.fromkeys(f.code for f in reading.findings))
            new = [f for f in reading.findings if f.code not in reported]
            for finding in new:
                await self._commit_finding(call, finding, offset, "scan", scan.still)
            ended = r.ScanEnded(reading.scan_id, "found" if new else "already_reported", codes)
        async with call.lock:
            await self._run(call, call.room.handle(ended))
