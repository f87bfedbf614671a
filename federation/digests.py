"""Body digests: the legacy `Digest` header (RFC 3230) and `Content-Digest` (RFC 9530).

A signature only protects the body through a digest header that it covers, so the digest must
be recomputed from the bytes actually read, never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable

__all__ = [
    "DigestError",
    "make_content_digest",
    "make_digest",
    "verify_content_digest",
    "verify_digest",
]

_HASHES: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda data: hashlib.sha256(data).digest(),
    "sha-512": lambda data: hashlib.sha512(data).digest(),
}


class DigestError(ValueError):
    """The digest header is malformed, unsupported, or does not match the body."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def make_digest(body: bytes) -> str:
    """The `Digest` header value Mastodon and its peers expect: `SHA-256=<base64>`."""
    return "SHA-256=" + base64.b64encode(_HASHES["sha-256"](body)).decode("ascii")


def make_content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """The RFC 9530 `Content-Digest` header value, e.g. `sha-256=:<base64>:`."""
    hasher = _HASHES.get(algorithm)
    if hasher is None:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    return f"{algorithm}=:" + base64.b64encode(hasher(body)).decode("ascii") + ":"


def verify_digest(header: str, body: bytes) -> None:
    """Check a `Digest` header against the body; raise DigestError unless it matches.

    The header may list several algorithms (`SHA-256=..,SHA-512=..`). Unknown ones are
    ignored, every known one must match, and at least one must be known: otherwise a sender
    could pass with only an algorithm we cannot check.
    """
    claimed: dict[str, bytes] = {}
    for part in header.split(","):
        name, separator, encoded = part.strip().partition("=")
        if not separator or not name:
            raise DigestError("malformed digest")
        algorithm = name.strip().lower()
        if algorithm in _HASHES:
            claimed[algorithm] = _decode_base64(encoded.strip())
    _compare(claimed, body)


def verify_content_digest(header: str, body: bytes) -> None:
    """Check a `Content-Digest` header (an RFC 8941 dictionary) against the body."""
    # Imported here, not at the top: federation.signatures imports this module.
    from federation.signatures.structured_fields import (
        Item,
        StructuredFieldError,
        parse_dictionary,
    )

    try:
        members = parse_dictionary(header)
    except StructuredFieldError as error:
        raise DigestError("malformed digest") from error
    claimed: dict[str, bytes] = {}
    for algorithm, member in members.items():
        if algorithm not in _HASHES:
            continue
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            raise DigestError("malformed digest")
        claimed[algorithm] = member.value
    _compare(claimed, body)


def _decode_base64(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise DigestError("malformed digest") from error


def _compare(claimed: dict[str, bytes], body: bytes) -> None:
    if not claimed:
        raise DigestError("no supported digest algorithm")
    for algorithm, expected in claimed.items():
        if not hmac.compare_digest(_HASHES[algorithm](body), expected):
            raise DigestError("digest mismatch")
