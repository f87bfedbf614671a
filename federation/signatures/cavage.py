"""draft-cavage-http-signatures-12, the scheme Mastodon and most of the fediverse speak.

Section numbers below are the draft's. The signer lists the headers it covers; we rebuild the
signing string from the request we actually received.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.keys import PrivateKey, PublicKey
from federation.signatures import algorithms
from federation.signatures.errors import SignatureError
from federation.signatures.message import Message

__all__ = [
    "HS2019",
    "RSA_SHA256",
    "CavageSignature",
    "find_signature_header",
    "parse_signature_header",
    "sign_message",
    "signing_string",
    "verify_parsed",
]

RSA_SHA256 = "rsa-sha256"
HS2019 = "hs2019"
# hs2019 lets the key decide (section 2.1.3); rsa-sha256 is PKCS#1 v1.5 over SHA-256.
_ALGORITHMS: dict[str, tuple[str, ...] | None] = {
    RSA_SHA256: (algorithms.RSA_V1_5_SHA256,),
    HS2019: None,
}
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",\s]*))\s*(?:,|$)')
_NUMBER = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?")
_MAX_HEADERS = 32
_MAX_HEADER_LENGTH = 16384


@dataclass(frozen=True)
class CavageSignature:
    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: str | None = None
    expires: str | None = None


def find_signature_header(message: Message) -> str | None:
    """The `Signature` header, or the same parameters sent as `Authorization: Signature`."""
    value = message.field("signature")
    if value is not None:
        return value
    authorization = message.field("authorization")
    if authorization is not None and authorization[:10].lower() == "signature ":
        return authorization[10:]
    return None


def parse_signature_header(value: str) -> CavageSignature:
    params = _parameters(value)
    key_id = params.get("keyid")
    encoded = params.get("signature")
    if not key_id or encoded is None:
        raise SignatureError("malformed signature header")
    algorithm = params.get("algorithm")
    # Section 2.1.6 defaults to (created); Mastodon and the draft's own examples use date.
    names = params.get("headers", "date").lower().split()
    if not names or len(names) > _MAX_HEADERS or len(set(names)) != len(names):
        raise SignatureError("malformed signature header")
    for name in ("created", "expires"):
        if name in params and not _NUMBER.fullmatch(params[name]):
            raise SignatureError(f"malformed {name}")
    return CavageSignature(
        key_id,
        algorithm.lower() if algorithm is not None else None,
        tuple(names),
        _decode(encoded),
        params.get("created"),
        params.get("expires"),
    )


def _parameters(value: str) -> dict[str, str]:
    if len(value) > _MAX_HEADER_LENGTH:
        raise SignatureError("malformed signature header")
    params: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _PARAM.match(value, position)
        if match is None or match.end() == position:
            raise SignatureError("malformed signature header")
        name = match.group(1).lower()
        if name in params:
            raise SignatureError("malformed signature header")
        quoted, bare = match.group(2), match.group(3)
        params[name] = quoted if quoted is not None else bare
        position = match.end()
    return params


def _decode(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SignatureError("malformed signature header") from error


def signing_string(message: Message, signature: CavageSignature) -> bytes:
    """Section 2.3: one `name: value` line per covered header, in the signer's order."""
    lines = [f"{name}: {_header_value(message, signature, name)}" for name in signature.headers]
    try:
        return "\n".join(lines).encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as error:
        raise SignatureError("unencodable header value") from error


def _header_value(message: Message, signature: CavageSignature, name: str) -> str:
    if name == "(request-target)":
        return f"{message.method.lower()} {message.request_target}"
    if name in ("(created)", "(expires)"):
        value = signature.created if name == "(created)" else signature.expires
        if value is None:
            raise SignatureError(f"missing parameter: {name[1:-1]}")
        return value
    value = message.field(name)
    if value is None:
        raise SignatureError(f"missing header: {name}")
    return value


def verify_parsed(signature: CavageSignature, data: bytes, key: PublicKey) -> str:
    """Check the signature over the signing string; return the RFC 9421 algorithm name used."""
    if signature.algorithm is not None and signature.algorithm not in _ALGORITHMS:
        raise SignatureError("unsupported algorithm")
    fixed = _ALGORITHMS.get(signature.algorithm or HS2019)
    candidates = fixed if fixed is not None else algorithms.algorithms_for_key(key)
    if not candidates:
        raise SignatureError("algorithm does not match key")
    algorithms.check_key_matches(candidates[0], key)
    for algorithm in candidates:
        if algorithms.verify(algorithm, key, signature.signature, data):
            return algorithm
    raise SignatureError("bad signature")


def sign_message(
    message: Message,
    key: PrivateKey,
    key_id: str,
    headers: Sequence[str],
) -> str:
    """The `Signature` header value: rsa-sha256 for RSA keys (what Mastodon checks), else hs2019."""
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    algorithm = algorithms.RSA_V1_5_SHA256 if is_rsa else algorithms.ED25519
    draft = CavageSignature(key_id, RSA_SHA256 if is_rsa else HS2019, tuple(headers), b"")
    signature = algorithms.sign(algorithm, key, signing_string(message, draft))
    encoded = base64.b64encode(signature).decode("ascii")
    return (
        f'keyId="{key_id}",algorithm="{draft.algorithm}",'
        f'headers="{" ".join(draft.headers)}",signature="{encoded}"'
    )
