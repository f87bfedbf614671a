"""Actor documents of local actors: the place (Group), the node (Application), members (Person)."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.keys import ed25519_public_key_to_multibase, public_key_from_pem
from schemas.context import emitted_context
from server.storage.keys import StoredKeyPair
from server.storage.local_actors import LocalActor
from server.urls import NodeUrls


def actor_document(
    urls: NodeUrls,
    actor: LocalActor,
    key_pairs: list[StoredKeyPair],
    place_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    uri = urls.actor(actor.name)
    document: dict[str, Any] = {
        "@context": emitted_context(),
        "id": uri,
        "type": actor.kind,
        "preferredUsername": actor.name,
        "name": actor.display_name,
        "summary": actor.summary,
        "url": uri,
        "inbox": urls.inbox(actor.name),
        "outbox": urls.outbox(actor.name),
        "followers": urls.followers(actor.name),
        "following": urls.following(actor.name),
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": actor.discoverable,
        # The place's Group carries its location and details (server.processing.place_profile).
        **(place_details or {}),
    }
    for pair in key_pairs:
        if pair.algorithm == "rsa-2048":
            document["publicKey"] = {
                "id": urls.rsa_key_id(actor.name),
                "owner": uri,
                "publicKeyPem": pair.public_pem,
            }
        elif pair.algorithm == "ed25519":
            document["assertionMethod"] = [
                {
                    "id": urls.ed25519_key_id(actor.name),
                    "type": "Multikey",
                    "controller": uri,
                    "publicKeyMultibase": multibase_of(pair.public_pem),
                }
            ]
    return document


def multibase_of(public_pem: str) -> str:
    key = public_key_from_pem(public_pem)
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise TypeError("the stored ed25519 key is not an Ed25519 key")
    return ed25519_public_key_to_multibase(key)
