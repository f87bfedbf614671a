"""Actor key pairs: generation, PEM round trips, and Ed25519 as a Multikey.

RSA-2048 is what Mastodon and most of the fediverse verify (`publicKey.publicKeyPem`); Ed25519
is published as a Multikey (`publicKeyMultibase`, FEP-521a) for peers that support it and for
object integrity proofs.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

__all__ = [
    "KeyFormatError",
    "PrivateKey",
    "PublicKey",
    "b58decode",
    "b58encode",
    "ed25519_public_key_from_multibase",
    "ed25519_public_key_to_multibase",
    "generate_ed25519_key",
    "generate_rsa_key",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key_from_pem",
    "public_key_of",
    "public_key_to_pem",
]

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
_PRIVATE_TYPES = (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey)
_PUBLIC_TYPES = (rsa.RSAPublicKey, ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey)

# Multicodec code 0xed (ed25519-pub) as an unsigned varint, see the multicodec table.
_ED25519_MULTICODEC = b"\xed\x01"
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: index for index, char in enumerate(_BASE58_ALPHABET)}


class KeyFormatError(ValueError):
    """The text is not a key of a type we use."""


def generate_rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def generate_ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def public_key_of(key: PrivateKey | PublicKey) -> PublicKey:
    if isinstance(key, _PRIVATE_TYPES):
        return key.public_key()
    return key


def private_key_to_pem(key: PrivateKey) -> str:
    """Unencrypted PKCS#8: the node's data directory is the protection, not a passphrase."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def private_key_from_pem(pem: str | bytes, *, ours: bool = False) -> PrivateKey:
    """Read an unencrypted PEM private key. `ours=True` (a key this node generated and stored
    itself) skips OpenSSL's RSA consistency check, which costs tens of milliseconds per load."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(
            data, password=None, unsafe_skip_rsa_key_validation=ours
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyFormatError("not an unencrypted PEM private key") from error
    if not isinstance(key, _PRIVATE_TYPES):
        raise KeyFormatError(f"unsupported private key type {type(key).__name__}")
    return key


def public_key_to_pem(key: PrivateKey | PublicKey) -> str:
    """SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`), the form `publicKeyPem` carries."""
    return (
        public_key_of(key)
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )


def public_key_from_pem(pem: str | bytes) -> PublicKey:
    """Read SPKI or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM, both of which peers publish."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data.strip())
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyFormatError("not a PEM public key") from error
    if not isinstance(key, _PUBLIC_TYPES):
        raise KeyFormatError(f"unsupported public key type {type(key).__name__}")
    return key


def ed25519_public_key_to_multibase(
    key: ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey,
) -> str:
    """`publicKeyMultibase`: base58btc ('z') of the multicodec prefix and the 32 raw bytes."""
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + b58encode(_ED25519_MULTICODEC + raw)


def ed25519_public_key_from_multibase(value: str) -> ed25519.Ed25519PublicKey:
    # An Ed25519 multikey is 48 characters; the cap keeps base58's quadratic decoding cheap.
    if len(value) > 64:
        raise KeyFormatError("publicKeyMultibase too long")
    if not value.startswith("z"):
        raise KeyFormatError("publicKeyMultibase must be base58btc ('z' prefix)")
    decoded = b58decode(value[1:])
    if len(decoded) != 34 or not decoded.startswith(_ED25519_MULTICODEC):
        raise KeyFormatError("not an Ed25519 multikey")
    return ed25519.Ed25519PublicKey.from_public_bytes(decoded[2:])


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58, where each leading zero byte becomes a leading '1'."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_BASE58_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _BASE58_INDEX.get(char)
        if index is None:
            raise KeyFormatError(f"invalid base58 character {char!r}")
        number = number * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body
