"""Which remote ICE candidates the server's ICE agent may contact (pure: text in, verdict out).

A participant's candidates make the server send STUN checks to the addresses they name. Left alone, a
participant could aim those at the server's own network (loopback, private ranges, the cloud metadata
service): the filter refuses such candidates before aiortc sees them, trickled or inside an SDP offer.
LAN deployments (and the tests, which run on loopback) allow their ranges explicitly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges the server never contacts unless allowed; each with why, for the error message and the docs.
DENIED_RANGES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified"),
    ("127.0.0.0/8", "loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("169.254.0.0/16", "link-local (cloud metadata)"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("198.18.0.0/15", "benchmarking"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fc00::/7", "unique-local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_DENIED: tuple[tuple[IPNetwork, str], ...] = tuple((ipaddress.ip_network(n), why) for n, why in DENIED_RANGES)

# IPv6 forms that carry an IPv4 address inside (checked as that IPv4 address).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")

_TRANSPORTS = {"udp", "tcp"}
_TYPES = {"host", "srflx", "prflx", "relay"}


class CandidateError(ValueError):
    """A candidate that is malformed or names an address the server will not contact."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ParsedCandidate:
    """The parts of an ICE candidate line the filter needs."""

    transport: str
    address: IPAddress
    port: int
    type: str


def parse_candidate(line: str) -> ParsedCandidate:
    """Parse 'candidate:...' (or the attribute value without the prefix); raises CandidateError if malformed."""
    text = line.strip()
    if text.startswith("a="):
        text = text[2:]
    if text.startswith("candidate:"):
        text = text[len("candidate:"):]
    bits = text.split()
    if len(bits) < 8 or bits[6] != "typ":
        raise CandidateError("invalid_candidate",
                             "The ICE candidate is malformed: expected 'foundation component transport priority "
                             "address port typ type'.")
    foundation, component, transport, priority, host, port_text, _, kind = bits[:8]
    if not (component.isdigit() and priority.isdigit() and port_text.isdigit()) or not foundation:
        raise CandidateError("invalid_candidate", "The ICE candidate has a non-numeric component, priority or port.")
    if not 0 < int(component) < 257 or int(priority) >= 2**32:  # RFC 8445 ranges; aioice packs them in STUN
        raise CandidateError("invalid_candidate", "The ICE candidate's component or priority is out of range.")
    port = int(port_text)
    if not 0 < port < 65536:
        raise CandidateError("invalid_candidate", f"The ICE candidate's port {port} is out of range.")
    if transport.lower() not in _TRANSPORTS:
        raise CandidateError("invalid_candidate", f"The ICE candidate's transport {transport[:16]!r} is not udp or tcp.")
    if kind not in _TYPES:
        raise CandidateError("invalid_candidate", f"The ICE candidate's type {kind[:16]!r} is unknown.")
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        # mDNS (.local) and DNS names would make the server resolve a name chosen by the participant.
        raise CandidateError("candidate_refused",
                             "ICE candidates must carry an IP address; names (such as mDNS .local names) are not "
                             "resolved by the server.") from None
    return ParsedCandidate(transport.lower(), address, port, kind)


class CandidatePolicy:
    """Refuses remote candidates in loopback, private, link-local, CGNAT, metadata, multicast and
    unique-local ranges, except for explicitly allowed CIDRs; with peer networks set, everything outside them too."""

    def __init__(self, allowed_cidrs: Iterable[str] = (), peer_cidrs: Iterable[str] = ()) -> None:
        try:
            self.allowed: tuple[IPNetwork, ...] = tuple(ipaddress.ip_network(c, strict=False) for c in allowed_cidrs)
        except ValueError as exc:
            raise ValueError(f"ICE allow-list: {exc}") from exc
        try:
            self.peers_only: tuple[IPNetwork, ...] = tuple(ipaddress.ip_network(c, strict=False) for c in peer_cidrs)
        except ValueError as exc:
            raise ValueError(f"ICE peer networks: {exc}") from exc

    def outside_peer_networks(self, address: IPAddress) -> bool:
        """True when peer networks are configured and the address lies in none of them."""
        return bool(self.peers_only) and not any(address in net for net in self.peers_only)

    def why_denied(self, address: IPAddress) -> str | None:
        """The reason an address is refused, or None when the server may contact it."""
        if self.outside_peer_networks(address):
            return "non-peer-network"
        if any(address in net for net in self.allowed):
            return None
        inner = _embedded_ipv4(address)
        if inner is not None:
            return self.why_denied(inner)
        return next((why for net, why in _DENIED if address in net), None)

    def check(self, line: str) -> ParsedCandidate:
        """The parsed candidate if the server may contact it; raises CandidateError otherwise."""
        candidate = parse_candidate(line)
        why = self.why_denied(candidate.address)
        if why is not None:
            raise CandidateError("candidate_refused",
                                 f"The ICE candidate points at a {why} address, which this server does not contact.")
        return candidate

    def filter_sdp(self, sdp: str) -> tuple[str, list[CandidateError]]:
        """The SDP without refused or malformed a=candidate lines, and why each removed line went."""
        kept: list[str] = []
        refused: list[CandidateError] = []
        newline = "\r\n" if "\r\n" in sdp else "\n"
        for line in sdp.split(newline):
            if line.startswith("a=candidate:"):
                try:
                    self.check(line)
                except CandidateError as exc:
                    refused.append(exc)
                    continue
            kept.append(line)
        return newline.join(kept), refused


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64 or 6to4 IPv6 address."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour if address in _SIX_TO_FOUR else None
