"""One server-side RTCPeerConnection per participant; the browser always offers, the server answers."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from .aiortc_internals import RtpHandler, negotiated_codecs, set_negotiated_codecs, wrap_rtp_handler
from .ice import CandidateError, CandidatePolicy
from .udp_guard import guard_media_sockets

log = logging.getLogger(__name__)


class NegotiationError(Exception):
    """An offer the server cannot accept (bad SDP, no common codec)."""


class ServerPeer:
    """The server's end of one participant's peer connection.

    Offers are handled one at a time (a lock), so overlapping re-offers from a flaky client cannot
    interleave; the server never sends offers of its own, so glare cannot happen.
    """

    def __init__(self, participant_id: str, role: str, *, video_codec: str = "VP8",
                 on_state: Callable[[str], Awaitable[None] | None] | None = None,
                 ice_servers: Sequence[RTCIceServer] = (), candidates: CandidatePolicy | None = None) -> None:
        self.participant_id = participant_id
        self._candidates = candidates or CandidatePolicy()
        self.role = role
        # Always an explicit list: with none, aiortc falls back to a public STUN server (traffic off this machine).
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=list(ice_servers)))
        self._video_codec = video_codec.upper()
        self._lock = asyncio.Lock()
        self._on_state = on_state
        self.pc.on("connectionstatechange", self._state_changed)

    @property
    def state(self) -> str:
        """aiortc's connectionState."""
        return str(self.pc.connectionState)

    async def answer(self, sdp: str, prepare: Callable[[RTCPeerConnection], None]) -> str:
        """Apply a browser offer, let `prepare` attach tracks to new transceivers, and return the answer SDP."""
        if "\nm=" not in sdp.replace("\r\n", "\n"):
            raise NegotiationError("The offer has no media sections (audio or video).")
        sdp, _refused = self._candidates.filter_sdp(sdp)  # aiortc would probe every address the offer names
        async with self._lock:
            try:
                await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            except Exception as exc:  # aiortc raises ValueError, OperationError, InvalidStateError...
                raise NegotiationError(f"The offer was rejected: {exc}") from exc
            for t in self.pc.getTransceivers():
                if t.kind == "video":
                    restrict_video_codec(t, self._video_codec)
            prepare(self.pc)
            try:
                answer = await self.pc.createAnswer()
                await self.pc.setLocalDescription(answer)
            except Exception as exc:  # an offer aiortc accepted but cannot answer (a media section without a direction)
                raise NegotiationError(f"The offer could not be answered: {exc}") from exc
            guard_media_sockets(self.pc, self._candidates)  # the sockets exist once the answer has gathered its candidates
            return str(self.pc.localDescription.sdp)

    async def add_candidate(self, candidate: str, sdp_mid: str | None, sdp_mline_index: int | None) -> None:
        """Add a trickled ICE candidate from the browser; malformed or refused ones raise CandidateError."""
        if not candidate:
            return
        self._candidates.check(candidate)
        if sdp_mid is None and sdp_mline_index is None:
            raise CandidateError("invalid_candidate", "An ICE candidate needs an sdpMid or an sdpMLineIndex.")
        text = candidate.split(":", 1)[1] if candidate.startswith("candidate:") else candidate
        try:
            cand = candidate_from_sdp(text)
        except (ValueError, IndexError) as exc:  # optional fields the filter does not read (raddr, tcptype...)
            raise CandidateError("invalid_candidate", "The ICE candidate's optional fields are malformed.") from exc
        cand.sdpMid = sdp_mid
        cand.sdpMLineIndex = sdp_mline_index
        await self.pc.addIceCandidate(cand)

    async def close(self) -> None:
        """Close the peer connection (stops all senders and receivers)."""
        await self.pc.close()

    async def _state_changed(self) -> None:
        if self._on_state is not None:
            result = self._on_state(self.pc.connectionState)
            if result is not None:
                await result


def ice_servers_from(config: Sequence[dict[str, str | list[str]]]) -> list[RTCIceServer]:
    """aiortc ICE servers from browser-style dicts (urls, username, credential); bad entries raise ValueError."""
    servers = []
    for entry in config:
        urls = entry.get("urls")
        if not urls:
            raise ValueError(f"ICE server entry {entry!r} has no 'urls'")
        username, credential = entry.get("username"), entry.get("credential")
        servers.append(RTCIceServer(urls=urls, username=username if isinstance(username, str) else None,
                                    credential=credential if isinstance(credential, str) else None))
    return servers


def restrict_video_codec(transceiver: RTCRtpTransceiver, mime_subtype: str) -> None:
    """Keep only one video codec (plus its RTX) on a negotiated transceiver.

    Passthrough forwards the customer's encoded frames untouched, so both legs must use the same codec;
    aiortc only applies setCodecPreferences while it builds transceivers from an offer, hence the filter here.
    """
    codecs = negotiated_codecs(transceiver)
    keep = [c for c in codecs if c.mimeType.lower() == f"video/{mime_subtype.lower()}"]
    if not keep:
        raise NegotiationError(f"The browser does not offer {mime_subtype} video.")
    pts = {c.payloadType for c in keep}
    keep += [c for c in codecs if c.mimeType.lower() == "video/rtx" and c.parameters.get("apt") in pts]
    set_negotiated_codecs(transceiver, keep)


def install_drop(receiver: RTCRtpReceiver, rate: float, seed: int = 1) -> None:
    """TEST MODE: drop a share of the RTP packets this receiver gets, before NACK/jitter handling."""
    if rate <= 0:
        return
    rng = random.Random(seed)

    def lossy_in_front_of(original: RtpHandler) -> RtpHandler:
        async def lossy(packet: Any, arrival_time_ms: int) -> None:
            if rng.random() < rate:
                return
            await original(packet, arrival_time_ms)
        return lossy

    wrap_rtp_handler(receiver, lossy_in_front_of)
