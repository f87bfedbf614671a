"""One entry point for incoming requests, whichever scheme signed them.

Everything that can be checked without the key (coverage, host, digest, time) is checked
first, so that a forged or replayed request never makes us fetch a remote key. The rules are
rows 1 to 3 of SECURITY.md.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.digests import DigestError, verify_content_digest, verify_digest
from federation.keys import KeyFormatError, PublicKey, public_key_from_pem
from federation.signatures import algorithms, cavage, rfc9421
from federation.signatures.errors import Scheme, SignatureError, VerifiedSignature
from federation.signatures.message import HeaderInput, Message, authority_of

__all__ = [
    "DEFAULT_MAX_SKEW",
    "KeyLookup",
    "PendingVerification",
    "SyncKeyLookup",
    "prepare_verification",
    "verify_request",
    "verify_request_sync",
]

# Mastodon and Fedify both allow one hour of clock skew, in either direction.
DEFAULT_MAX_SKEW = timedelta(hours=1)
# Mastodon's minimum; anything smaller is forgeable by a patient attacker.
DEFAULT_MIN_RSA_BITS = 2048

# An RFC 9421 Signature dictionary member (`label=:base64:`), which cavage never produces.
_RFC9421_SIGNATURE = re.compile(r"\s*[a-z*][a-z0-9_.*-]*=:")

KeyLike = PublicKey | str | None
SyncKeyLookup = Callable[[str], KeyLike]
KeyLookup = Callable[[str], Awaitable[KeyLike] | KeyLike]


@dataclass(frozen=True)
class PendingVerification:
    """A request that passed every check but the signature itself; `key_id` names the key."""

    key_id: str
    scheme: Scheme
    covered: tuple[str, ...]
    signed_data: bytes
    _check: Callable[[bytes, PublicKey], str]

    def finish(
        self, key: KeyLike, *, min_rsa_bits: int = DEFAULT_MIN_RSA_BITS
    ) -> VerifiedSignature:
        public = _usable_key(key, min_rsa_bits)
        algorithm = self._check(self.signed_data, public)
        return VerifiedSignature(self.key_id, self.scheme, algorithm, self.covered)


def _usable_key(key: KeyLike, min_rsa_bits: int) -> PublicKey:
    if key is None:
        raise SignatureError("unknown key")
    if isinstance(key, str):
        try:
            key = public_key_from_pem(key)
        except KeyFormatError as error:
            raise SignatureError("unusable public key") from error
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < min_rsa_bits:
        raise SignatureError("RSA key too small")
    return key


def prepare_verification(
    method: str,
    url: str,
    headers: HeaderInput,
    body: bytes,
    *,
    now: datetime,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> PendingVerification:
    """Parse the signature and apply every rule that needs no key; raise SignatureError."""
    message = Message.build(method, url, headers, body)
    clock = _Clock(now if now.tzinfo else now.replace(tzinfo=UTC), max_skew)
    if message.field("signature-input") is not None:
        return _prepare_rfc9421(message, clock)
    header = cavage.find_signature_header(message)
    if header is None:
        raise SignatureError("missing signature")
    if _RFC9421_SIGNATURE.match(header):
        raise SignatureError("missing signature input")
    return _prepare_cavage(message, header, clock)


async def verify_request(
    method: str,
    url: str,
    headers: HeaderInput,
    body: bytes,
    *,
    now: datetime,
    lookup_key: KeyLookup,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    min_rsa_bits: int = DEFAULT_MIN_RSA_BITS,
) -> VerifiedSignature:
    """Verify a received request. `url` is scheme, host, path and query as this server saw
    them; `lookup_key` (sync or async) maps a keyId to a public key or PEM, or None.
    Exceptions raised by `lookup_key` are the caller's and pass through unchanged."""
    pending = prepare_verification(method, url, headers, body, now=now, max_skew=max_skew)
    key = lookup_key(pending.key_id)
    if inspect.isawaitable(key):
        key = await key
    return pending.finish(key, min_rsa_bits=min_rsa_bits)


def verify_request_sync(
    method: str,
    url: str,
    headers: HeaderInput,
    body: bytes,
    *,
    now: datetime,
    lookup_key: SyncKeyLookup,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    min_rsa_bits: int = DEFAULT_MIN_RSA_BITS,
) -> VerifiedSignature:
    """verify_request for callers whose key lookup does not wait (caches, tests, benchmarks)."""
    pending = prepare_verification(method, url, headers, body, now=now, max_skew=max_skew)
    return pending.finish(lookup_key(pending.key_id), min_rsa_bits=min_rsa_bits)


@dataclass(frozen=True)
class _Clock:
    now: datetime
    skew: timedelta

    def check_date(self, value: str) -> None:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError) as error:
            raise SignatureError("malformed date") from error
        self._check_window(moment if moment.tzinfo else moment.replace(tzinfo=UTC), "date")

    def check_created(self, value: float) -> None:
        self._check_window(self._moment(value, "created"), "created")

    def check_expires(self, value: float) -> None:
        if self._moment(value, "expires") < self.now:
            raise SignatureError("signature expired")

    def _moment(self, value: float, name: str) -> datetime:
        try:
            return datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError) as error:
            raise SignatureError(f"malformed {name}") from error

    def _check_window(self, moment: datetime, name: str) -> None:
        if moment < self.now - self.skew:
            raise SignatureError(f"{name} too old")
        if moment > self.now + self.skew:
            raise SignatureError(f"{name} in the future")


def _check_host(message: Message) -> None:
    host = message.field("host")
    if host is None:
        raise SignatureError("missing header: host")
    # A Host is only host[:port]; anything URL-like could smuggle another authority past urlsplit.
    if any(char in host for char in "/@?#\\ \t"):
        raise SignatureError("host mismatch")
    try:
        claimed = authority_of(urlsplit(f"{message.parts.scheme}://{host}"))
    except ValueError as error:
        raise SignatureError("host mismatch") from error
    if claimed != message.authority:
        raise SignatureError("host mismatch")


def _check_body(message: Message, covered: tuple[str, ...], header: str) -> None:
    if not message.has_body:
        return
    if header not in covered:
        raise SignatureError("digest not signed")
    value = message.field(header)
    if value is None:
        raise SignatureError(f"missing header: {header}")
    check = verify_digest if header == "digest" else verify_content_digest
    try:
        check(value, message.body)
    except DigestError as error:
        raise SignatureError(error.reason) from error


def _prepare_cavage(message: Message, header: str, clock: _Clock) -> PendingVerification:
    parsed = cavage.parse_signature_header(header)
    covered = parsed.headers
    if parsed.algorithm is not None and parsed.algorithm not in (cavage.RSA_SHA256, cavage.HS2019):
        raise SignatureError("unsupported algorithm")
    if "(request-target)" not in covered:
        raise SignatureError("request target not signed")
    if "host" not in covered:
        raise SignatureError("host not signed")
    _check_host(message)
    _check_body(message, covered, "digest")
    _check_cavage_time(message, parsed, clock)
    data = cavage.signing_string(message, parsed)

    def check(signed: bytes, key: PublicKey) -> str:
        return cavage.verify_parsed(parsed, signed, key)

    return PendingVerification(parsed.key_id, Scheme.CAVAGE, covered, data, check)


def _check_cavage_time(message: Message, parsed: cavage.CavageSignature, clock: _Clock) -> None:
    if "date" not in parsed.headers and "(created)" not in parsed.headers:
        raise SignatureError("date not signed")
    if "date" in parsed.headers:
        date = message.field("date")
        if date is None:
            raise SignatureError("missing header: date")
        clock.check_date(date)
    if parsed.created is not None:
        clock.check_created(float(parsed.created))
    if parsed.expires is not None:
        clock.check_expires(float(parsed.expires))


def _prepare_rfc9421(message: Message, clock: _Clock) -> PendingVerification:
    candidates = rfc9421.parse_signatures(message)
    # Several labels: take the first our rules accept, so an extra signature for some
    # other verifier does not hide a good one; report the first label's problem otherwise.
    errors: list[SignatureError] = []
    for parsed in candidates:
        try:
            return _prepare_rfc9421_label(message, parsed, clock)
        except SignatureError as error:
            errors.append(error)
    # parse_signatures never returns an empty list, so there is a first error.
    raise errors[0]


def _prepare_rfc9421_label(
    message: Message, parsed: rfc9421.ParsedSignature, clock: _Clock
) -> PendingVerification:
    covered = parsed.components
    key_id = parsed.text_param("keyid")
    if not key_id:
        raise SignatureError("missing keyid")
    algorithm = parsed.text_param("alg")
    if algorithm is not None and algorithm not in algorithms.ALGORITHMS:
        raise SignatureError("unsupported algorithm")
    _check_rfc9421_target(message, covered)
    if "host" in covered:
        _check_host(message)
    _check_body(message, covered, "content-digest")
    _check_rfc9421_time(message, parsed, clock)
    base = rfc9421.signature_base(message, parsed.covered)

    def check(signed: bytes, key: PublicKey) -> str:
        return rfc9421.verify_parsed(parsed, signed, key)

    return PendingVerification(key_id, Scheme.RFC9421, covered, base, check)


def _check_rfc9421_target(message: Message, covered: tuple[str, ...]) -> None:
    """@target-uri pins scheme, host, path and query; otherwise each must be covered."""
    if "@target-uri" in covered:
        return
    has_path = "@request-target" in covered or (
        "@path" in covered and ("@query" in covered or not message.query)
    )
    if not ("@method" in covered and "@authority" in covered and has_path):
        raise SignatureError("request target not signed")


def _check_rfc9421_time(message: Message, parsed: rfc9421.ParsedSignature, clock: _Clock) -> None:
    created = parsed.int_param("created")
    expires = parsed.int_param("expires")
    if created is None and "date" not in parsed.components:
        raise SignatureError("created missing")
    if created is not None:
        clock.check_created(created)
    if expires is not None:
        clock.check_expires(expires)
    if "date" in parsed.components:
        date = message.field("date")
        if date is None:
            raise SignatureError("missing header: date")
        clock.check_date(date)
