"""Fetching and caching remote actors and their keys, with the ownership checks of SECURITY.md.

A key is trusted for an actor only when that actor's own document, fetched from its own id, lists
the key (row 5). A key id we do not know, or one that fails to verify, triggers at most one
refetch per window (row 19; `server.processing.actor_keys`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag

import asyncpg
import structlog

from federation.fetcher import FetchError, HttpStatus, SafeFetcher, canonical_url
from federation.hosts import canonical_host, origin_of, same_origin
from federation.keys import PublicKey
from schemas.errors import SchemaError
from schemas.parse import parse_actor
from server.processing import actor_lifecycle
from server.processing.actor_keys import FetchedActor, KeyCache, KeyFetchMemory, published_keys
from server.processing.sanitise import plain_text
from server.processing.signing import RequestSigner
from server.storage import remote_actors
from server.storage.remote_actors import RemoteActor, RemoteKey

log = structlog.get_logger(__name__)

ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})
STALE_AFTER = timedelta(days=1)


class ActorUnavailable(Exception):
    """The actor or key could not be fetched or did not pass the checks; the message says why.

    `gone` when the URL itself (not a redirect's target) answered 410 Gone.
    """

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


@dataclass(frozen=True)
class Refetched:
    actor: RemoteActor
    document: dict[str, Any]
    keys: dict[str, str]
    stored: bool


@dataclass
class RemoteActorDirectory:
    pool: asyncpg.Pool
    fetcher: SafeFetcher
    signer: RequestSigner
    keys: KeyCache = field(default_factory=KeyCache)
    key_fetches: KeyFetchMemory = field(default_factory=KeyFetchMemory)
    # The node's moderation (DomainPolicies.refuses): True for a host we do not federate with.
    # The fetcher refuses such hosts too; this lets the inbox answer 403 before any lookup.
    refuses: Callable[[str], bool] = field(default=lambda _host: False)

    async def fetch_document(self, url: str) -> dict[str, Any]:
        try:
            fetched = await self.fetcher.fetch_json_document(url, sign=self.signer.sign_get)
        except FetchError as error:
            gone = (
                isinstance(error, HttpStatus)
                and error.status == 410
                and error.url == canonical_url(url)
            )
            raise ActorUnavailable(f"cannot fetch {url}: {error}", gone=gone) from None
        return fetched.data

    async def refresh_actor(self, uri: str, *, require_key: str | None = None) -> RemoteActor:
        """Fetch the actor from its own id and store it with the keys it lists.

        With `require_key`, an actor that does not list that key is not stored: a request
        naming a key nobody publishes must leave no row behind.
        """
        return (await self.refetch(uri, require_key=require_key)).actor

    async def refetch(self, uri: str, *, require_key: str | None = None) -> Refetched:
        """`refresh_actor`, answering also the fetched document, the keys it lists and whether
        it was stored (see `store_actor_document`)."""
        version = await self.stored_version(uri)
        document = await self.fetch_actor_document(uri)
        actor, keys, stored = await self.store_actor_document(
            uri, document, require_key=require_key, version=version
        )
        if stored:
            await actor_lifecycle.actor_fetched(self.pool, uri, document)
        return Refetched(actor, document, keys, stored)

    async def stored_version(self, uri: str) -> remote_actors.StoredVersion:
        async with self.pool.acquire() as connection:
            return await remote_actors.stored_version(connection, uri)

    async def store_actor_document(
        self,
        uri: str,
        document: dict[str, Any],
        *,
        version: remote_actors.StoredVersion | None,
        require_key: str | None = None,
    ) -> tuple[RemoteActor, dict[str, str], bool]:
        """Store `document`, just fetched from `uri` itself, with the keys it lists, unless the
        actor's row changed since `version` was read before the fetch (an Update processed
        meanwhile is newer: the fetched document is then only used, not kept).

        Whatever the outcome, the keys it lists are remembered for the refetch window, so that
        a request naming one of them needs no new fetch (and no refusal) even when this
        document was fetched for a key it did not list. The last value says whether it was
        stored.
        """
        actor, keys = actor_from_document(uri, document)
        self.key_fetches.remember(FetchedActor(uri, document, keys, version))
        if require_key is not None and require_key not in keys:
            raise ActorUnavailable(f"actor {uri} does not publish key {require_key}")
        self.keys.forget_actor(uri)
        async with self.pool.acquire() as connection, connection.transaction():
            stored = await remote_actors.save_remote_actor(
                connection, actor, document, keys, unless_changed_since=version
            )
        self.keys.forget_actor(uri)  # a verification that ran meanwhile may have cached a key
        return actor, keys, stored

    async def fetch_actor_document(self, uri: str) -> dict[str, Any]:
        """The actor's document from its own id; a 410 there ends the actor here first (see
        `answered_gone`), so every caller that looks an actor up learns it is gone the same way."""
        try:
            return await self.fetch_document(uri)
        except ActorUnavailable as error:
            if error.gone:
                await self.answered_gone(uri)
            raise

    async def answered_gone(self, uri: str) -> None:
        """The actor's own id answered 410: for an actor we know, the same as its Delete of
        itself (Mastodon reads it so too), but the row stays, marked gone. One we never knew
        leaves nothing behind."""
        async with self.pool.acquire() as connection, connection.transaction():
            if await remote_actors.mark_gone(connection, uri):
                await actor_lifecycle.actor_gone(connection, uri)

    def forget_keys_of(self, actor_uri: str) -> None:
        """The actor was deleted or changed elsewhere in this process: drop its cached keys."""
        self.keys.forget_actor(actor_uri)
        self.key_fetches.forget(actor_uri)

    def public_key(self, key: RemoteKey) -> PublicKey | str:
        """What to verify with: the parsed key when `key` is the cached one, else its PEM."""
        return self.keys.public_key(key)

    async def actor(self, uri: str) -> RemoteActor:
        """The cached actor, fetched when unknown or older than a day."""
        async with self.pool.acquire() as connection:
            cached = await remote_actors.find_remote_actor(connection, uri)
        if cached is not None and datetime.now(UTC) - cached.fetched_at < STALE_AFTER:
            return cached
        try:
            return await self.refresh_actor(uri)
        except ActorUnavailable:
            if cached is not None:
                return cached
            raise

    async def cached_actor(self, uri: str) -> RemoteActor | None:
        async with self.pool.acquire() as connection:
            return await remote_actors.find_remote_actor(connection, uri)

    async def key(self, key_id: str) -> RemoteKey:
        """The key `key_id`, fetched through its owner's document when unknown."""
        remembered = self.keys.get(key_id)
        if remembered is not None:
            return remembered
        async with self.pool.acquire() as connection:
            stored = await remote_actors.find_remote_key(connection, key_id)
        if stored is not None:
            self.keys.put(stored)
            return stored
        listing = self.key_fetches.actor_listing(key_id)
        if listing is not None:
            # Fetched a moment ago for another key id, and it lists this one: keep it now.
            _, keys, _ = await self.store_actor_document(
                listing.uri, listing.document, version=listing.version
            )
            return self._found(key_id, listing.uri, keys)
        # Key churn (row 19): an unknown key id costs at most one refetch per window.
        document_url, _ = urldefrag(key_id)
        if not self.key_fetches.may_fetch_for_unknown_key(document_url):
            raise ActorUnavailable(f"actor {document_url} does not publish key {key_id}")
        version = await self.stored_version(document_url)
        document = await self.fetch_document(document_url)
        owner = owner_named_by(key_id, document_url, document)
        if document.get("id") != owner:
            # A separate key document: the owner must list the key in its own document, fetched
            # from its own id (row 5). GoToSocial's `/main-key` answers the actor itself (a stub,
            # refetched by its id by the fetcher), which needs no second fetch.
            version = await self.stored_version(owner)
            document = await self.fetch_document(owner)
        _, keys, _ = await self.store_actor_document(
            owner, document, require_key=key_id, version=version
        )
        return self._found(key_id, owner, keys)

    def _found(self, key_id: str, owner: str, keys: dict[str, str]) -> RemoteKey:
        found = RemoteKey(key_id, owner, keys[key_id], datetime.now(UTC))
        self.keys.put(found)
        return found

    async def refreshed_key(self, key_id: str, owner: str) -> RemoteKey | None:
        """After a failed verification: refetch the owner once per window (key rotation)."""
        if not self.key_fetches.may_refetch_after_failure(owner):
            return None
        refetched = await self.refetch(owner)
        keys, stored = refetched.keys, refetched.stored
        if stored:
            return await self.stored_key(key_id, owner)
        # A write of the actor won meanwhile (an Update processed during the fetch) and kept
        # its own keys: the document just fetched from the actor's id is what we verify with.
        pem = keys.get(key_id)
        if pem is None:
            raise ActorUnavailable(f"actor {owner} does not publish key {key_id}")
        return RemoteKey(key_id, owner, pem, datetime.now(UTC))

    async def stored_key(self, key_id: str, owner: str) -> RemoteKey:
        async with self.pool.acquire() as connection:
            found = await remote_actors.find_remote_key(connection, key_id)
        if found is None or found.actor_uri != owner:
            raise ActorUnavailable(f"actor {owner} does not publish key {key_id}")
        self.keys.put(found)
        return found

    async def owner_of_unknown_key(self, key_id: str) -> str:
        """Who claims the key: the document at the key id names its owner (or is the actor)."""
        document_url, _ = urldefrag(key_id)
        document = await self.fetch_document(document_url)
        return owner_named_by(key_id, document_url, document)


def owner_named_by(key_id: str, document_url: str, document: dict[str, Any]) -> str:
    """The owner the key id's document names: the actor itself, or its `owner`/`controller`."""
    if document.get("type") in ACTOR_TYPES:
        return str(document.get("id"))
    owner = document.get("owner") or document.get("controller")
    if isinstance(owner, dict):
        owner = owner.get("id")
    if not isinstance(owner, str):
        raise ActorUnavailable(f"key document {document_url} names no owner")
    if origin_of(owner) != origin_of(key_id):
        raise ActorUnavailable(f"key {key_id} claims an owner on another origin")
    return owner


def actor_from_document(uri: str, document: dict[str, Any]) -> tuple[RemoteActor, dict[str, str]]:
    """The actor and the keys it lists for itself; refuses documents that are not actors."""
    try:
        parsed = parse_actor(document)
    except SchemaError as error:
        raise ActorUnavailable(f"{uri} is not a usable actor: {error}") from None
    if parsed.id != uri:
        raise ActorUnavailable(f"{uri} answered with the document of {parsed.id}")
    if parsed.type not in ACTOR_TYPES:
        raise ActorUnavailable(f"{uri} is a {parsed.type}, not an actor")
    if not parsed.inbox or not same_origin(parsed.inbox, uri):
        raise ActorUnavailable(f"{uri} has no inbox on its own origin")
    shared_inbox = parsed.shared_inbox
    if shared_inbox is not None and not same_origin(shared_inbox, uri):
        # As for its inbox: a server speaks only for its own origin. Its own inbox (checked on
        # its origin above) receives our deliveries instead.
        log.info("shared inbox on another origin ignored", actor=uri, shared_inbox=shared_inbox)
        shared_inbox = None
    actor = RemoteActor(
        uri=uri,
        host=canonical_host(uri),
        kind=parsed.type,
        preferred_username=parsed.preferred_username,
        # AS2 `name` is plain text: decoded once here like every received name, escaped on output.
        display_name=plain_text(parsed.name) or None,
        inbox=parsed.inbox,
        shared_inbox=shared_inbox,
        followers=parsed.followers,
        gone=False,
        fetched_at=datetime.now(UTC),
    )
    return actor, published_keys(uri, parsed)
