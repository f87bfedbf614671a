"""Key generation, PEM round trips and Ed25519 Multikeys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from hypothesis import given
from hypothesis import strategies as st

from federation.keys import (
    KeyFormatError,
    b58decode,
    b58encode,
    ed25519_public_key_from_multibase,
    ed25519_public_key_to_multibase,
    generate_ed25519_key,
    generate_rsa_key,
    private_key_from_pem,
    private_key_to_pem,
    public_key_from_pem,
    public_key_of,
    public_key_to_pem,
)
from tests.support import INTEROP

VECTORS = INTEROP / "vectors"


def _vectors(*parts: str) -> Path:
    path = VECTORS.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"interop vector missing from the repository: {path}")
    return path


def _raw(key: ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_rsa_key_is_2048_bits_and_round_trips() -> None:
    key = generate_rsa_key()
    assert key.key_size == 2048
    again = private_key_from_pem(private_key_to_pem(key))
    assert isinstance(again, rsa.RSAPrivateKey)
    assert again.private_numbers() == key.private_numbers()


def test_public_pem_is_spki_and_round_trips() -> None:
    key = generate_rsa_key()
    pem = public_key_to_pem(key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    loaded = public_key_from_pem(pem)
    assert isinstance(loaded, rsa.RSAPublicKey)
    assert loaded.public_numbers() == key.public_key().public_numbers()


def test_ed25519_round_trips() -> None:
    key = generate_ed25519_key()
    again = private_key_from_pem(private_key_to_pem(key).encode())
    assert isinstance(again, ed25519.Ed25519PrivateKey)
    public = public_key_from_pem(public_key_to_pem(key))
    assert isinstance(public, ed25519.Ed25519PublicKey)
    assert _raw(public) == _raw(key.public_key())


def test_public_key_of_accepts_both_halves() -> None:
    key = generate_ed25519_key()
    assert _raw(public_key_of(key)) == _raw(key.public_key())  # type: ignore[arg-type]
    public = key.public_key()
    assert public_key_of(public) is public


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("test-key-rsa.pem", rsa.RSAPublicKey),  # PKCS#1 "BEGIN RSA PUBLIC KEY"
        ("test-key-rsa-pss.pem", rsa.RSAPublicKey),
        ("test-key-ecc-p256.pem", ec.EllipticCurvePublicKey),
        ("test-key-ed25519.pem", ed25519.Ed25519PublicKey),
    ],
)
def test_rfc9421_public_keys_load(name: str, kind: type) -> None:
    path = _vectors("rfc9421-keys", name)
    assert isinstance(public_key_from_pem(path.read_text()), kind)


@pytest.mark.parametrize(
    "name", ["test-key-rsa.key", "test-key-ecc-p256.key", "test-key-ed25519.key"]
)
def test_rfc9421_private_keys_load(name: str) -> None:
    path = _vectors("rfc9421-keys", name)
    private_key_from_pem(path.read_text())


@pytest.mark.parametrize(
    "text", ["", "garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"]
)
def test_bad_pem_is_key_format_error(text: str) -> None:
    with pytest.raises(KeyFormatError):
        public_key_from_pem(text)
    with pytest.raises(KeyFormatError):
        private_key_from_pem(text)


def test_unsupported_key_type_is_refused() -> None:
    key = x25519.X25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeyFormatError, match="unsupported public key type"):
        public_key_from_pem(pem)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyFormatError, match="unsupported private key type"):
        private_key_from_pem(private_pem)


def test_multikey_matches_the_w3c_eddsa_vector() -> None:
    pair = json.loads(_vectors("eddsa-jcs-2022", "keyPair.json").read_text())
    # privateKeyMultibase is multicodec ed25519-priv (0x1300, varint 0x80 0x26) + the seed.
    private = b58decode(pair["privateKeyMultibase"][1:])
    assert private[:2] == b"\x80\x26"
    key = ed25519.Ed25519PrivateKey.from_private_bytes(private[2:])
    assert ed25519_public_key_to_multibase(key) == pair["publicKeyMultibase"]
    parsed = ed25519_public_key_from_multibase(pair["publicKeyMultibase"])
    assert _raw(parsed) == _raw(key.public_key())


def test_multikey_round_trips() -> None:
    key = generate_ed25519_key().public_key()
    encoded = ed25519_public_key_to_multibase(key)
    assert encoded.startswith("z6Mk")
    assert _raw(ed25519_public_key_from_multibase(encoded)) == _raw(key)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "u7QE",  # base64url multibase, not base58btc
        "z" + b58encode(b"\xec\x01" + bytes(32)),  # x25519-pub codec
        "z" + b58encode(b"\xed\x01" + bytes(31)),
        "z0OIl",  # not in the base58 alphabet
        "z" + "1" * 100,
    ],
)
def test_bad_multikey_is_refused(value: str) -> None:
    with pytest.raises(KeyFormatError):
        ed25519_public_key_from_multibase(value)


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (b"", ""),
        (b"\0", "1"),
        (b"\0\0\x01", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),  # draft-msporny-base58-03 section 5
        (b"\xff", "5Q"),
    ],
)
def test_base58_known_values(raw: bytes, encoded: str) -> None:
    assert b58encode(raw) == encoded
    assert b58decode(encoded) == raw


@given(st.binary(max_size=80))
def test_base58_round_trips(raw: bytes) -> None:
    assert b58decode(b58encode(raw)) == raw
