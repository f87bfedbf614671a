"""The canonical host function (SECURITY.md row 14) and its URL helpers."""

from __future__ import annotations

import pytest

from federation.hosts import (
    InvalidHost,
    InvalidUrl,
    canonical_host,
    origin_of,
    parse_domain_setting,
    same_origin,
    split_host_port,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.org", "example.org"),
        ("Example.ORG", "example.org"),
        ("example.org.", "example.org"),
        ("EXAMPLE.org.:8443", "example.org:8443"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("ｅｘａｍｐｌｅ．ｏｒｇ", "example.org"),  # full-width letters and dot (UTS-46 mapping)
        ("ex\u200bample.org", "example.org"),  # a zero-width space is mapped away
        ("straße.de", "xn--strae-oqa.de"),  # non-transitional: ß stays distinct from ss
        ("localhost:8080", "localhost:8080"),
        ("mende.test:443", "mende.test:443"),  # no scheme, so no default port to drop
        ("127.0.0.1", "127.0.0.1"),
        ("１２７.０.０.１", "127.0.0.1"),
        ("[::1]", "[::1]"),
        ("[0:0:0:0:0:0:0:1]:8080", "[::1]:8080"),
        ("[2001:DB8::1]", "[2001:db8::1]"),
    ],
)
def test_canonical_spellings(value: str, expected: str) -> None:
    assert canonical_host(value) == expected


def test_cyrillic_homoglyph_is_a_different_host() -> None:
    assert canonical_host("ex\u0430mple.org") != canonical_host("example.org")
    assert canonical_host("ex\u0430mple.org").startswith("xn--")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        (".", "empty"),
        ("example.org..", "empty label"),
        ("a..b", "empty label"),
        (".example.org", "empty label"),
        ("example.org/path", "'/'"),
        ("user@example.org", "'@'"),
        ("evil.example\\@good.example", "'\\\\'"),
        ("example.org?x", "'?'"),
        ("example.org#x", "'#'"),
        ("exa mple.org", "whitespace"),
        ("example.org\n", "whitespace"),
        ("example.org:", "port must be a number"),
        ("example.org:http", "port must be a number"),
        ("example.org:８０", "port must be a number"),
        ("example.org:0", "between 1 and 65535"),
        ("example.org:65536", "between 1 and 65535"),
        ("example.org:-1", "port must be a number"),
        ("::1", "brackets"),
        ("[::1", "unclosed"),
        ("[::1]x", "after the IPv6 literal"),
        ("[fe80::1%25eth0]", "'%'"),
        ("[not-ipv6]", "not a valid IPv6"),
        ("my_host.example", "not a valid host name"),
        ("-leading.example", "not a valid host name"),
        ("a／b.example", "not a valid host name"),
        ("x" * 64 + ".example", "not a valid host name"),
        ("2130706433", "dotted-decimal"),
        ("127.1", "dotted-decimal"),
        ("0x7f.0.0.1", "dotted-decimal"),
        ("foo.0x7f", "dotted-decimal"),
        ("127.000.0.1", "dotted-decimal"),
        ("256.0.0.1", "dotted-decimal"),
    ],
)
def test_refusals_say_why(value: str, message: str) -> None:
    with pytest.raises(InvalidHost, match=message):
        canonical_host(value)


def test_invalid_host_is_a_value_error() -> None:
    # pydantic validators turn ValueErrors into readable setting errors.
    assert issubclass(InvalidHost, ValueError)
    assert issubclass(InvalidUrl, ValueError)


def test_a_label_ending_in_letters_after_0x_is_a_name() -> None:
    assert canonical_host("foo.0xfoo") == "foo.0xfoo"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Example.ORG./actor", "example.org"),
        ("https://example.org:443/actor", "example.org"),
        ("http://example.org:80/", "example.org"),
        ("https://example.org:80/", "example.org:80"),
        ("HTTPS://bücher.example:8443", "xn--bcher-kva.example:8443"),
    ],
)
def test_canonical_host_of_a_url_drops_default_ports(url: str, expected: str) -> None:
    assert canonical_host(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Example.org/users/a?x=1#frag", "https://example.org"),
        ("HTTP://example.org:80/x", "http://example.org"),
        ("https://example.org:8443/x", "https://example.org:8443"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
    ],
)
def test_origin_of(url: str, expected: str) -> None:
    assert origin_of(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/", "scheme must be http or https"),
        ("example.org/actor", "scheme must be http or https"),
        ("https://good.example@evil.example/", "'@'"),
        ("https:///path", "empty"),
        ("https://example.org\t/", "whitespace"),
        ("https://[::1/", "Invalid IPv6 URL"),
        ("https://exa mple.org/", "whitespace"),
    ],
)
def test_origin_of_refuses(url: str, message: str) -> None:
    with pytest.raises(InvalidUrl, match=message):
        origin_of(url)


def test_same_origin() -> None:
    assert same_origin("https://Example.org/a", "https://example.org.:443/b")
    assert not same_origin("https://example.org/a", "http://example.org/a")
    assert not same_origin("https://example.org/a", "https://example.org:8443/a")
    assert not same_origin("https://example.org/a", "https://sub.example.org/a")
    assert not same_origin("https://example.org/a", "not a url")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mende.example.org", "mende.example.org"),
        ("  Mende.Example.ORG.  ", "mende.example.org"),
        ("localhost:8080", "localhost:8080"),
        ("tiers-lieu.bücher.example", "tiers-lieu.xn--bcher-kva.example"),
    ],
)
def test_domain_setting_accepts_host_names(value: str, expected: str) -> None:
    assert parse_domain_setting(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://mende.example.org", "is a URL"),
        ("mende.example.org/path", "is a URL"),
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("192.0.2.10", "IP address"),
        ("[2001:db8::1]:8080", "IP address"),
        ("mende.example.org:99999", "between 1 and 65535"),
        ("me@mende.example.org", "'@'"),
    ],
)
def test_domain_setting_refusals(value: str, message: str) -> None:
    with pytest.raises(InvalidHost, match=message):
        parse_domain_setting(value)


def test_split_host_port() -> None:
    assert split_host_port("example.org") == ("example.org", None)
    assert split_host_port("example.org:8080") == ("example.org", 8080)
    assert split_host_port("[::1]:8080") == ("[::1]", 8080)
    assert split_host_port("[::1]") == ("[::1]", None)
