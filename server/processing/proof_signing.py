"""FEP-8b32 integrity proofs of what our actors publish, made with their Ed25519 key."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.keys import private_key_from_pem
from federation.proofs import sign_document
from server.database import DbConnection
from server.storage import keys
from server.urls import NodeUrls


async def sign_activity(
    connection: DbConnection, urls: NodeUrls, actor_name: str, activity: dict[str, Any]
) -> dict[str, Any]:
    """`activity` with a proof by the actor's Ed25519 key (unchanged if the actor has none)."""
    for pair in await keys.key_pairs_of(connection, actor_name):
        if pair.algorithm == "ed25519":
            key = private_key_from_pem(pair.private_pem, ours=True)
            if isinstance(key, ed25519.Ed25519PrivateKey):
                return sign_document(activity, key, urls.ed25519_key_id(actor_name))
    return activity
