"""Every aiortc/aioice internal the project touches exists with the shape media/aiortc_internals.py expects.

If one of these fails after an upgrade, aiortc moved an internal: fix media/aiortc_internals.py (and only it).
"""

from __future__ import annotations

import asyncio
import inspect
import queue

import aioice.ice
from aiortc import (
    RTCCertificate,
    RTCDtlsTransport,
    RTCIceGatherer,
    RTCIceTransport,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
)
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtp import RtpPacket

from media import aiortc_internals as internals


def receiver() -> RTCRtpReceiver:
    transport = RTCDtlsTransport(RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()])
    return RTCRtpReceiver("video", transport)


def test_the_installed_versions_are_the_supported_ones() -> None:
    assert internals.AIORTC_VERSION.startswith(internals.SUPPORTED_AIORTC)
    assert internals.AIOICE_VERSION.startswith("0.")


def test_receiver_keeps_a_jitter_buffer_with_the_fields_the_relay_buffer_reads() -> None:
    r = receiver()
    buffer = internals.jitter_buffer(r)
    assert isinstance(buffer, JitterBuffer)
    for field in internals.JITTER_BUFFER_FIELDS:
        assert hasattr(buffer, field), f"JitterBuffer.{field} moved"
    assert isinstance(buffer._packets, list) and isinstance(buffer._capacity, int)
    hook = getattr(JitterBuffer, internals.JITTER_BUFFER_HOOK)
    assert list(inspect.signature(hook).parameters) == ["self", "sequence_number"]
    capacity, prefetch, is_video = internals.jitter_buffer_settings(buffer)
    assert capacity > 0 and is_video is True and prefetch == 0
    replacement = JitterBuffer(capacity=64, is_video=True)
    internals.replace_jitter_buffer(r, replacement)
    assert internals.jitter_buffer(r) is replacement


def test_receiver_puts_frames_on_a_decoder_queue_and_handles_rtp_in_a_coroutine() -> None:
    r = receiver()
    assert isinstance(internals.decoder_queue(r), queue.Queue)
    assert inspect.iscoroutinefunction(r._handle_rtp_packet)
    assert list(inspect.signature(r._handle_rtp_packet).parameters) == ["packet", "arrival_time_ms"]
    assert inspect.iscoroutinefunction(r._send_rtcp_pli)
    assert list(inspect.signature(r._send_rtcp_pli).parameters) == ["media_ssrc"]
    assert isinstance(getattr(r, internals.RECEIVER_REMOTE_STREAMS), dict)
    assert internals.received_streams(r) == []
    wrapped = []

    def wrap(original):
        wrapped.append(original)
        return original

    internals.wrap_rtp_handler(r, wrap)
    assert wrapped and r._handle_rtp_packet is wrapped[0]


def test_rtp_packets_carry_their_payload_in_data() -> None:
    p = RtpPacket(payload_type=96, sequence_number=1, timestamp=1)
    internals.set_payload(p, b"frame")
    assert internals.payload(p) == b"frame"
    source = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    assert "packet._data" in source, "aiortc no longer stores the depacketised payload on packet._data"


def test_sender_keyframe_hook_transceiver_codecs_and_ice_connection() -> None:
    async def run() -> None:
        pc = RTCPeerConnection()
        try:
            sender = pc.addTrack(AudioStreamTrack())
            assert isinstance(sender, RTCRtpSender)
            assert isinstance(getattr(sender, internals.SENDER_PACKET_COUNT), int)
            assert internals.sent_packets(sender) == 0
            assert callable(sender._send_keyframe)
            assert list(inspect.signature(sender._send_keyframe).parameters) == []
            calls: list[int] = []
            internals.on_keyframe_request(sender, lambda: calls.append(1))
            sender._send_keyframe()
            assert calls == [1]
            [transceiver] = pc.getTransceivers()
            assert isinstance(transceiver._codecs, list)
            internals.set_negotiated_codecs(transceiver, [])
            assert internals.negotiated_codecs(transceiver) == []
            ice = transceiver.sender.transport.transport
            connection = ice.iceGatherer._connection
            assert isinstance(connection._protocols, list) and isinstance(connection._nominated, dict)
            assert internals.ice_socket_protocols(ice) == [] and internals.nominated_pairs(ice) == []
        finally:
            await pc.close()

    asyncio.run(run())


def test_nominated_remote_addresses_read_the_connection_of_a_socket_protocol() -> None:
    source = inspect.getsource(aioice.ice.StunProtocol)
    assert "self.receiver" in source, "aioice's StunProtocol no longer knows its Connection as .receiver"
    assert "_nominated" in inspect.getsource(aioice.ice.Connection)


def test_aioice_reads_host_addresses_from_its_module_function_at_gathering() -> None:
    original = aioice.ice.get_host_addresses  # tests/conftest.py restricts it to loopback: restored below
    stock = internals.ALL_HOST_ADDRESSES
    assert (stock.__module__, stock.__name__) == ("aioice.ice", "get_host_addresses")
    assert list(inspect.signature(stock).parameters) == ["use_ipv4", "use_ipv6"]
    assert "get_host_addresses(" in inspect.getsource(aioice.ice.Connection.gather_candidates)
    try:
        internals.set_host_addresses(lambda ipv4, ipv6: ["127.0.0.1"])
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
    finally:
        aioice.ice.get_host_addresses = original


def test_what_packet_forwarding_reads_and_writes_on_senders_receivers_and_dtls_transports() -> None:
    async def run() -> None:
        pc = RTCPeerConnection()
        try:
            sender = pc.addTrack(AudioStreamTrack())
            for name in (internals.SENDER_PACKET_COUNT, internals.SENDER_OCTET_COUNT,
                         internals.SENDER_NTP_TIMESTAMP, internals.SENDER_RTP_TIMESTAMP):
                assert isinstance(getattr(sender, name), int), name
            assert internals.sender_ready(sender) is False and internals.sender_mid(sender) is None
            assert internals.sender_extension_ids(sender) == (None, None, None)
            assert internals.sender_history(sender) == {}
            assert internals.sender_rtx(sender)[0] is None and isinstance(internals.sender_ssrc(sender), int)
            internals.count_sent(sender, 100, 5 << 32, 960)
            assert internals.sent_packets(sender) == 1 and getattr(sender, internals.SENDER_OCTET_COUNT) == 100
            assert list(inspect.signature(sender._retransmit).parameters) == ["sequence_number"]
            assert "self._retransmit(" in inspect.getsource(RTCRtpSender._handle_rtcp_packet)
            for field in ("__ntp_timestamp", "__rtp_timestamp", "__packet_count", "__octet_count"):
                assert f"self.{field}" in inspect.getsource(RTCRtpSender._run_rtcp), field
            r = receiver()
            assert internals.receiver_codecs(r) == {} and internals.receiver_rtx_ssrcs(r) == {}
            dtls = sender.transport
            assert dtls._transport is dtls.transport and dtls._tx_srtp is None
            assert internals.send_rtp_now(dtls, b"\x80" * 12) is None  # not connected: nothing sent
        finally:
            await pc.close()

    asyncio.run(run())
