"""Which IP addresses a node must never connect to on a stranger's say-so (SECURITY.md row 13).

The ranges are listed explicitly from the IANA special-purpose registries rather than taken from
`ipaddress`'s `is_private` / `is_global`, whose tables changed in 2024 patch releases
(CVE-2024-4032); a security boundary should not move with the interpreter.

IPv6 is an allow-list: only global unicast (2000::/3) may be reached, minus its special blocks.
Addresses that embed an IPv4 address (mapped, NAT64 well-known prefix, 6to4) are judged by the
embedded address, because that is where the packets end up (Fedify CVE-2024-39687 and Mastodon
CVE-2026-22245 were both address-range gaps of this kind).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

FORBIDDEN_IPV4 = tuple(
    IPv4Network(network)
    for network in (
        "0.0.0.0/8",  # "this network", includes the unspecified 0.0.0.0 (RFC 791)
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # carrier-grade NAT shared space (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, home of cloud metadata services
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments (RFC 6890)
        "192.0.2.0/24",  # documentation TEST-NET-1 (RFC 5737)
        "192.88.99.0/24",  # 6to4 relay anycast, deprecated (RFC 7526)
        "192.168.0.0/16",  # private (RFC 1918)
        "198.18.0.0/15",  # benchmarking (RFC 2544)
        "198.51.100.0/24",  # documentation TEST-NET-2
        "203.0.113.0/24",  # documentation TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes the broadcast 255.255.255.255
    )
)

GLOBAL_UNICAST_IPV6 = IPv6Network("2000::/3")

FORBIDDEN_IPV6 = tuple(
    IPv6Network(network)
    for network in (
        # Inside 2000::/3; everything outside it (::, ::1, fc00::/7, fe80::/10, fec0::/10,
        # ff00::/8, 100::/64, 64:ff9b:1::/48, ...) is refused by the allow-list already.
        "2001::/23",  # IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID
        "2001:db8::/32",  # documentation (RFC 3849)
        "3fff::/20",  # documentation (RFC 9637)
    )
)

IPV4_MAPPED = IPv6Network("::ffff:0:0/96")
NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 is the last 32 bits
SIX_TO_FOUR = IPv6Network("2002::/16")  # RFC 3056: the IPv4 is bits 16 to 48
# 64:ff9b:1::/48 (RFC 8215, local-use NAT64) is refused whole rather than decoded: each
# operator picks its own prefix length inside it, so the position of the IPv4 is unknowable.


def is_forbidden_address(ip: IPAddress) -> bool:
    """Whether a connection to `ip` could reach something other than the public internet."""
    if isinstance(ip, IPv4Address):
        return any(ip in network for network in FORBIDDEN_IPV4)
    embedded = embedded_ipv4(ip)
    if embedded is not None:
        return is_forbidden_address(embedded)
    if ip not in GLOBAL_UNICAST_IPV6:
        return True
    return any(ip in network for network in FORBIDDEN_IPV6)


def embedded_ipv4(ip: IPv6Address) -> IPv4Address | None:
    """The IPv4 address packets to `ip` are translated or tunnelled to, if any."""
    if ip in IPV4_MAPPED or ip in NAT64_WELL_KNOWN:
        return IPv4Address(int(ip) & 0xFFFF_FFFF)
    if ip in SIX_TO_FOUR:
        return IPv4Address((int(ip) >> 80) & 0xFFFF_FFFF)
    return None
