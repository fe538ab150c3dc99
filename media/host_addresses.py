"""Which local addresses the server's ICE agent gathers host candidates on (all interfaces unless restricted).

aioice reads its host addresses from a module-level function at every gathering; restricting it is how a
multi-homed host keeps media on its public interface, and how the tests keep every media packet on loopback
(aioice leaves 127.0.0.1 out by default)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from .aiortc_internals import ALL_HOST_ADDRESSES, set_host_addresses


def gather_host_candidates_on(addresses: Sequence[str]) -> None:
    """Gather host candidates only on these addresses from now on, process-wide; empty: on every interface."""
    parsed = [ipaddress.ip_address(a) for a in addresses]  # ValueError for anything that is not an IP address
    if not parsed:
        set_host_addresses(ALL_HOST_ADDRESSES)
        return

    def restricted(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [str(a) for a in parsed if (a.version == 4 and use_ipv4) or (a.version == 6 and use_ipv6)]

    set_host_addresses(restricted)
