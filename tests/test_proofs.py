"""FEP-8b32 integrity proofs (eddsa-jcs-2022) against the W3C and FEP-8b32 vectors."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.keys import (
    b58decode,
    ed25519_public_key_from_multibase,
    generate_ed25519_key,
)
from federation.proofs import ProofError, proofs_of, sign_document, verify_proof
from tests.support import INTEROP

# The vectors and their sources: tests/fixtures/interop/README.md.
VECTORS = INTEROP / "vectors" / "eddsa-jcs-2022"


def load(name: str) -> Any:
    folder = VECTORS / "w3c" if (VECTORS / "w3c" / name).exists() else VECTORS
    return json.loads((folder / name).read_text(encoding="utf-8"))


def vector_private_key() -> ed25519.Ed25519PrivateKey:
    decoded = b58decode(load("keyPair.json")["privateKeyMultibase"][1:])
    assert decoded[:2] == b"\x80\x26"  # multicodec ed25519-priv
    return ed25519.Ed25519PrivateKey.from_private_bytes(decoded[2:])


def vector_public_key() -> ed25519.Ed25519PublicKey:
    return ed25519_public_key_from_multibase(load("keyPair.json")["publicKeyMultibase"])


def test_the_w3c_signed_credential_verifies() -> None:
    signed = load("signedJCS.json")
    verify_proof(signed, signed["proof"], vector_public_key())


def test_the_fep_8b32_activity_verifies() -> None:
    signed = load("fep-8b32-vector.json")["signed"]
    verify_proof(signed, signed["proof"], vector_public_key())


def test_signing_the_w3c_credential_gives_the_w3c_proof_value() -> None:
    """Ed25519 is deterministic: same key, options and document give the vector's signature."""
    signed = load("signedJCS.json")
    created = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
    ours = sign_document(
        load("unsigned.json"),
        vector_private_key(),
        signed["proof"]["verificationMethod"],
        created=created,
    )
    assert ours["proof"]["proofValue"] == signed["proof"]["proofValue"]
    # Our proof omits the @context the W3C one repeats: the hash data is the same.
    config = {**signed["proof"]}
    del config["proofValue"]
    expected = (
        hashlib.sha256(rfc8785.dumps(config)).digest()
        + hashlib.sha256(rfc8785.dumps(load("unsigned.json"))).digest()
    )
    assert expected.hex() == (VECTORS / "w3c" / "combinedHashJCS.txt").read_text().strip()


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc["object"].__setitem__("content", "Hello world!"),
        lambda doc: doc.__setitem__("actor", "https://server.example/users/mallory"),
        lambda doc: doc["proof"].__setitem__("created", "2023-02-24T23:36:39Z"),
        lambda doc: doc["proof"].__setitem__(
            "verificationMethod", "https://server.example/users/alice#other"
        ),
        lambda doc: doc["proof"].__setitem__("proofPurpose", "authentication"),
        lambda doc: doc["proof"].__setitem__("cryptosuite", "eddsa-rdfc-2022"),
        lambda doc: doc["proof"].__setitem__("proofValue", "z" + "1" * 200),
        lambda doc: doc["proof"].__setitem__("proofValue", "u" + doc["proof"]["proofValue"]),
        lambda doc: doc.__setitem__("@context", ["https://www.w3.org/ns/activitystreams"]),
    ],
    ids=[
        "content",
        "actor",
        "created",
        "method",
        "purpose",
        "cryptosuite",
        "long",
        "multibase",
        "context",
    ],
)
def test_any_change_breaks_the_fep_8b32_proof(change: Any) -> None:
    signed = copy.deepcopy(load("fep-8b32-vector.json")["signed"])
    change(signed)
    with pytest.raises(ProofError):
        verify_proof(signed, signed["proof"], vector_public_key())


def test_another_key_does_not_verify() -> None:
    signed = load("fep-8b32-vector.json")["signed"]
    with pytest.raises(ProofError):
        verify_proof(signed, signed["proof"], generate_ed25519_key().public_key())


def test_a_signed_activity_round_trips_through_json() -> None:
    key = generate_ed25519_key()
    activity = {
        "@context": ["https://www.w3.org/ns/activitystreams", {"schema": "http://schema.org#"}],
        "id": "https://a.example/activities/1",
        "type": "Create",
        "actor": "https://a.example/actors/place",
        "object": {"type": "Event", "name": "Atelier « réparation »", "latitude": 45.0},
    }
    signed = json.loads(json.dumps(sign_document(activity, key, "https://a.example/k")))
    assert "@context" not in signed["proof"]
    [proof] = proofs_of(signed)
    verify_proof(signed, proof, key.public_key())


def test_a_linked_data_signature_added_after_the_proof_is_not_covered() -> None:
    """Fedify adds an RsaSignature2017 `signature` (for Mastodon) over the proved document."""
    signed = copy.deepcopy(load("fep-8b32-vector.json")["signed"])
    signed["signature"] = {"type": "RsaSignature2017", "signatureValue": "c2lnbmF0dXJl"}
    verify_proof(signed, signed["proof"], vector_public_key())
