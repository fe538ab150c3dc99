"""The remote ICE candidate filter on its own: every denied range (v4/v6), the allow-list, malformed lines, SDP."""

from __future__ import annotations

import ipaddress

import pytest

from media.ice import DENIED_RANGES, CandidateError, CandidatePolicy, parse_candidate


def cand(address: str, port: int = 40000, *, transport: str = "udp", kind: str = "host") -> str:
    return f"candidate:842163049 1 {transport} 1677729535 {address} {port} typ {kind} generation 0"


# First, last and one inner address of each range the brief names, plus the metadata address itself.
DENIED_EXAMPLES = [
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
    "192.168.0.1", "192.168.255.255", "169.254.0.1", "169.254.169.254", "100.64.0.1", "100.127.255.255",
    "0.0.0.0", "224.0.0.251", "239.255.255.250", "255.255.255.255", "198.18.0.1",
    "::1", "::", "fe80::1", "febf::1", "fc00::1", "fd00::2", "fdff:ffff::1", "ff02::fb", "fec0::1",
    # IPv4 inside IPv6 forms: mapped, NAT64, 6to4
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:c0a8:0101::1",
]
ALLOWED_EXAMPLES = ["8.8.8.8", "203.0.113.7", "172.32.0.1", "100.128.0.1", "11.0.0.1", "2001:4860::8888",
                    "::ffff:8.8.8.8", "2002:0808:0808::1", "192.0.2.2"]


@pytest.mark.parametrize("address", DENIED_EXAMPLES)
def test_internal_addresses_are_refused(address):
    with pytest.raises(CandidateError) as refused:
        CandidatePolicy().check(cand(address))
    assert refused.value.code == "candidate_refused"
    assert "does not contact" in refused.value.message


@pytest.mark.parametrize("address", ALLOWED_EXAMPLES)
def test_public_addresses_pass(address):
    parsed = CandidatePolicy().check(cand(address))
    assert parsed.address == ipaddress.ip_address(address)


@pytest.mark.parametrize("network", [n for n, _ in DENIED_RANGES])
def test_every_denied_range_is_refused_at_both_ends(network):
    net = ipaddress.ip_network(network)
    policy = CandidatePolicy()
    for address in (net.network_address, net.broadcast_address):
        assert policy.why_denied(address) is not None, address
    # and with the reason of its own range (shown to the participant)
    assert policy.why_denied(net.network_address) == dict(DENIED_RANGES)[network]


def test_the_allow_list_opens_exactly_its_ranges():
    policy = CandidatePolicy(["127.0.0.1/32", "192.168.10.0/24", "fd00::/64"])
    assert policy.check(cand("127.0.0.1")).port == 40000
    assert policy.check(cand("192.168.10.77")).address == ipaddress.ip_address("192.168.10.77")
    assert policy.check(cand("fd00::2")).transport == "udp"
    for still_denied in ("127.0.0.2", "192.168.11.1", "fd00:0:0:1::2", "169.254.169.254"):
        with pytest.raises(CandidateError):
            policy.check(cand(still_denied))


def test_a_bad_allow_list_is_a_configuration_error():
    with pytest.raises(ValueError, match="ICE allow-list"):
        CandidatePolicy(["not-a-cidr"])


@pytest.mark.parametrize("name", ["3b6b3a1c-8f3e-4c1e-9d54-6f0b2f1a7c11.local", "metadata.google.internal",
                                  "localhost", "turn.example.com"])
def test_names_are_refused_not_resolved(name):
    with pytest.raises(CandidateError) as refused:
        CandidatePolicy().check(cand(name))
    assert refused.value.code == "candidate_refused" and "names" in refused.value.message


@pytest.mark.parametrize("line", [
    "candidate:1 1 udp 1 8.8.8.8",                       # short (aiortc asserted on these)
    "candidate:",
    "",
    "candidate:1 1 udp 1 8.8.8.8 99999 typ host",         # port out of range
    "candidate:1 1 udp 1 8.8.8.8 0 typ host",
    "candidate:1 1 udp x 8.8.8.8 5000 typ host",          # non-numeric priority
    "candidate:1 1 sctp 1 8.8.8.8 5000 typ host",         # unknown transport
    "candidate:1 1 udp 1 8.8.8.8 5000 typ bogus",         # unknown type
    "candidate:1 1 udp 1 8.8.8.8 5000 kind host",         # no 'typ'
])
def test_malformed_candidates_get_a_clear_error(line):
    with pytest.raises(CandidateError) as bad:
        CandidatePolicy().check(line)
    assert bad.value.code == "invalid_candidate" and bad.value.message.startswith("The ICE candidate")


def test_prefixes_and_zone_ids_are_understood():
    assert parse_candidate("a=" + cand("8.8.8.8")).port == 40000
    assert parse_candidate(cand("8.8.8.8")[len("candidate:"):]).type == "host"
    with pytest.raises(CandidateError):
        CandidatePolicy().check(cand("fe80::1%eth0"))


def test_relay_and_srflx_candidates_are_judged_by_their_own_address():
    policy = CandidatePolicy()
    assert policy.check(cand("203.0.113.9", kind="relay") + " raddr 10.0.0.5 rport 5000").type == "relay"
    with pytest.raises(CandidateError):
        policy.check(cand("10.0.0.5", kind="srflx") + " raddr 203.0.113.9 rport 5000")


def test_sdp_offers_lose_exactly_the_refused_candidates():
    sdp = "\r\n".join([
        "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0",
        "a=" + cand("203.0.113.7"), "a=" + cand("127.0.0.1"), "a=" + cand("169.254.169.254"),
        "a=" + cand("abc.local"), "a=candidate:short", "a=" + cand("fd00::2"), "a=end-of-candidates", "",
    ])
    filtered, refused = CandidatePolicy().filter_sdp(sdp)
    assert [line for line in filtered.split("\r\n") if line.startswith("a=candidate")] == ["a=" + cand("203.0.113.7")]
    assert len(refused) == 5
    assert {e.code for e in refused} == {"candidate_refused", "invalid_candidate"}
    assert filtered.endswith("a=end-of-candidates\r\n") and "m=audio" in filtered
    allowed, none = CandidatePolicy(["127.0.0.0/8"]).filter_sdp(sdp)
    assert "127.0.0.1 40000" in allowed and len(none) == 4


def test_fuzz_finding_component_and_priority_out_of_range_are_refused():
    """Found by tests/unit/media/test_fuzz_ice.py: aioice packs both into STUN fields of fixed width."""
    for line in ("candidate:1 1 udp 4294967296 203.0.113.9 5000 typ host",
                 "candidate:1 1 udp 99999999999999999999999 203.0.113.9 5000 typ host",
                 "candidate:1 0 udp 1 203.0.113.9 5000 typ host", "candidate:1 257 udp 1 203.0.113.9 5000 typ host"):
        with pytest.raises(CandidateError) as info:
            CandidatePolicy().check(line)
        assert info.value.code == "invalid_candidate" and info.value.message.endswith(".")
    assert CandidatePolicy().check("candidate:1 256 udp 4294967295 203.0.113.9 5000 typ host").port == 5000


def test_peer_networks_refuse_every_other_address():
    policy = CandidatePolicy(["127.0.0.1/32"], peer_cidrs=["127.0.0.0/8"])
    assert policy.check(cand("127.0.0.1")).port == 40000
    for outside in ("192.0.2.2", "8.8.8.8", "203.0.113.7", "::1"):
        with pytest.raises(CandidateError, match="non-peer-network"):
            policy.check(cand(outside))
    assert policy.why_denied(ipaddress.ip_address("127.0.0.2")) == "loopback"  # inside, but still not allowed
    assert CandidatePolicy().why_denied(ipaddress.ip_address("192.0.2.2")) is None  # no peer networks: unchanged


def test_peer_networks_must_parse():
    with pytest.raises(ValueError, match="ICE peer networks"):
        CandidatePolicy(peer_cidrs=["not-a-network"])
