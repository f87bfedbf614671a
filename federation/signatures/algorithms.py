"""Signature algorithms by their RFC 9421 names (section 3.3), shared by both schemes."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from federation.keys import PrivateKey, PublicKey
from federation.signatures.errors import SignatureError

__all__ = [
    "ALGORITHMS",
    "ECDSA_P256_SHA256",
    "ED25519",
    "RSA_PSS_SHA512",
    "RSA_V1_5_SHA256",
    "algorithms_for_key",
    "check_key_matches",
    "sign",
    "verify",
]

RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ED25519 = "ed25519"
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
ALGORITHMS = (RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519, ECDSA_P256_SHA256)

# RFC 9421 section 3.3.1: RSASSA-PSS with SHA-512, MGF1 SHA-512 and a 64-byte salt.
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
_P256_SIZE = 32


def algorithms_for_key(key: PublicKey) -> tuple[str, ...]:
    """What a key can verify, most common first (used when the signer names no algorithm)."""
    if isinstance(key, rsa.RSAPublicKey):
        return (RSA_V1_5_SHA256, RSA_PSS_SHA512)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return (ED25519,)
    if isinstance(key.curve, ec.SECP256R1):
        return (ECDSA_P256_SHA256,)
    return ()


def check_key_matches(algorithm: str, key: PublicKey) -> None:
    if algorithm not in algorithms_for_key(key):
        raise SignatureError("algorithm does not match key")


def sign(algorithm: str, key: PrivateKey, data: bytes) -> bytes:
    if algorithm == RSA_V1_5_SHA256 and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if algorithm == RSA_PSS_SHA512 and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _PSS, hashes.SHA512())
    if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if algorithm == ECDSA_P256_SHA256 and isinstance(key, ec.EllipticCurvePrivateKey):
        return _ecdsa_sign(key, data)
    raise ValueError(f"cannot sign {algorithm} with a {type(key).__name__}")


def verify(algorithm: str, key: PublicKey, signature: bytes, data: bytes) -> bool:
    """True when the signature is valid; False for any mismatch, including a wrong key type."""
    try:
        _verify(algorithm, key, signature, data)
    except (InvalidSignature, ValueError, SignatureError):
        return False
    return True


def _verify(algorithm: str, key: PublicKey, signature: bytes, data: bytes) -> None:
    check_key_matches(algorithm, key)
    if isinstance(key, rsa.RSAPublicKey):
        if algorithm == RSA_V1_5_SHA256:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, data, _PSS, hashes.SHA512())
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:
        key.verify(_raw_to_der(signature), data, ec.ECDSA(hashes.SHA256()))


def _ecdsa_sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("ecdsa-p256-sha256 needs a P-256 key")
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(_P256_SIZE, "big") + s.to_bytes(_P256_SIZE, "big")


def _raw_to_der(signature: bytes) -> bytes:
    # RFC 9421 section 3.3.4 carries ECDSA as the fixed-size r||s, cryptography wants DER.
    if len(signature) != 2 * _P256_SIZE:
        raise ValueError("ECDSA P-256 signature must be 64 bytes")
    r = int.from_bytes(signature[:_P256_SIZE], "big")
    s = int.from_bytes(signature[_P256_SIZE:], "big")
    return encode_dss_signature(r, s)
