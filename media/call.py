"""Media of one call: a server peer per participant and the routing of encoded media between them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiortc import (
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
)
from aiortc.rtp import RtpPacket

from .aiortc_internals import (
    negotiated_codecs,
    on_keyframe_request,
    on_retransmit_request,
    receiver_rtx_ssrcs,
    send_pli,
    wrap_rtp_handler,
)
from .forward import ForwardedStream, IdleTrack, MixPump, PacketSink, forward_from
from .frames import EncodedFrame, MediaKind, RelayMode
from .hub import EncodedHub, PassthroughTrack
from .ice import CandidatePolicy
from .jitter import use_relay_jitter_buffer
from .mixer import MixTrack, VoiceBuffer
from .peer import ServerPeer, install_drop
from .tap import tap_receiver

log = logging.getLogger(__name__)

EncodedObserver = Callable[[str, EncodedFrame], None]
"""Gets (source, frame) for every received encoded frame; source is "customer" or "technician:<id>"."""


class CallMedia:
    """Routes a call's media: customer audio+video to every technician, technician audio to the customer.

    Nothing is decoded or re-encoded here. relay_mode "packets": each RTP packet is rewritten and sent to the
    subscribers as it arrives (media/forward.py); "frames": encoded frames go from receivers into hubs and out
    through passthrough tracks and aiortc's senders. Either way observers (recorder, analysis) get the frames.
    """

    def __init__(self, session_id: str, *, video_codec: str = "VP8", drop_rate: float = 0.0,
                 ice_servers: Sequence[RTCIceServer] = (), candidates: CandidatePolicy | None = None,
                 relay_mode: RelayMode = "packets") -> None:
        self.session_id = session_id
        self.relay_mode: RelayMode = relay_mode
        self._candidates = candidates or CandidatePolicy()
        self.customer_audio = EncodedHub("audio", "customer-audio")
        self.customer_video = EncodedHub("video", "customer-video")
        # What the customer hears: the primary (first present) technician's voice.
        self.to_customer_audio = EncodedHub("audio", "technician-audio")
        self._peers: dict[str, ServerPeer] = {}
        self._observers: list[EncodedObserver] = []
        self._tapped: set[int] = set()
        self._video_codec = video_codec
        self._drop_rate = drop_rate
        self._primary_technician: str | None = None
        self._ice_servers = list(ice_servers)
        # Audio: passthrough while there is one technician; N-1 mixes once an expert joins.
        # Per listener: its audio sender, the track it plays when not mixing, and (packets mode) its packet stream.
        self._audio_out: dict[str, tuple[RTCRtpSender, PassthroughTrack | IdleTrack, ForwardedStream | None]] = {}
        self._voices: dict[str, VoiceBuffer] = {}
        self._mixes: list[MixTrack] = []
        self._pumps: list[asyncio.Task[None]] = []  # relay_mode packets: each listener's mix, sent by a MixPump
        # Keyframe requests in flight: owned here so their errors are logged and close() cancels them.
        self._pli_tasks: set[asyncio.Task[None]] = set()

    def add_observer(self, observer: EncodedObserver) -> None:
        """Also hand every received encoded frame to `observer` (recorder, analysis)."""
        self._observers.append(observer)

    def relay_frames(self) -> dict[MediaKind, tuple[int, int]]:
        """This call's relayed frames so far by kind: (received from its sources, sent on to its viewers by the
        passthrough senders or, relay_mode packets, their last packet forwarded; N-1 audio mixes not counted)."""
        hubs = (self.customer_audio, self.customer_video, self.to_customer_audio)
        kinds: tuple[MediaKind, ...] = ("audio", "video")
        return {k: (sum(h.frames_in for h in hubs if h.kind == k), sum(h.frames_out for h in hubs if h.kind == k))
                for k in kinds}

    def peer(self, participant_id: str) -> ServerPeer | None:
        """The server peer of a participant, if it has one."""
        return self._peers.get(participant_id)

    async def handle_offer(self, participant_id: str, role: str, sdp: str) -> str:
        """Answer a participant's (re-)offer, wiring new transceivers to the right hubs."""
        peer = self._peers.get(participant_id)
        if peer is None:
            peer = ServerPeer(participant_id, role, video_codec=self._video_codec,
                              on_state=lambda state: self._peer_state(participant_id, role, state),
                              ice_servers=self._ice_servers, candidates=self._candidates)
            self._peers[participant_id] = peer
            if role == "technician" and self._primary_technician is None:
                self._primary_technician = participant_id
        if role == "customer":
            answer = await peer.answer(sdp, lambda pc: self._prepare_customer(participant_id, pc))
        else:
            answer = await peer.answer(sdp, lambda pc: self._prepare_technician(participant_id, pc))
        self._update_mixing()
        return answer

    async def add_candidate(self, participant_id: str, candidate: str, sdp_mid: str | None,
                            sdp_mline_index: int | None) -> None:
        """Pass a trickled ICE candidate to the participant's peer (ignored before its first offer)."""
        peer = self._peers.get(participant_id)
        if peer is not None:
            await peer.add_candidate(candidate, sdp_mid, sdp_mline_index)

    def request_keyframe(self) -> None:
        """Ask the customer's browser for a keyframe (video just started, or a new viewer)."""
        self.customer_video.request_keyframe()

    async def remove(self, participant_id: str) -> None:
        """Close a participant's peer and re-pick whose voice the customer hears."""
        peer = self._peers.pop(participant_id, None)
        if participant_id == self._primary_technician:
            self._primary_technician = next(
                (pid for pid, p in self._peers.items() if p.role == "technician"), None)
        self._audio_out.pop(participant_id, None)
        self._update_mixing()
        if peer is not None:
            await peer.close()

    @property
    def mixing(self) -> bool:
        """Whether the call's audio is mixed (two or more technicians) rather than passed through."""
        return bool(self._voices)

    async def close(self) -> None:
        """Close every peer of the call."""
        for task in self._pli_tasks:
            task.cancel()
        self._pli_tasks.clear()
        for pump in self._pumps:
            pump.cancel()
        self._pumps.clear()
        peers = list(self._peers.values())
        self._peers.clear()
        await asyncio.gather(*(p.close() for p in peers), return_exceptions=True)

    # -- wiring -----------------------------------------------------------------------------------

    def _prepare_customer(self, participant_id: str, pc: RTCPeerConnection) -> None:
        for t in pc.getTransceivers():
            self._tap_new(t, "customer")
            if t.kind == "audio" and t.sender.track is None:
                self._send(t, self.to_customer_audio, participant_id)

    def _prepare_technician(self, participant_id: str, pc: RTCPeerConnection) -> None:
        for t in pc.getTransceivers():
            self._tap_new(t, f"technician:{participant_id}")
            if t.sender.track is None:
                hub = self.customer_audio if t.kind == "audio" else self.customer_video
                self._send(t, hub, participant_id)

    def _send(self, transceiver: RTCRtpTransceiver, hub: EncodedHub, participant_id: str) -> None:
        sender = transceiver.sender
        track: PassthroughTrack | IdleTrack
        stream: ForwardedStream | None = None
        if self.relay_mode == "packets":
            packets = stream = ForwardedStream(sender, negotiated_codecs(transceiver), transceiver.kind,
                                               hub.request_keyframe)
            track = IdleTrack(transceiver.kind, on_stop=lambda: hub.remove_stream(packets))
            hub.add_stream(stream)
            on_retransmit_request(sender, stream.retransmit)  # a viewer's NACK: from the forwarded history
        else:
            track = hub.subscribe()
        sender.replaceTrack(track)
        if transceiver.kind == "audio":
            self._audio_out[participant_id] = (sender, track, stream)
        transceiver.direction = "sendrecv" if transceiver.direction in ("recvonly", "sendrecv") else "sendonly"
        # A PLI/FIR from the viewing browser must reach the customer's encoder, not aiortc's (unused) one.
        on_keyframe_request(sender, hub.request_keyframe)

    def _tap_new(self, transceiver: RTCRtpTransceiver, source: str) -> None:
        receiver = transceiver.receiver
        if receiver.track is None or id(receiver) in self._tapped:
            return
        self._tapped.add(id(receiver))
        use_relay_jitter_buffer(receiver)
        kind = transceiver.kind
        if self.relay_mode == "packets" and (source == "customer" or kind == "audio"):
            sink: PacketSink
            if source == "customer":
                sink = (self.customer_audio if kind == "audio" else self.customer_video).forward
            else:
                sink = self._forward_technician_audio(source.split(":", 1)[1])
            wrap_rtp_handler(receiver, forward_from(receiver, sink))
        install_drop(receiver, self._drop_rate)  # in front of forwarding too: a dropped packet is lost for all
        if source == "customer":
            hub = self.customer_audio if kind == "audio" else self.customer_video
            if kind == "video":
                hub.set_keyframe_requester(lambda: self._send_pli(receiver))
            tap_receiver(receiver, lambda f: self._deliver(source, hub, f), decode=False)
        elif kind == "audio":
            pid = source.split(":", 1)[1]
            tap_receiver(receiver, lambda f: self._deliver_technician_audio(source, pid, f), decode=False)
        else:
            # Technicians do not send video in a support call; keep the receiver drained.
            tap_receiver(receiver, lambda f: None, decode=False)

    def _forward_technician_audio(self, participant_id: str) -> PacketSink:
        def forward(packet: RtpPacket, codec: RTCRtpCodecParameters, now: float) -> None:
            if participant_id == self._primary_technician:
                self.to_customer_audio.forward(packet, codec, now)
        return forward

    def _deliver(self, source: str, hub: EncodedHub, frame: EncodedFrame) -> None:
        hub.push(frame)
        if frame.kind == "audio" and source in self._voices:
            self._voices[source].push(frame)
        self._notify(source, frame)

    def _deliver_technician_audio(self, source: str, participant_id: str, frame: EncodedFrame) -> None:
        if participant_id == self._primary_technician:
            self.to_customer_audio.push(frame)
        if source in self._voices:
            self._voices[source].push(frame)
        self._notify(source, frame)

    def _update_mixing(self) -> None:
        """Switch between passthrough (one technician) and N-1 mixes (more), without renegotiating."""
        listeners = {pid: self._peers[pid].role for pid in self._audio_out if pid in self._peers}
        technicians = [pid for pid, role in listeners.items() if role == "technician"]
        for mix in self._mixes:
            mix.stop()
        self._mixes.clear()
        for pump in self._pumps:
            pump.cancel()
        self._pumps.clear()
        if len(technicians) < 2:
            if self._voices:
                self._voices.clear()
                for sender, own, stream in self._audio_out.values():
                    if isinstance(own, IdleTrack):
                        if stream is not None:
                            stream.resume()
                        continue
                    # The hubs kept feeding the detached passthrough tracks (aiortc's sender may still be awaiting
                    # the old track's recv() after replaceTrack, and only a frame wakes it): drop what went stale.
                    own.flush()
                    sender.replaceTrack(own)
            return
        sources = {pid: "customer" if role == "customer" else f"technician:{pid}" for pid, role in listeners.items()}
        for source in sources.values():
            self._voices.setdefault(source, VoiceBuffer(source))
        for stale in set(self._voices) - set(sources.values()):
            del self._voices[stale]
        for pid, (sender, own, stream) in self._audio_out.items():
            if pid in sources:
                mix = MixTrack([self._voices[s] for other, s in sources.items() if other != pid])
                self._mixes.append(mix)
                if isinstance(own, IdleTrack):  # packets mode: the mix goes out through the forwarded stream
                    if stream is not None:
                        stream.pause()
                        self._pumps.append(asyncio.ensure_future(MixPump(stream, mix).run()))
                else:
                    sender.replaceTrack(mix)

    def _notify(self, source: str, frame: EncodedFrame) -> None:
        for observer in self._observers:
            try:
                observer(source, frame)
            except Exception:  # an observer must never break the relay
                log.exception("session %s: encoded-frame observer failed", self.session_id)

    def _send_pli(self, receiver: RTCRtpReceiver) -> None:
        """Ask the sender of the receiver's latest source for a keyframe (a task owned by this call)."""
        # Not an RTX SSRC: a browser probing bandwidth sends padding on its RTX stream, and a PLI for that
        # SSRC is ignored (the viewer then waits for the encoder's next periodic keyframe).
        repair = receiver_rtx_ssrcs(receiver)
        sources = [s for s in receiver.getSynchronizationSources() if s.source not in repair]
        if not sources:
            return
        latest = max(sources, key=lambda s: s.timestamp)
        task = asyncio.ensure_future(send_pli(receiver, latest.source))
        self._pli_tasks.add(task)
        task.add_done_callback(self._pli_done)

    def _pli_done(self, task: asyncio.Task[None]) -> None:
        self._pli_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("session %s: keyframe request failed: %r", self.session_id, task.exception())

    def _peer_state(self, participant_id: str, role: str, state: str) -> None:
        level = logging.WARNING if state == "failed" else logging.INFO
        log.log(level, "session %s: %s %s media connection %s", self.session_id, role, participant_id, state)

