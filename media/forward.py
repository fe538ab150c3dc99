"""Forward RTP packets as they arrive (relay_mode "packets"), as Janus and LiveKit do, instead of frames.

In the frame path every forwarded packet pays aiortc's receive path AND its send path (a passthrough track queue,
the sender's task, av.Packet, re-packetising, header extensions, serialising, SRTP, sendto) with two task switches.
Here a customer's (or the primary technician's) packet is rewritten for each subscriber the moment its receiver
gets it, before the NACK/jitter path, and sent through the subscriber's DTLS transport in the same call:

- SSRC and payload type: the subscriber sender's negotiated SSRC, and its payload type for the same codec
  (by MIME type; a codec the subscriber did not negotiate is not forwarded);
- sequence number and timestamp: offsets per source, so the subscriber sees one continuous stream across source
  changes (re-offers, a new SSRC, another primary technician) and across packets the relay did not forward
  (gaps from loss upstream stay gaps, so the viewer's NACK/PLI still work);
- header extensions are rewritten, not copied: the source's ids are the sender browser's and some describe only
  the hop into the server (transport-wide sequence numbers, rtp-stream-id). The packet gets what aiortc's answer
  negotiates for a sender, under the subscriber's ids: mid, abs-send-time (video: the viewer's bandwidth estimate
  needs the send time of THIS hop) and the audio level (audio, copied from the source); everything else is dropped;
- a video subscriber starts (and restarts after a source change) at the first packet of a keyframe (VP8: start of
  partition 0 with the key frame bit; H264: an IDR or SPS NAL unit), asking the source for one (PLI) meanwhile;
- the source's RTX retransmissions (answers to the server's own NACKs) are unwrapped and forwarded as the packet
  they repair, so loss on the way in is repaired for viewers too;
- a viewer's NACK is answered from a short history of the protected packets sent to it (resent as they were,
  on the media SSRC), a viewer's PLI/FIR goes to the source's browser, and the RTCP sender reports aiortc's
  RTCRtpSender still sends count the forwarded packets and map NTP time to their (rewritten) timestamps.

aiortc's RTCRtpSender stays for RTCP only (its track is an IdleTrack). While two or more technicians' audio is mixed
(media/mixer.py), each listener's mix is encoded with aiortc's Opus encoder and sent through the same forwarded
stream (MixPump), so sequence numbers and timestamps stay continuous across the switch both ways.
Frame reassembly stays on the receive side, for the recorder and the analysis taps.
"""

from __future__ import annotations

import asyncio
import random
import struct
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCRtpCodecParameters, RTCRtpSender
from aiortc.codecs import get_encoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket, unwrap_rtx
from av import AudioFrame

from .aiortc_internals import (
    RtpHandler,
    count_sent,
    receiver_codecs,
    receiver_rtx_ssrcs,
    send_rtp_now,
    sender_extension_ids,
    sender_mid,
    sender_ready,
    sender_rtx,
    sender_ssrc,
)
from .stats import RELAY

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix)
HISTORY_SIZE = 512  # protected packets kept per video subscriber for NACKs (~0.5 s of 720p at 1.5 Mbit/s)
RETIRED_SOURCE_S = 2.0  # packets of a replaced SSRC arriving this soon after the switch are late ones: dropped
MIX_RESUME_MARGIN = 3  # sequence numbers skipped when forwarding resumes after a mix (one mixed packet may be late)
_RTP_HEADER = struct.Struct("!BBHLL")


def vp8_packet_starts_keyframe(payload: bytes) -> bool:
    """Whether an RTP VP8 payload (RFC 7741) is the first packet of a key frame."""
    if len(payload) < 2:
        return False
    first = payload[0]
    if not first & 0x10 or first & 0x07:  # S (start of partition) set, partition index 0
        return False
    i = 1
    if first & 0x80:  # X: extension byte I L T K
        ext = payload[1]
        i = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if i >= len(payload):
                return False
            i += 2 if payload[i] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            i += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX
            i += 1
    return i < len(payload) and payload[i] & 0x01 == 0  # VP8 payload header: P = 0 is a key frame


def h264_packet_starts_keyframe(payload: bytes) -> bool:
    """Whether an RTP H264 payload (RFC 6184) starts an access unit that decodes on its own (SPS or IDR)."""
    if not payload:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type in (5, 7):
        return True
    if nal_type == 24:  # STAP-A: 16-bit size, NAL unit, ...
        i = 1
        while i + 2 < len(payload):
            size = (payload[i] << 8) | payload[i + 1]
            if payload[i + 2] & 0x1F in (5, 7):
                return True
            i += 2 + size
        return False
    if nal_type == 28 and len(payload) > 1:  # FU-A: the start fragment of an IDR slice
        return bool(payload[1] & 0x80) and payload[1] & 0x1F == 5
    return False


KEYFRAME_STARTS: dict[str, Callable[[bytes], bool]] = {
    "video/vp8": vp8_packet_starts_keyframe,
    "video/h264": h264_packet_starts_keyframe,
}


class SequenceRewriter:
    """One subscriber's view of a forwarded stream: continuous sequence numbers and timestamps (no I/O).

    Within one source SSRC, out = in + offset (gaps and reordering pass through unchanged); when the source
    changes, the offsets are re-chosen so the new source continues right after the newest packet forwarded,
    its timestamp advanced by the wall time since. With `keyframe_start`, nothing is forwarded from a source
    until a packet for which it returns True.
    """

    def __init__(self, clock_rate: int, *, keyframe_start: Callable[[bytes], bool] | None = None,
                 first_sequence: int | None = None, first_timestamp: int | None = None) -> None:
        self.clock_rate = clock_rate
        self.keyframe_start = keyframe_start
        self.waiting = keyframe_start is not None  # for a keyframe before forwarding anything
        self.dropped = 0
        self._first = (random.randrange(32768) if first_sequence is None else first_sequence,
                       random.getrandbits(32) if first_timestamp is None else first_timestamp)
        self._ssrc: int | None = None
        self._spliced = False
        self._seq_offset = 0
        self._ts_offset = 0
        self._last: tuple[int, int, float] | None = None  # newest (sequence, timestamp, time) forwarded
        self._retired: dict[int, float] = {}

    @property
    def last(self) -> tuple[int, int, float] | None:
        """The newest (sequence number, timestamp, time) forwarded, None before the first."""
        return self._last

    def rewrite(self, ssrc: int, sequence: int, timestamp: int, payload: bytes,
                now: float) -> tuple[int, int] | None:
        """(sequence number, timestamp) to send this packet with, or None to not forward it."""
        if ssrc != self._ssrc:
            retired_at = self._retired.get(ssrc)
            if retired_at is not None and now - retired_at < RETIRED_SOURCE_S:
                self.dropped += 1  # a late packet of the source we switched away from
                return None
            if self._ssrc is not None:
                self._retired[self._ssrc] = now
                if len(self._retired) > 8:
                    self._retired.pop(next(iter(self._retired)))
            self._retired.pop(ssrc, None)
            self._ssrc = ssrc
            self._spliced = False
            self.waiting = self.keyframe_start is not None
        if self.waiting:
            assert self.keyframe_start is not None
            if not self.keyframe_start(payload):
                self.dropped += 1
                return None
            self.waiting = False
        if not self._spliced:
            self._splice(sequence, timestamp, now)
        out_seq = (sequence + self._seq_offset) & 0xFFFF
        out_ts = (timestamp + self._ts_offset) & 0xFFFFFFFF
        last = self._last
        if last is None or 0 < ((out_seq - last[0]) & 0xFFFF) < 0x8000:
            self._last = (out_seq, out_ts, now)
        return out_seq, out_ts

    def forget_retired(self) -> None:
        """Accept any earlier source again at once (it was replaced on purpose, e.g. by a mix, not by a re-offer)."""
        self._retired.clear()

    def continue_after(self, sequence: int, timestamp: int, now: float) -> None:
        """Make the next packet follow (sequence, timestamp) sent at `now` by someone else (the mixer's sender)."""
        self._last = (sequence, timestamp, now)
        self._spliced = False

    def _splice(self, sequence: int, timestamp: int, now: float) -> None:
        if self._last is None:
            target_seq, target_ts = self._first
        else:
            last_seq, last_ts, last_time = self._last
            target_seq = (last_seq + 1) & 0xFFFF
            target_ts = (last_ts + max(1, round((now - last_time) * self.clock_rate))) & 0xFFFFFFFF
        self._seq_offset = (target_seq - sequence) & 0xFFFF
        self._ts_offset = (target_ts - timestamp) & 0xFFFFFFFF
        self._spliced = True


def extension_block(elements: list[bytes]) -> bytes:
    """An RTP one-byte-header extension block (RFC 8285) holding these elements (id/length byte + data each)."""
    body = b"".join(elements)
    body += b"\x00" * (-len(body) % 4)
    return b"\xbe\xde" + struct.pack("!H", len(body) // 4) + body


def payload_types_by_codec(codecs: list[RTCRtpCodecParameters]) -> dict[str, int]:
    """A subscriber's payload type per codec MIME type: the first negotiated of each (aiortc sends the first)."""
    payload_types: dict[str, int] = {}
    for codec in codecs:
        if codec.payloadType is not None:
            payload_types.setdefault(codec.mimeType.lower(), codec.payloadType)
    return payload_types


class PacketWriter:
    """Serialises forwarded packets for one subscriber: its SSRC, and its header extension ids (no I/O)."""

    def __init__(self, ssrc: int, *, mid: str | None = None, mid_id: int | None = None,
                 abs_send_time_id: int | None = None, audio_level_id: int | None = None) -> None:
        self.ssrc = ssrc
        self._mid_element = b""
        if mid_id is not None and mid:
            value = mid.encode()
            self._mid_element = bytes(((mid_id << 4) | (len(value) - 1),)) + value
        self._abs_send_time_id = abs_send_time_id
        self._audio_level_id = audio_level_id

    def write(self, packet: RtpPacket, payload_type: int, sequence: int, timestamp: int, ntp: int) -> bytes:
        """The RTP packet (unprotected) to send for `packet`: rewritten header, this hop's extensions, same payload."""
        elements = [self._mid_element] if self._mid_element else []
        if self._abs_send_time_id is not None:  # 6.18 fixed point seconds, from the NTP time of sending
            elements.append(bytes(((self._abs_send_time_id << 4) | 2,)) + ((ntp >> 14) & 0xFFFFFF).to_bytes(3, "big"))
        level = packet.extensions.audio_level
        if self._audio_level_id is not None and level is not None:
            elements.append(bytes((self._audio_level_id << 4, (0x80 if level[0] else 0) | (level[1] & 0x7F))))
        if not elements:
            return _RTP_HEADER.pack(0x80, (packet.marker << 7) | payload_type, sequence, timestamp,
                                    self.ssrc) + packet.payload
        return _RTP_HEADER.pack(0x90, (packet.marker << 7) | payload_type, sequence, timestamp,
                                self.ssrc) + extension_block(elements) + packet.payload


def rtx_of(data: bytes, payload_type: int, sequence: int, ssrc: int) -> bytes:
    """The RTX packet (RFC 4588) retransmitting the RTP packet `data`: same timestamp, marker and extensions."""
    header_end = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        header_end += 4 + 4 * int.from_bytes(data[header_end + 2:header_end + 4], "big")
    # version, CSRC count and extension bit kept (no padding is ever added here); marker kept, payload type RTX
    return (bytes((data[0] & 0xDF, (data[1] & 0x80) | payload_type)) + struct.pack("!H", sequence) + data[4:8]
            + struct.pack("!L", ssrc) + data[12:header_end] + data[2:4] + data[header_end:])




class ForwardedStream:
    """Forwards one source's packets to one subscriber's sender (the technician's video or audio, ...)."""

    def __init__(self, sender: RTCRtpSender, codecs: list[RTCRtpCodecParameters], kind: str,
                 request_keyframe: Callable[[], None]) -> None:
        self.sender = sender
        self.kind = kind
        self._request_keyframe = request_keyframe
        self.codec = codecs[0] if codecs else None  # what the viewer's sender was negotiated to send first
        self._payload_types = payload_types_by_codec(codecs)  # the relay restricts both legs to one video codec
        self._rewriter: SequenceRewriter | None = None
        self._mime: str | None = None
        self._payload_type = 0
        self._writer: PacketWriter | None = None
        # (sequence number, unprotected packet) sent lately, for the viewer's NACKs (video only: audio is not NACKed)
        self._history: list[tuple[int, bytes] | None] = [None] * HISTORY_SIZE if kind == "video" else []
        self._rtx_sequence = random.randrange(32768)
        self.paused = False
        self.packets = 0
        self.retransmitted = 0

    def send(self, packet: RtpPacket, codec: RTCRtpCodecParameters, now: float, *, mixed: bool = False) -> bool:
        """Rewrite and send one source packet now (in the source receiver's handler); True if it ended a frame.

        While paused (a mix plays), only the mix's own packets (mixed=True) are sent."""
        if self.paused and not mixed:
            return False
        writer = self._writer or self._prepare()
        if writer is None:
            return False
        mime = codec.mimeType.lower()
        rewriter = self._rewriter
        if rewriter is None or mime != self._mime:
            payload_type = self._payload_types.get(mime)
            if payload_type is None:
                return False  # the subscriber did not negotiate this codec
            last = rewriter.last if rewriter is not None else None
            rewriter = self._rewriter = SequenceRewriter(codec.clockRate, keyframe_start=KEYFRAME_STARTS.get(mime))
            if last is not None:
                rewriter.continue_after(*last)
            self._mime = mime
            self._payload_type = payload_type
        out = rewriter.rewrite(packet.ssrc, packet.sequence_number, packet.timestamp, packet.payload, now)
        if out is None:
            if rewriter.waiting:
                self._request_keyframe()
            return False
        sequence, timestamp = out
        ntp = int((time.time() + NTP_EPOCH_OFFSET) * 4294967296)
        data = writer.write(packet, self._payload_type, sequence, timestamp, ntp)
        if send_rtp_now(self.sender.transport, data) is None:
            return False
        self.packets += 1
        RELAY.packets_forwarded[self.kind] += 1
        ended_frame = bool(packet.marker) or self.kind == "audio"  # a frame's last packet reached this viewer
        if ended_frame:
            RELAY.frames_out[self.kind] += 1
        count_sent(self.sender, len(packet.payload), ntp, timestamp)
        if self._history:
            self._history[sequence % HISTORY_SIZE] = (sequence, data)
        return ended_frame

    async def retransmit(self, sequence: int) -> None:
        """A viewer's NACK: send the packet again if it is still in the history, as RTX if the viewer has it."""
        if not self._history:
            return
        entry = self._history[sequence % HISTORY_SIZE]
        if entry is None or entry[0] != sequence:
            return
        data = entry[1]
        rtx_payload_type, rtx_ssrc = sender_rtx(self.sender)
        if rtx_payload_type is not None:  # a new sequence number: the viewer's SRTP replay check passes it
            data = rtx_of(data, rtx_payload_type, self._rtx_sequence, rtx_ssrc)
            self._rtx_sequence = (self._rtx_sequence + 1) & 0xFFFF
        if send_rtp_now(self.sender.transport, data) is not None:
            self.retransmitted += 1

    def pause(self) -> None:
        """Stop forwarding source packets (a MixPump sends a mix through this stream instead)."""
        self.paused = True

    def resume(self) -> None:
        """Forward source packets again, continuing after the mix's newest packet."""
        self.paused = False
        if self._rewriter is not None:
            self._rewriter.forget_retired()  # the source it forwarded before the mix is welcome back at once

    def _prepare(self) -> PacketWriter | None:
        """Read what aiortc negotiated for the sender, once it started (before that nothing can be sent)."""
        if not sender_ready(self.sender):
            return None
        mid_id, abs_send_time_id, audio_level_id = sender_extension_ids(self.sender)
        self._writer = PacketWriter(sender_ssrc(self.sender), mid=sender_mid(self.sender), mid_id=mid_id,
                                    abs_send_time_id=abs_send_time_id if self.kind == "video" else None,
                                    audio_level_id=audio_level_id if self.kind == "audio" else None)
        return self._writer


MIX_SOURCE = -1  # the source id of the relay's own mix in a viewer's SequenceRewriter (no real SSRC is negative)


class MixPump:
    """Sends one listener's N-1 mix through its forwarded stream: aiortc's Opus encoder, the stream's numbering.

    Not through aiortc's sender loop: that loop numbers packets on its own, so the viewer's SRTP context (and
    libsrtp's replay window on our side) would see the sequence number jump backwards at every switch."""

    def __init__(self, stream: ForwardedStream, mix: MediaStreamTrack) -> None:
        self.stream = stream
        self.mix = mix
        self.packets = 0

    async def run(self) -> None:
        """Encode and send 20 ms of mix at a time until the mix stops or the task is cancelled."""
        codec = self.stream.codec
        if codec is None:
            return
        encoder = get_encoder(codec)
        loop = asyncio.get_running_loop()
        sequence = 0
        try:
            while True:
                frame = await self.mix.recv()
                assert isinstance(frame, AudioFrame)
                payloads, timestamp = await loop.run_in_executor(None, encoder.encode, frame, False)
                for payload in payloads:
                    packet = RtpPacket(payload_type=codec.payloadType or 0, sequence_number=sequence,
                                       timestamp=timestamp, ssrc=MIX_SOURCE, payload=payload)
                    self.stream.send(packet, codec, time.monotonic(), mixed=True)
                    sequence = (sequence + 1) & 0xFFFF
                    self.packets += 1
        except MediaStreamError:  # the mix was stopped
            return


class ForwardingErrors:
    """Packets whose forwarding raised (counted, never raised into the receiver: the frame path goes on)."""

    count = 0


PacketSink = Callable[[RtpPacket, RTCRtpCodecParameters, float], None]


def forward_from(receiver: Any, sink: PacketSink) -> Callable[[RtpHandler], RtpHandler]:
    """A wrapper for a receiver's RTP handler that hands each packet (RTX unwrapped) to `sink` first."""

    def in_front_of(original: RtpHandler) -> RtpHandler:
        async def forwarding(packet: RtpPacket, arrival_time_ms: int) -> None:
            codecs = receiver_codecs(receiver)
            codec = codecs.get(packet.payload_type)
            if codec is not None:
                if codec.mimeType.lower().endswith("/rtx"):
                    apt = codec.parameters.get("apt")
                    ssrc = receiver_rtx_ssrcs(receiver).get(packet.ssrc)
                    repaired = codecs.get(apt) if isinstance(apt, int) else None
                    try:
                        if repaired is not None and isinstance(apt, int) and ssrc is not None and len(packet.payload) >= 2:
                            sink(unwrap_rtx(packet, payload_type=apt, ssrc=ssrc), repaired, time.monotonic())
                    except Exception:  # forwarding must never cost the recorder and analysis a packet
                        ForwardingErrors.count += 1
                else:
                    try:
                        sink(packet, codec, time.monotonic())
                    except Exception:
                        ForwardingErrors.count += 1
            await original(packet, arrival_time_ms)
        return forwarding

    return in_front_of


class IdleTrack(MediaStreamTrack):
    """The track of a sender whose packets are forwarded around it: yields nothing, ends when the sender stops."""

    def __init__(self, kind: str, on_stop: Callable[[], None]) -> None:
        super().__init__()
        self.kind = kind
        self._on_stop = on_stop
        self._stopped = asyncio.Event()

    async def recv(self) -> Any:
        """Never a frame: waits until the track is stopped (aiortc's send loop then ends)."""
        await self._stopped.wait()
        raise MediaStreamError

    def stop(self) -> None:
        """Stop the track (the sender stopped) and stop forwarding to it."""
        if self.readyState == "live":
            self._on_stop()
        super().stop()
        self._stopped.set()
