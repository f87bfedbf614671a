"""Authorized fetch: who signed a GET of one of our ActivityPub documents.

With the `authorized_fetch` setting on, a GET of our actors (but the Application actor), their
collections, our objects and activities is answered only when it carries a valid HTTP signature
(draft-cavage or RFC 9421) of a key its owner publishes. The signer's key is found as for an inbox
POST: from the cache, else through its owner's document, fetched with our own signed GET.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from federation.signatures import SignatureError, prepare_verification
from server.processing.incoming import IncomingRequest, Refused, refuse_moderated, verify
from server.processing.remote_actors import ActorUnavailable, RemoteActorDirectory


@dataclass(frozen=True)
class SignedFetch:
    actor: str  # the owner of the key
    key_id: str


async def fetch_signer(directory: RemoteActorDirectory, request: IncomingRequest) -> SignedFetch:
    """Who signed this GET, and with which key; Refused(401) when unsigned or not verifying.

    Every check that needs no key comes first, so that an unsigned or out-of-date request costs no
    fetch. A signer on a host the node does not federate with (moderation) is refused with 403
    before its key is looked up.
    """
    try:
        pending = prepare_verification(
            request.method, request.url, request.headers, request.body, now=datetime.now(UTC)
        )
    except SignatureError as error:
        raise Refused(401, f"authorized fetch: {error.reason}") from None
    refuse_moderated(directory, pending.key_id)
    try:
        key = await directory.key(pending.key_id)
    except ActorUnavailable as error:
        raise Refused(401, f"cannot obtain key {pending.key_id}: {error}") from None
    # The same verification as an inbox POST's, with one refetch of the owner on a failure.
    verified, _ = await verify(directory, request, key.actor_uri)
    return SignedFetch(key.actor_uri, verified.key_id)
