"""Which network addresses the scraper may connect to: public ones only, plus networks an operator
allowed explicitly (a local test shop). Checked for every address a host resolves to, on every
hop (see fetching.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

Resolver = Callable[[str, int], list[str]]
IPAddress = IPv4Address | IPv6Address

# AWS/GCP/OpenStack, AWS over IPv6, Alibaba, Azure's wire server (a public-looking address).
_METADATA = frozenset(
    ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
# Python 3.11 counts these as global though nothing public lives there.
_SPECIAL_NETWORKS = (
    (ip_network("100.64.0.0/10"), "carrier-grade NAT"),
    (ip_network("192.0.0.0/24"), "IETF protocol"),  # includes old Oracle metadata 192.0.0.192
)
_NAT64 = ip_network("64:ff9b::/96")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host. Numeric forms such as "2130706433" or
    "0x7f.1" come back as the dotted address they mean, so they meet the same check."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class AddressPolicy:
    """Which addresses we connect to: public ones, plus networks the operator allowed (a local
    test shop). Metadata endpoints hand out cloud credentials, so allowing a whole range does not
    open them; only listing the exact address does."""

    def __init__(self, allowed_networks: Sequence[str] = ()) -> None:
        self._allowed = [ip_network(n, strict=False) for n in allowed_networks]
        self._exact = {n.network_address for n in self._allowed if n.num_addresses == 1}

    def refusal(self, address: str) -> str | None:
        """Why we will not connect to address, or None when we will."""
        try:
            ip = ip_address(address.split("%", 1)[0])
        except ValueError:
            return "not an IP address"
        return self._refusal(ip)

    def _refusal(self, ip: IPAddress) -> str | None:
        if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip in _METADATA and ip not in self._exact:
            return "cloud metadata address"
        if any(ip in network for network in self._allowed):
            return None
        embedded = _embedded_ipv4(ip)
        if embedded is not None and (reason := self._refusal(embedded)) is not None:
            return f"{reason} {embedded} tunnelled in IPv6"
        return _special_use(ip)


def _embedded_ipv4(ip: IPAddress) -> IPv4Address | None:
    # 6to4, Teredo and NAT64 addresses carry an IPv4 address that a gateway will connect to.
    if not isinstance(ip, IPv6Address):
        return None
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _special_use(ip: IPAddress) -> str | None:
    # Python 3.11 counts multicast and site-local fec0::/10 as global, so check them by name.
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("site-local", isinstance(ip, IPv6Address) and ip.is_site_local),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        *((name, ip in network) for network, name in _SPECIAL_NETWORKS),
        ("non-public", not ip.is_global),
    )
    return next((f"{name} address" for name, hit in checks if hit), None)
