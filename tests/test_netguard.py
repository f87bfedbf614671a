"""The address classification behind SSRF protection (SECURITY.md row 13)."""

from __future__ import annotations

from ipaddress import IPv6Address, ip_address

import pytest

from federation.netguard import embedded_ipv4, is_forbidden_address

FORBIDDEN = [
    # IPv4
    "0.0.0.0",  # noqa: S104 (an address under test, not a bind)
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",  # cloud metadata
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    # IPv6 outside global unicast
    "::",
    "::1",
    "::127.0.0.1",  # deprecated IPv4-compatible
    "100::1",  # discard-only
    "fe80::1",
    "febf::1",
    "fec0::1",  # site-local
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "ff0e::1",
    "64:ff9b:1::a00:1",  # local-use NAT64, refused whole
    "64:ff9b:1:ffff::808:808",
    # IPv6 special blocks inside 2000::/3
    "2001::1",  # Teredo
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, even with a public server
    "2001:2::1",  # benchmarking
    "2001:10::1",  # ORCHID
    "2001:db8::1",
    "3fff::1",
    # Embedded IPv4 that is private
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:0.0.0.0",
    "64:ff9b::127.0.0.1",
    "64:ff9b::a9fe:a9fe",  # 169.254.169.254
    "64:ff9b::c0a8:101",  # 192.168.1.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2002:c0a8:101:1::1",  # 6to4 of 192.168.1.1
]

ALLOWED = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.1",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a01:4f8::1",
    "2001:200::1",  # just above 2001::/23
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8, how IPv6-only hosts reach IPv4 peers
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_forbidden(address: str) -> None:
    assert is_forbidden_address(ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_allowed(address: str) -> None:
    assert not is_forbidden_address(ip_address(address))


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("::ffff:1.2.3.4", "1.2.3.4"),
        ("64:ff9b::1.2.3.4", "1.2.3.4"),
        ("2002:102:304::", "1.2.3.4"),
        ("2002:102:304:ffff:ffff:ffff:ffff:ffff", "1.2.3.4"),
        ("2606:4700::1", None),
        ("2001::1", None),
    ],
)
def test_embedded_ipv4(address: str, embedded: str | None) -> None:
    result = embedded_ipv4(IPv6Address(address))
    assert (str(result) if result else None) == embedded
