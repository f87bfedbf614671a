"""FEP-8b32 integrity proofs of what we receive: checking that the author signed it.

An activity with a valid proof by its author is authentic whoever delivers it: that is what
lets a server forward an activity it did not write (inbox forwarding) and still be believed.
The author's key is the Ed25519 Multikey its own actor document lists in `assertionMethod`,
fetched from the author's id like any key (SECURITY.md rows 5 and 19).
"""

from __future__ import annotations

import enum
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.hosts import same_origin
from federation.keys import KeyFormatError, ed25519_public_key_from_multibase
from federation.proofs import CRYPTOSUITE, ProofError, proofs_of, verify_proof
from server.processing.remote_actors import ActorUnavailable, RemoteActorDirectory
from server.storage import remote_actors


class AuthorProof(enum.Enum):
    ABSENT = "absent"  # no eddsa-jcs-2022 proof: nothing to check (or to rely on)
    VERIFIED = "verified"


async def check_author_proof(
    directory: RemoteActorDirectory, payload: dict[str, Any], author: str
) -> AuthorProof:
    """Verify every eddsa-jcs-2022 proof of `payload`; each must be made by `author`'s key.

    Raises ProofError when one does not verify, names another actor's key, or names a key the
    author does not publish. Proofs of other cryptosuites are ignored (unfamiliar, not hostile).
    """
    proofs = [proof for proof in proofs_of(payload) if proof.get("cryptosuite") == CRYPTOSUITE]
    if not proofs:
        return AuthorProof.ABSENT
    for proof in proofs:
        method = proof.get("verificationMethod")
        if not isinstance(method, str) or not same_origin(method, author):
            raise ProofError("the proof's key is not on the author's origin")
        key = await _author_key(directory, author, method)
        try:
            verify_proof(payload, proof, key)
        except ProofError:
            # Perhaps a rotated key: refetch the author (within the directory's limit), retry.
            if not await _refetched(directory, author, method):
                raise
            verify_proof(payload, proof, await _listed_key(directory, author, method))
    return AuthorProof.VERIFIED


async def _author_key(
    directory: RemoteActorDirectory, author: str, method: str
) -> ed25519.Ed25519PublicKey:
    try:
        await directory.actor(author)  # the stored document, fetched from its id when needed
    except ActorUnavailable as error:
        raise ProofError(f"cannot obtain the author's key: {error}") from None
    try:
        return await _listed_key(directory, author, method)
    except ProofError:
        if not await _refetched(directory, author, method):
            raise
    return await _listed_key(directory, author, method)


async def _refetched(directory: RemoteActorDirectory, author: str, method: str) -> bool:
    """Refetch the author's document if the directory's rule for rotated keys (one refetch per
    window, SECURITY.md row 19) allows it now; whether it was refetched."""
    try:
        return await directory.refreshed_key(method, author) is not None
    except ActorUnavailable:
        return True  # refetched, but the key is not among those the directory keeps


async def _listed_key(
    directory: RemoteActorDirectory, author: str, method: str
) -> ed25519.Ed25519PublicKey:
    async with directory.pool.acquire() as connection:
        document = await remote_actors.actor_document(connection, author)
    found = multikey_in(document or {}, method, author)
    if found is None:
        raise ProofError(f"the author does not publish the key {method}")
    return found


def multikey_in(
    document: dict[str, Any], method: str, author: str
) -> ed25519.Ed25519PublicKey | None:
    """The Ed25519 Multikey `method` that the author's document lists in `assertionMethod`."""
    entries = document.get("assertionMethod")
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict) or entry.get("id") != method:
            continue
        if entry.get("type") != "Multikey" or entry.get("controller", author) != author:
            continue
        value = entry.get("publicKeyMultibase")
        if not isinstance(value, str):
            continue
        try:
            return ed25519_public_key_from_multibase(value)
        except KeyFormatError:
            return None
    return None
