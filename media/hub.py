"""Fan-out of one encoded source to many passthrough tracks, without decoding or re-encoding."""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections.abc import Callable

import av
from aiortc import RTCRtpCodecParameters
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

from .forward import ForwardedStream
from .frames import EncodedFrame, MediaKind
from .stats import RELAY

log = logging.getLogger(__name__)

# A subscriber more than this many frames behind is dropped to the next keyframe rather than buffering.
MAX_QUEUE_VIDEO = 60
MAX_QUEUE_AUDIO = 50
KEYFRAME_REQUEST_MIN_INTERVAL_S = 0.3
# One Fraction per clock rate, not one per forwarded packet (Fraction() normalises with a gcd each time).
_TIME_BASES = {rate: fractions.Fraction(1, rate) for rate in (8000, 16000, 48000, 90000)}


class EncodedHub:
    """One logical source (e.g. the customer's camera) fanned out to passthrough tracks.

    The physical receiver may change during a call (re-offer, new transceiver); the hub and its
    subscribers stay, so the technician side never renegotiates for that.
    """

    def __init__(self, kind: MediaKind, name: str) -> None:
        self.kind = kind
        self.name = name
        self._tracks: set[PassthroughTrack] = set()
        self._subscribers: tuple[PassthroughTrack, ...] = ()  # a snapshot to iterate per frame (no copy per frame)
        self._streams: tuple[ForwardedStream, ...] = ()  # relay_mode "packets": subscribers fed packet by packet
        self._keyframe_requester: Callable[[], None] | None = None
        self._last_keyframe_request = 0.0
        self.frames_in = 0
        self.frames_out = 0  # taken by this hub's senders, summed over subscribers past and present
        self.codec: str | None = None

    def set_keyframe_requester(self, requester: Callable[[], None] | None) -> None:
        """Install how to ask the source for a keyframe (a PLI to the sending browser)."""
        self._keyframe_requester = requester

    def request_keyframe(self) -> None:
        """Ask the source for a keyframe, at most every few hundred milliseconds."""
        now = time.monotonic()
        if self._keyframe_requester is None or now - self._last_keyframe_request < KEYFRAME_REQUEST_MIN_INTERVAL_S:
            return
        self._last_keyframe_request = now
        RELAY.keyframe_requests += 1
        self._keyframe_requester()

    def push(self, frame: EncodedFrame) -> None:
        """Deliver one encoded frame to every subscriber (called on the event loop)."""
        self.frames_in += 1
        RELAY.frames_in[self.kind] += 1
        self.codec = frame.codec
        for track in self._subscribers:
            track.offer(frame)

    def forward(self, packet: RtpPacket, codec: RTCRtpCodecParameters, now: float) -> None:
        """Send one source RTP packet to every packet subscriber (called in the source receiver's handler)."""
        for stream in self._streams:
            if stream.send(packet, codec, now):
                self.frames_out += 1

    def add_stream(self, stream: ForwardedStream) -> None:
        """Feed a subscriber packet by packet (relay_mode "packets"); a video one asks the source for a keyframe."""
        self._streams = (*self._streams, stream)
        if self.kind == "video":
            self.request_keyframe()

    def remove_stream(self, stream: ForwardedStream) -> None:
        """Stop feeding a packet subscriber (its sender stopped)."""
        self._streams = tuple(s for s in self._streams if s is not stream)

    def subscribe(self) -> PassthroughTrack:
        """A new track that replays this source's encoded frames to one sender."""
        track = PassthroughTrack(self)
        self._tracks.add(track)
        self._subscribers = tuple(self._tracks)
        if self.kind == "video":
            self.request_keyframe()
        return track

    def unsubscribe(self, track: PassthroughTrack) -> None:
        """Forget a subscriber (its sender stopped)."""
        self._tracks.discard(track)
        self._subscribers = tuple(self._tracks)

    @property
    def subscribers(self) -> int:
        """How many subscribers (frame tracks and packet streams) receive this source."""
        return len(self._tracks) + len(self._streams)


class PassthroughTrack(MediaStreamTrack):
    """A MediaStreamTrack whose recv() returns av.Packet, so aiortc's sender packetises without encoding."""

    def __init__(self, hub: EncodedHub) -> None:
        super().__init__()
        self.kind = hub.kind
        self._hub = hub
        self._queue: asyncio.Queue[EncodedFrame] = asyncio.Queue()
        self._need_keyframe = hub.kind == "video"
        self._limit = MAX_QUEUE_VIDEO if hub.kind == "video" else MAX_QUEUE_AUDIO
        self.frames_out = 0
        self.frames_dropped = 0
        # Stream-time continuity: a new source SSRC restarts RTP timestamps near 0; keep ours rising.
        self._offset = 0
        self._last_in: int | None = None
        self._last_out = 0

    def offer(self, frame: EncodedFrame) -> None:
        """Queue a frame for this subscriber, skipping to a keyframe if it fell behind."""
        if self._need_keyframe:
            if not frame.keyframe:
                self.frames_dropped += 1
                RELAY.frames_dropped[self.kind] += 1
                self._hub.request_keyframe()
                return
            self._need_keyframe = False
        if self._queue.qsize() >= self._limit:
            self._drain()
            self.frames_dropped += self._limit
            RELAY.frames_dropped[self.kind] += self._limit
            if self.kind == "video":
                self._need_keyframe = not frame.keyframe
                if self._need_keyframe:
                    self._hub.request_keyframe()
                    return
        self._queue.put_nowait(frame)

    def flush(self) -> None:
        """Forget queued frames (they went stale while the track was not attached to its sender)."""
        self._drain()

    def request_keyframe(self) -> None:
        """The receiving browser lost the picture (PLI/FIR): ask the source for a keyframe."""
        self._hub.request_keyframe()

    async def recv(self) -> av.Packet:
        """Next encoded frame as an av.Packet with pts in the source clock."""
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._queue.get()
        RELAY.frames_out[self.kind] += 1
        self._hub.frames_out += 1
        if self.kind == "video":
            RELAY.observe_delay(time.monotonic() - frame.arrival)
        packet = av.Packet(frame.data)
        packet.pts = self._continuous(frame.timestamp, frame.clock_rate)
        time_base = _TIME_BASES.get(frame.clock_rate)
        if time_base is None:
            time_base = _TIME_BASES[frame.clock_rate] = fractions.Fraction(1, frame.clock_rate)
        packet.time_base = time_base
        self.frames_out += 1
        return packet

    def stop(self) -> None:
        """Stop the track and leave the hub."""
        self._hub.unsubscribe(self)
        super().stop()

    def _continuous(self, ts: int, clock_rate: int) -> int:
        if self._last_in is not None:
            step = ts - self._last_in
            # A jump backwards or by more than 10 s means a new source stream: splice it on.
            if step <= 0 or step > 10 * clock_rate:
                self._offset = self._last_out + clock_rate // 30 - ts
        self._last_in = ts
        out = ts + self._offset
        self._last_out = out
        return out

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
