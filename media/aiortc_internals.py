"""The one seam onto aiortc's and aioice's private internals: every private attribute the project touches.

A relay needs a few things aiortc does not expose: the receiver's jitter buffer (a lower-latency one), its
decoder queue (to tap encoded frames), its RTP handler (test-mode packet loss), a transceiver's negotiated codec
list, the sender's keyframe hook (a viewer's PLI must reach the customer's encoder), the receiver's PLI sender,
the ICE sockets' datagram handlers (the UDP guard), the nominated candidate pairs, and aioice's host-address
function. They live here, nowhere else, so an aiortc upgrade is checked in one place:
`tests/unit/media/test_aiortc_internals.py` asserts each one exists with the shape used here, and this module
refuses at import an aiortc/aioice outside the versions it was written against.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from importlib.metadata import version
from typing import Any

import aioice.ice
import pylibsrtp
from aiortc import RTCDtlsTransport, RTCIceTransport, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

SUPPORTED_AIORTC = "1.16."
AIORTC_VERSION = version("aiortc")
AIOICE_VERSION = version("aioice")

if not AIORTC_VERSION.startswith(SUPPORTED_AIORTC):
    raise ImportError(f"lensdesk patches aiortc {SUPPORTED_AIORTC}x internals (media/aiortc_internals.py); "
                      f"aiortc {AIORTC_VERSION} is installed: check each internal there, then update the pin")
if AIOICE_VERSION.split(".")[0] != "0":
    raise ImportError(f"lensdesk patches aioice 0.x internals (media/aiortc_internals.py); "
                      f"aioice {AIOICE_VERSION} is installed")

# Name-mangled private attributes of RTCRtpReceiver (`self.__jitter_buffer`, `self.__decoder_queue`).
RECEIVER_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
RECEIVER_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
RECEIVER_REMOTE_STREAMS = "_RTCRtpReceiver__remote_streams"
SENDER_PACKET_COUNT = "_RTCRtpSender__packet_count"  # RTP packets sent (for RTCP sender reports)
# What the sender's RTCP loop puts in its sender reports (media/forward.py keeps them right for forwarded packets).
SENDER_OCTET_COUNT = "_RTCRtpSender__octet_count"
SENDER_NTP_TIMESTAMP = "_RTCRtpSender__ntp_timestamp"
SENDER_RTP_TIMESTAMP = "_RTCRtpSender__rtp_timestamp"
SENDER_STARTED = "_RTCRtpSender__started"
SENDER_MID = "_RTCRtpSender__mid"
SENDER_EXTENSIONS_MAP = "_RTCRtpSender__rtp_header_extensions_map"
SENDER_RTP_HISTORY = "_RTCRtpSender__rtp_history"
SENDER_RTX_PAYLOAD_TYPE = "_RTCRtpSender__rtx_payload_type"
EXTENSIONS_MAP_IDS = "_HeaderExtensionsMap__ids"  # HeaderExtensions holding each negotiated extension's id
RECEIVER_CODECS = "_RTCRtpReceiver__codecs"  # payload type -> RTCRtpCodecParameters
RECEIVER_RTX_SSRCS = "_RTCRtpReceiver__rtx_ssrc"  # RTX SSRC -> the SSRC it repairs
# JitterBuffer's private fields a subclass (media/jitter.py RelayJitterBuffer) reads or overrides.
JITTER_BUFFER_FIELDS = ("_capacity", "_origin", "_packets", "_is_video", "_prefetch")
JITTER_BUFFER_HOOK = "_remove_frame"  # called with the sequence number of each packet added


# -- receiver ------------------------------------------------------------------------------------------------

def jitter_buffer(receiver: RTCRtpReceiver) -> JitterBuffer:
    """The receiver's jitter buffer; RuntimeError if aiortc no longer keeps it where expected."""
    current = getattr(receiver, RECEIVER_JITTER_BUFFER, None)
    if not isinstance(current, JitterBuffer):
        raise RuntimeError(f"cannot find the receiver's jitter buffer {RECEIVER_JITTER_BUFFER} (aiortc changed?)")
    return current


def replace_jitter_buffer(receiver: RTCRtpReceiver, buffer: JitterBuffer) -> None:
    """Make the receiver reassemble frames with `buffer` (before media flows)."""
    jitter_buffer(receiver)
    setattr(receiver, RECEIVER_JITTER_BUFFER, buffer)


def jitter_buffer_settings(buffer: JitterBuffer) -> tuple[int, int, bool]:
    """(capacity, prefetch, is_video) of a jitter buffer, to build a replacement of the same size."""
    return buffer.capacity, buffer._prefetch, buffer._is_video


def decoder_queue(receiver: RTCRtpReceiver) -> Any:
    """What the receiver puts each reassembled (codec, JitterFrame) on: its queue.Queue, or a tee put there."""
    return getattr(receiver, RECEIVER_DECODER_QUEUE, None)


def replace_decoder_queue(receiver: RTCRtpReceiver, replacement: Any) -> None:
    """Make the receiver put reassembled frames on `replacement` (anything with put(item))."""
    setattr(receiver, RECEIVER_DECODER_QUEUE, replacement)


RtpHandler = Callable[[RtpPacket, int], Coroutine[Any, Any, None]]


def wrap_rtp_handler(receiver: RTCRtpReceiver, wrap: Callable[[RtpHandler], RtpHandler]) -> None:
    """Put `wrap(original)` in front of the receiver's RTP packet handler (before NACK and jitter handling)."""
    receiver._handle_rtp_packet = wrap(receiver._handle_rtp_packet)  # type: ignore[method-assign,assignment]


def received_streams(receiver: RTCRtpReceiver) -> list[Any]:
    """aiortc's StreamStatistics per received SSRC (packets_received...), read without awaiting getStats()."""
    return list(getattr(receiver, RECEIVER_REMOTE_STREAMS, {}).values())


def sent_packets(sender: RTCRtpSender) -> int:
    """RTP packets the sender has sent so far, read without awaiting getStats() (bench/relay_packet_cost.py)."""
    return int(getattr(sender, SENDER_PACKET_COUNT, 0))


def receiver_codecs(receiver: RTCRtpReceiver) -> dict[int, RTCRtpCodecParameters]:
    """The receiver's own payload type -> codec table (live: filled when it starts receiving)."""
    codecs: dict[int, RTCRtpCodecParameters] = getattr(receiver, RECEIVER_CODECS)
    return codecs


def receiver_rtx_ssrcs(receiver: RTCRtpReceiver) -> dict[int, int]:
    """The receiver's RTX SSRC -> repaired SSRC table (live)."""
    ssrcs: dict[int, int] = getattr(receiver, RECEIVER_RTX_SSRCS)
    return ssrcs


def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> Awaitable[None]:
    """Send a picture loss indication for `media_ssrc` through the receiver's RTCP (a coroutine to await)."""
    result: Awaitable[None] = receiver._send_rtcp_pli(media_ssrc)
    return result


def payload(packet: RtpPacket) -> bytes:
    """The depacketised payload aiortc's receiver stores on an RTP packet (`_data`)."""
    data: bytes = packet._data  # type: ignore[attr-defined]
    return data


def set_payload(packet: RtpPacket, data: bytes) -> None:
    """Store a depacketised payload the way aiortc's receiver does (tests build packets with it)."""
    packet._data = data  # type: ignore[attr-defined]


# -- sender and transceiver ------------------------------------------------------------------------------------

def on_keyframe_request(sender: RTCRtpSender, handler: Callable[[], None]) -> None:
    """Route a remote PLI/FIR arriving at this sender to `handler` instead of aiortc's own encoder."""
    sender._send_keyframe = handler  # type: ignore[method-assign]


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    """The codecs aiortc negotiated for a transceiver (set once it applied an offer)."""
    return list(getattr(transceiver, "_codecs", []))


def set_negotiated_codecs(transceiver: RTCRtpTransceiver, codecs: list[RTCRtpCodecParameters]) -> None:
    """Narrow the negotiated codecs (aiortc applies setCodecPreferences only while building from an offer)."""
    transceiver._codecs = codecs


def on_retransmit_request(sender: RTCRtpSender, handler: Callable[[int], Awaitable[None]]) -> None:
    """Answer a remote NACK arriving at this sender with `handler(sequence_number)` instead of aiortc's history."""
    sender._retransmit = handler  # type: ignore[method-assign,assignment]


def sender_ready(sender: RTCRtpSender) -> bool:
    """Whether aiortc started the sender (its mid and header extension ids are known from then on)."""
    return bool(getattr(sender, SENDER_STARTED, False))


def sender_ssrc(sender: RTCRtpSender) -> int:
    """The SSRC the sender sends with (negotiated in the answer; RTCP for it is routed to this sender)."""
    return int(sender._ssrc)


def sender_mid(sender: RTCRtpSender) -> str | None:
    """The media section id the sender writes in its mid header extension (None before it started)."""
    mid: str | None = getattr(sender, SENDER_MID, None)
    return mid


def sender_extension_ids(sender: RTCRtpSender) -> tuple[int | None, int | None, int | None]:
    """(mid, abs-send-time, ssrc-audio-level) header extension ids negotiated for this sender (None: not used)."""
    ids = getattr(getattr(sender, SENDER_EXTENSIONS_MAP), EXTENSIONS_MAP_IDS)
    return ids.mid or None, ids.abs_send_time or None, ids.audio_level or None


def sender_rtx(sender: RTCRtpSender) -> tuple[int | None, int]:
    """(RTX payload type or None when the viewer did not negotiate RTX, RTX SSRC) of a started sender."""
    payload_type: int | None = getattr(sender, SENDER_RTX_PAYLOAD_TYPE, None)
    return payload_type, int(sender._rtx_ssrc)


def sender_history(sender: RTCRtpSender) -> dict[int, RtpPacket]:
    """The RTP packets aiortc's own send loop sent lately (sequence number % 128 -> packet)."""
    history: dict[int, RtpPacket] = getattr(sender, SENDER_RTP_HISTORY)
    return history


def count_sent(sender: RTCRtpSender, octets: int, ntp_timestamp: int, rtp_timestamp: int) -> None:
    """Account one packet sent around the sender, so its RTCP sender reports count it and map NTP to its timestamp."""
    setattr(sender, SENDER_PACKET_COUNT, getattr(sender, SENDER_PACKET_COUNT) + 1)
    setattr(sender, SENDER_OCTET_COUNT, getattr(sender, SENDER_OCTET_COUNT) + octets)
    setattr(sender, SENDER_NTP_TIMESTAMP, ntp_timestamp)
    setattr(sender, SENDER_RTP_TIMESTAMP, rtp_timestamp)


# -- DTLS -------------------------------------------------------------------------------------------------------

def send_rtp_now(transport: RTCDtlsTransport, data: bytes) -> bytes | None:
    """SRTP-protect one RTP packet and send it on the nominated ICE pair at once (no await, no task switch).

    Returns the protected bytes (a retransmission resends them as they are), or None when the transport is not
    connected (yet, or any more). aiortc's own _send_rtp does the same behind two awaits."""
    if transport._state is not DtlsState.CONNECTED:
        return None
    pair = transport._transport._connection._nominated.get(1)
    if pair is None or pair.protocol.transport is None:
        return None
    try:
        protected: bytes = transport._tx_srtp.protect(data)
    except pylibsrtp.Error:  # e.g. an index libsrtp's replay window calls too old: that one packet is not sent
        return None
    pair.protocol.transport.sendto(protected, pair.remote_addr)
    return protected


# -- ICE --------------------------------------------------------------------------------------------------------

def ice_socket_protocols(transport: RTCIceTransport) -> list[Any]:
    """The datagram protocols (one per gathered socket) of an ICE transport's aioice connection."""
    return list(getattr(transport.iceGatherer._connection, "_protocols", []))


def nominated_pairs(transport: RTCIceTransport) -> list[Any]:
    """The candidate pairs (aioice CandidatePair) ICE nominated on a transport, one per component."""
    return list(transport.iceGatherer._connection._nominated.values())


def nominated_remote_addresses(protocol: Any) -> Iterable[tuple[str, int]] | None:
    """Remote addresses of the pairs ICE nominated on this socket's connection, or None before it chose any."""
    nominated = getattr(protocol.receiver, "_nominated", None)
    if not nominated:
        return None
    return [pair.remote_addr for pair in nominated.values()]


HostAddresses = Callable[[bool, bool], list[str]]
ALL_HOST_ADDRESSES: HostAddresses = aioice.ice.get_host_addresses


def set_host_addresses(source: HostAddresses) -> None:
    """Make aioice gather host candidates on what `source(use_ipv4, use_ipv6)` returns (process-wide)."""
    aioice.ice.get_host_addresses = source  # type: ignore[assignment]
