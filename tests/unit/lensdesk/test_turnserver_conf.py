"""The shipped coturn configuration: ephemeral credentials only, and every internal peer range denied."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from media.ice import DENIED_RANGES

CONF = Path(__file__).resolve().parents[3] / "docker" / "turnserver.conf"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def options(text: str) -> list[tuple[str, str]]:
    """(name, value) of every option line, comments and blank lines skipped."""
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, value = line.partition("=")
            out.append((name.strip().lstrip("-"), value.strip()))
    return out


def ranges(opts: list[tuple[str, str]], name: str) -> list[tuple[IPAddress, IPAddress]]:
    """The ip ranges of every `name` option (coturn's single address or first-last)."""
    out = []
    for key, value in opts:
        if key == name:
            first, _, last = value.partition("-")
            out.append((ipaddress.ip_address(first), ipaddress.ip_address(last or first)))
    return out


def covered(net: ipaddress.IPv4Network | ipaddress.IPv6Network, denied: list[tuple[IPAddress, IPAddress]]) -> bool:
    """Whether the union of the denied ranges covers the whole network."""
    start, end = int(net.network_address), int(net.broadcast_address)
    spans = sorted((int(a), int(b)) for a, b in denied if a.version == net.version)
    at = start
    for a, b in spans:
        if a > at:
            break
        at = max(at, b + 1)
        if at > end:
            return True
    return at > end


@pytest.fixture(scope="module")
def opts() -> list[tuple[str, str]]:
    return options(CONF.read_text())


@pytest.mark.parametrize("network,why", DENIED_RANGES)
def test_every_internal_range_is_denied(opts, network, why):
    assert covered(ipaddress.ip_network(network), ranges(opts, "denied-peer-ip")), f"{network} ({why}) is not denied"


@pytest.mark.parametrize("network", ["169.254.169.254/32", "100.64.0.0/10", "fc00::/7", "fe80::/10",
                                     "::ffff:10.0.0.0/104", "::ffff:127.0.0.0/104"])
def test_metadata_cgnat_and_mapped_forms_are_denied(opts, network):
    assert covered(ipaddress.ip_network(network), ranges(opts, "denied-peer-ip"))


def test_public_peers_stay_reachable(opts):
    denied = ranges(opts, "denied-peer-ip")
    for public in ("8.8.8.8", "203.0.113.7", "2001:4860::8888"):
        net = ipaddress.ip_network(public)
        assert not covered(net, denied), public


def test_nothing_reopens_a_denied_range(opts):
    names = {name for name, _ in opts}
    assert "allowed-peer-ip" not in names
    assert "allow-loopback-peers" not in names


def test_only_ephemeral_credentials_and_udp_relays(opts):
    names = {name for name, _ in opts}
    assert "use-auth-secret" in names
    assert not names & {"lt-cred-mech", "user", "static-auth-secret", "no-auth"}  # no static user, no secret in git
    assert "no-tcp-relay" in names and "no-multicast-peers" in names
    assert "no-cli" in names


def test_the_coverage_check_notices_a_gap():
    denied = [(ipaddress.ip_address("10.0.0.0"), ipaddress.ip_address("10.0.0.254"))]
    assert not covered(ipaddress.ip_network("10.0.0.0/24"), denied)
    assert covered(ipaddress.ip_network("10.0.0.0/25"), denied)
