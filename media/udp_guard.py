"""Contain hostile datagrams at the server peer's media sockets (found by the UDP fuzzing of issue 15).

Anyone who can reach a media port can send it anything. Three inputs got past aiortc/aioice's own checks:
- an empty datagram is queued as media, and aiortc's DTLS transport indexes its first byte: IndexError, the
  transport closes and the call's media stops;
- an RTP/RTCP-shaped datagram (first byte 128-191) over 1500 bytes makes libsrtp's wrapper raise ValueError
  ("packet is too long"), which closes the DTLS transport the same way;
- STUN-shaped datagrams whose PRIORITY/ICE-CONTROLLING/... attribute has the wrong length make aioice's parser
  raise struct.error (not the ValueError it expects); asyncio logs a traceback for every such datagram.
Each ICE socket's datagram handler is wrapped: those datagrams are dropped before aiortc sees them, and anything
the handler raises drops that one datagram (counted, never logged per datagram: an attacker would otherwise write
our logs). Media-shaped datagrams (DTLS, SRTP) from an address other than the peer ICE chose are dropped too,
before any parsing: a flood from elsewhere then costs a comparison instead of a pass through OpenSSL or libsrtp."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection

from .aiortc_internals import ice_socket_protocols, nominated_remote_addresses
from .ice import CandidatePolicy

_GUARDED = "_lensdesk_guarded"
RECEIVE_BUFFER = 2 << 20  # bytes the kernel may queue per media socket (capped by net.core.rmem_max)
SRTP_MAX_PACKET = 1500  # pylibsrtp's unprotect buffer; real packets stay under the path MTU


def harmful(data: bytes) -> bool:
    """True for a datagram that would stop aiortc's DTLS transport (empty, or SRTP-shaped and oversize)."""
    return not data or (127 < data[0] < 192 and len(data) > SRTP_MAX_PACKET)


class DroppedDatagrams:
    """How many hostile datagrams were dropped by the guard in this process (for /metrics and tests)."""

    count = 0


def _from_elsewhere(protocol: Any, data: bytes, addr: tuple[Any, ...]) -> bool:
    """Media (not STUN) from an address other than the nominated pair's remote: nobody we talk to sent it."""
    if data[0] < 4:  # STUN (RFC 7983): connectivity checks may come from new addresses
        return False
    remotes = nominated_remote_addresses(protocol)
    if remotes is None:  # before ICE has chosen a pair, aiortc does not read media anyway
        return False
    source = (addr[0], addr[1])  # built once per datagram, not once per nominated pair
    return all(source != remote for remote in remotes)


def _outside_peer_networks(policy: CandidatePolicy | None) -> Callable[[str], bool]:
    """A cached test of a source address against the configured peer networks (always False when none are)."""
    if policy is None or not policy.peers_only:
        return lambda host: False
    verdicts: dict[str, bool] = {}

    def outside(host: str) -> bool:
        verdict = verdicts.get(host)
        if verdict is None:
            try:
                verdict = policy.outside_peer_networks(ipaddress.ip_address(host.split("%", 1)[0]))
            except ValueError:
                verdict = True
            if len(verdicts) < 64:  # a spoofing flood must not grow the cache
                verdicts[host] = verdict
        return verdict

    return outside


def _guard(protocol: Any, policy: CandidatePolicy | None) -> Callable[[bytes, tuple[Any, ...]], None]:
    handler: Callable[[bytes, tuple[Any, ...]], None] = protocol.datagram_received
    outside = _outside_peer_networks(policy)

    def guarded(data: bytes, addr: tuple[Any, ...]) -> None:
        # A connectivity check from outside the peer networks would make aioice answer and probe that address
        # (a peer-reflexive candidate): the signalled candidates are filtered, so the learned ones are too.
        if harmful(data) or outside(addr[0]) or _from_elsewhere(protocol, data, addr):
            DroppedDatagrams.count += 1
            return
        try:
            handler(data, addr)
        except Exception:  # a malformed datagram: drop it, the socket and the call go on
            DroppedDatagrams.count += 1

    setattr(guarded, _GUARDED, True)
    return guarded


def _enlarge_receive_buffer(protocol: Any) -> None:
    # The loop reads one datagram per socket per turn: a flood (or a busy machine) fills the default ~200 KB
    # queue and the kernel drops the call's own packets with the attacker's. A deeper queue absorbs bursts.
    sock = protocol.transport.get_extra_info("socket") if protocol.transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)


def guard_media_sockets(pc: RTCPeerConnection, policy: CandidatePolicy | None = None) -> int:
    """Wrap the datagram handler of every ICE socket of this peer connection (idempotent); returns how many.

    With a policy that names peer networks, datagrams from any other address are dropped as well."""
    wrapped = 0
    ice_transports = {t.receiver.transport.transport for t in pc.getTransceivers() if t.receiver.transport}
    if pc.sctp is not None:
        ice_transports.add(pc.sctp.transport.transport)
    for ice in ice_transports:
        for protocol in ice_socket_protocols(ice):
            if not getattr(protocol.datagram_received, _GUARDED, False):
                protocol.datagram_received = _guard(protocol, policy)
                _enlarge_receive_buffer(protocol)
                wrapped += 1
    return wrapped
