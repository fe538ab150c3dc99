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
from aiortc import RTCIceTransport, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.jitterbuffer import JitterBuffer
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
