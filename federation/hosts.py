"""The one canonical form of a host, used by blocks, origin checks, storage and the fetcher.

SECURITY.md row 14: Mastodon CVE-2023-42451 let `Example.com.` or a host spelled with other
Unicode look distinct from the blocked or trusted `example.com`. Every comparison of hosts in
Maillage therefore goes through `canonical_host`, which maps all spellings of one host to one
string: lowercase, IDNA (UTS-46, non-transitional, STD3 rules) to punycode, one trailing dot
removed, IP literals in their shortest form, and an explicit port kept as `host:port`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

import idna

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_HOST_LENGTH = 253  # RFC 1035, without the trailing dot

# Characters that never belong in an authority we accept. `\` is here because WHATWG parsers
# read it as `/` in http(s) URLs while Python's `urlsplit` does not: a parser differential.
_FORBIDDEN_CHARACTERS = {
    "/": "'/' (a path)",
    "\\": "'\\' (a path separator for some URL parsers)",
    "@": "'@' (user info)",
    "?": "'?' (a query)",
    "#": "'#' (a fragment)",
    "%": "'%' (percent-encoding or an IPv6 zone)",
}


# What `str.isspace` calls whitespace (`\s` of a str pattern is the same set), C0 controls, DEL.
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


class InvalidHost(ValueError):
    """A host (or the host part of a URL) that has no canonical form; the message says why."""


class InvalidUrl(ValueError):
    """A URL that cannot name a remote ActivityPub resource; the message says why."""


def canonical_host(value: str) -> str:
    """The canonical `host` or `host:port` of a bare authority or of an http(s) URL.

    A URL's default port (443 for https, 80 for http) is dropped; a bare `host:port` keeps
    its port, since without a scheme we cannot know which port is the default.
    """
    if "://" in value:
        return _split_url(value)[1]
    return _canonical_authority(value, default_port=None)


def origin_of(url: str) -> str:
    """`scheme://canonical-host[:port]` of an http(s) URL; raises `InvalidUrl` otherwise."""
    scheme, authority = _split_url(url)
    return f"{scheme}://{authority}"


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme, host and port. A URL without an origin matches nothing."""
    try:
        return origin_of(a) == origin_of(b)
    except InvalidUrl:
        return False


def parse_domain_setting(value: str) -> str:
    """Validate and canonicalise a node's configured public domain (`host` or `host:port`).

    IP literals are refused: the domain is part of every actor id and handle the node ever
    publishes, so it must survive a change of address, and peers refuse private addresses
    anyway. A LAN demo can use `localhost` or a name from /etc/hosts instead.
    """
    stripped = value.strip()
    if not stripped:
        raise InvalidHost("the domain must not be empty")
    if "://" in stripped or "/" in stripped:
        raise InvalidHost(
            f"{value!r} is a URL: give the host name only, with a port if it is not the "
            "default (like mende.example.org or localhost:8080)"
        )
    canonical = canonical_host(stripped)
    host, _ = split_host_port(canonical)
    if _ip_literal(host) is not None:
        raise InvalidHost(
            f"{value!r} is an IP address: the domain must be a host name, since it becomes "
            "part of every actor's id (use localhost or a name from /etc/hosts for a demo)"
        )
    return canonical


def split_host_port(canonical: str) -> tuple[str, int | None]:
    """Split a value returned by `canonical_host` into its host and optional port."""
    if canonical.startswith("["):
        closing = canonical.index("]")
        rest = canonical[closing + 1 :]
        return canonical[: closing + 1], int(rest[1:]) if rest else None
    host, colon, port = canonical.partition(":")
    return host, int(port) if colon else None


def _split_url(url: str) -> tuple[str, str]:
    """The lowercased scheme and canonical authority (default port dropped) of an http(s) URL."""
    # The same actor, key and object ids come back with every activity: remember the usual
    # short ones (a bounded number of bounded strings), recompute anything longer.
    if len(url) <= _MEMOISED_URL_LENGTH:
        return _split_url_memoised(url)
    return _split_url_now(url)


_MEMOISED_URL_LENGTH = 512


@functools.lru_cache(maxsize=8192)
def _split_url_memoised(url: str) -> tuple[str, str]:
    return _split_url_now(url)


def _split_url_now(url: str) -> tuple[str, str]:
    parts = _urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidUrl(f"{url!r}: the scheme must be http or https, not {parts.scheme!r}")
    try:
        authority = _canonical_authority(parts.netloc, default_port=DEFAULT_PORTS[scheme])
    except InvalidHost as error:
        raise InvalidUrl(f"{url!r}: {error}") from error
    return scheme, authority


def _urlsplit(url: str) -> SplitResult:
    # urlsplit silently drops tabs and newlines (WHATWG behaviour); refuse them instead so
    # that what we compare is exactly what we were given.
    if _WHITESPACE_OR_CONTROL.search(url):
        raise InvalidUrl(f"{url!r}: URLs must not contain whitespace or control characters")
    try:
        return urlsplit(url)
    except ValueError as error:  # e.g. an unbalanced '[' in the authority
        raise InvalidUrl(f"{url!r}: {error}") from error


# Canonicalising costs tens of microseconds (IDNA above all) and each received activity needs it
# several times for the same few hosts: the pure function of two immutable values is memoised.
# Bounded, so a stream of distinct hosts only evicts; refused authorities raise and stay uncached.
@functools.lru_cache(maxsize=4096)
def _canonical_authority(value: str, *, default_port: int | None) -> str:
    if not value:
        raise InvalidHost("the host is empty")
    if _WHITESPACE_OR_CONTROL.search(value):
        raise InvalidHost(f"{value!r}: a host must not contain whitespace or control characters")
    for character, meaning in _FORBIDDEN_CHARACTERS.items():
        if character in value:
            raise InvalidHost(f"{value!r}: a host must not contain {meaning}")
    raw_host, port = _split_raw_authority(value)
    host = _canonical_hostname(raw_host, original=value)
    if port is None or port == default_port:
        return host
    return f"{host}:{port}"


def _split_raw_authority(value: str) -> tuple[str, int | None]:
    if value.startswith("["):
        closing = value.find("]")
        if closing == -1:
            raise InvalidHost(f"{value!r}: unclosed '[' in an IPv6 literal")
        host, rest = value[: closing + 1], value[closing + 1 :]
        if rest and not rest.startswith(":"):
            raise InvalidHost(f"{value!r}: unexpected text after the IPv6 literal")
        return host, _parse_port(rest[1:], value) if rest else None
    if value.count(":") > 1:
        raise InvalidHost(f"{value!r}: an IPv6 address must be written in brackets, like [::1]")
    host, colon, port = value.partition(":")
    return host, _parse_port(port, value) if colon else None


def _parse_port(text: str, original: str) -> int:
    # str.isdigit accepts non-ASCII digits such as '８'; ports are ASCII only.
    if not text or not (text.isascii() and text.isdigit()):
        raise InvalidHost(f"{original!r}: the port must be a number, got {text!r}")
    port = int(text)
    if not 1 <= port <= 65535:
        raise InvalidHost(f"{original!r}: the port must be between 1 and 65535, got {port}")
    return port


def _canonical_hostname(host: str, *, original: str) -> str:
    if host.startswith("["):
        return _canonical_ipv6_literal(host, original=original)
    if host.endswith("."):
        host = host[:-1]  # one trailing dot: the absolute form of the same name
    if not host:
        raise InvalidHost(f"{original!r}: the host is empty")
    if "" in host.split("."):
        raise InvalidHost(f"{original!r}: the host has an empty label ('..' or a leading '.')")
    try:
        encoded = idna.encode(host, uts46=True, std3_rules=True, transitional=False)
    except (idna.IDNAError, UnicodeError) as error:
        raise InvalidHost(f"{original!r}: not a valid host name ({error})") from error
    ascii_host = encoded.decode("ascii").lower()
    # UTS-46 maps full-width digits and dots to ASCII, so the numeric check runs on the result.
    return _reject_numeric_lookalikes(ascii_host, original=original)


def _reject_numeric_lookalikes(host: str, *, original: str) -> str:
    """Keep dotted-decimal IPv4 literals; refuse names whose last label is a number.

    `2130706433`, `127.1` and `0x7f.1` all reach 127.0.0.1 through inet_aton, and WHATWG
    parsers read any host ending in a number as IPv4; no real domain ends that way.
    """
    last = host.rsplit(".", 1)[-1]
    if not (last.isdigit() or _is_hex_number(last)):
        return host
    literal = _ip_literal(host)
    if literal is None or literal.version != 4:
        raise InvalidHost(
            f"{original!r}: ends like a number but is not a dotted-decimal IPv4 address"
        )
    return str(literal)


def _is_hex_number(label: str) -> bool:
    return label.startswith("0x") and all(ch in "0123456789abcdef" for ch in label[2:])


def _canonical_ipv6_literal(host: str, *, original: str) -> str:
    try:
        address = ipaddress.IPv6Address(host[1:-1])
    except ValueError as error:
        raise InvalidHost(f"{original!r}: not a valid IPv6 address ({error})") from error
    return f"[{address.compressed}]"


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = host[1:-1] if host.startswith("[") else host
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
