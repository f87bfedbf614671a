"""Object integrity proofs (FEP-8b32): the `eddsa-jcs-2022` cryptosuite of W3C Data Integrity.

The algorithm is the one of "Data Integrity EdDSA Cryptosuites v1.0", section eddsa-jcs-2022:
the document without its proof and the proof's options are each canonicalised with JCS
(RFC 8785, the `rfc8785` package), hashed with SHA-256, and the proof options' hash followed by
the document's hash is signed with Ed25519; `proofValue` is that signature in base58btc.

A proof we make carries no `@context` of its own: the proof configuration takes the document's
`@context` (as the specification says), so a verifier computes the same bytes whether or not the
proof repeats it. Fedify emits its proofs the same way; proofs that do carry a `@context` (the
W3C and FEP-8b32 vectors) are verified too.

A Linked Data Signature (`signature`, RsaSignature2017) is left out of what a proof covers:
servers that make both (Fedify, for Mastodon's sake) add it after the proof, over the proof.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.keys import b58decode, b58encode

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "ProofError",
    "proofs_of",
    "sign_document",
    "verify_proof",
]

CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_TYPE = "DataIntegrityProof"
# An Ed25519 signature is 64 bytes, about 88 base58 characters; the cap bounds decoding work.
_MAX_PROOF_VALUE = 128


class ProofError(ValueError):
    """The proof is malformed or does not verify; the message says which."""


def proofs_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's proofs (`proof` may be one object or a set of them)."""
    value = document.get("proof")
    values = value if isinstance(value, list) else [value]
    return [proof for proof in values if isinstance(proof, dict)]


def sign_document(
    document: dict[str, Any],
    key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    *,
    created: datetime | None = None,
) -> dict[str, Any]:
    """A copy of `document` with an `eddsa-jcs-2022` proof by `key` (any former proof dropped)."""
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    moment = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    options: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
        "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    signature = key.sign(_hash_data(unsecured, options))
    proof = {**options, "proofValue": "z" + b58encode(signature)}
    return {**copy.deepcopy(unsecured), "proof": proof}


def verify_proof(
    document: dict[str, Any], proof: dict[str, Any], key: ed25519.Ed25519PublicKey
) -> None:
    """Check one of the document's proofs against `key`; raise ProofError unless it verifies."""
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"not a {CRYPTOSUITE} {PROOF_TYPE}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("the proof's purpose is not assertionMethod")
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str) or not proof_value.startswith("z"):
        raise ProofError("proofValue is not base58btc multibase")
    if len(proof_value) > _MAX_PROOF_VALUE:
        raise ProofError("proofValue too long")
    try:
        signature = b58decode(proof_value[1:])
    except ValueError:
        raise ProofError("proofValue is not base58btc") from None
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    unsecured = {
        name: value
        for name, value in document.items()
        if name != "proof" and not (name == "signature" and isinstance(value, dict))
    }
    if "@context" in options:
        # The document's context must begin with the proof's, which then stands for it.
        stated = _as_list(options["@context"])
        if _as_list(unsecured.get("@context"))[: len(stated)] != stated:
            raise ProofError("the proof's @context does not begin the document's")
        unsecured["@context"] = options["@context"]
    created = options.get("created")
    if created is not None and not _is_datetime(created):
        raise ProofError("the proof's created is not a date-time")
    try:
        key.verify(signature, _hash_data(unsecured, options))
    except InvalidSignature:
        raise ProofError("the integrity proof does not verify") from None


def _hash_data(unsecured: dict[str, Any], options: dict[str, Any]) -> bytes:
    config = dict(options)
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    try:
        canonical_config = rfc8785.dumps(config)
        canonical_document = rfc8785.dumps(unsecured)
    except rfc8785.CanonicalizationError as error:
        raise ProofError(f"cannot canonicalise the document: {error}") from None
    return hashlib.sha256(canonical_config).digest() + hashlib.sha256(canonical_document).digest()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
