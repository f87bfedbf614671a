"""Fetching and caching remote actors and their keys, with the ownership checks of SECURITY.md.

A key is trusted for an actor only when that actor's own document, fetched from its own id, lists
the key (row 5). A key that fails to verify triggers at most one refetch per window (row 19).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag

import asyncpg

from federation.fetcher import FetchError, SafeFetcher
from federation.hosts import canonical_host, origin_of, same_origin
from schemas.errors import SchemaError
from schemas.parse import parse_actor
from server.processing.signing import RequestSigner
from server.storage import remote_actors
from server.storage.remote_actors import RemoteActor, RemoteKey

ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})
REFRESH_WINDOW = timedelta(minutes=10)
STALE_AFTER = timedelta(days=1)


class ActorUnavailable(Exception):
    """The actor or key could not be fetched or did not pass the checks; the message says why."""


@dataclass
class RemoteActorDirectory:
    pool: asyncpg.Pool
    fetcher: SafeFetcher
    signer: RequestSigner
    _refreshed: dict[str, datetime] = field(default_factory=dict)

    async def fetch_document(self, url: str) -> dict[str, Any]:
        try:
            fetched = await self.fetcher.fetch_json_document(url, sign=self.signer.sign_get)
        except FetchError as error:
            raise ActorUnavailable(f"cannot fetch {url}: {error}") from None
        return fetched.data

    async def refresh_actor(self, uri: str, *, require_key: str | None = None) -> RemoteActor:
        """Fetch the actor from its own id and store it with the keys it lists.

        With `require_key`, an actor that does not list that key is not stored: a request
        naming a key nobody publishes must leave no row behind.
        """
        document = await self.fetch_document(uri)
        actor, keys = actor_from_document(uri, document)
        if require_key is not None and require_key not in keys:
            self._refreshed[uri] = datetime.now(UTC)
            raise ActorUnavailable(f"actor {uri} does not publish key {require_key}")
        async with self.pool.acquire() as connection, connection.transaction():
            await remote_actors.save_remote_actor(connection, actor, document, keys)
        self._refreshed[uri] = datetime.now(UTC)
        return actor

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
        async with self.pool.acquire() as connection:
            cached = await remote_actors.find_remote_key(connection, key_id)
        if cached is not None:
            return cached
        # Key churn (row 19): an unknown key id of an actor fetched within the window costs no
        # new fetch; a genuinely rotated key is accepted once the window has passed.
        document_url, _ = urldefrag(key_id)
        if self.recently_refreshed(document_url):
            raise ActorUnavailable(f"actor {document_url} does not publish key {key_id}")
        owner = await self.owner_of_unknown_key(key_id)
        await self.refresh_actor(owner, require_key=key_id)
        return await self.stored_key(key_id, owner)

    def recently_refreshed(self, uri: str) -> bool:
        last = self._refreshed.get(uri)
        return last is not None and datetime.now(UTC) - last < REFRESH_WINDOW

    async def refreshed_key(self, key_id: str, owner: str) -> RemoteKey | None:
        """After a failed verification: refetch the owner once per window (key rotation)."""
        last = self._refreshed.get(owner)
        if last is not None and datetime.now(UTC) - last < REFRESH_WINDOW:
            return None
        await self.refresh_actor(owner)
        return await self.stored_key(key_id, owner)

    async def stored_key(self, key_id: str, owner: str) -> RemoteKey:
        async with self.pool.acquire() as connection:
            found = await remote_actors.find_remote_key(connection, key_id)
        if found is None or found.actor_uri != owner:
            raise ActorUnavailable(f"actor {owner} does not publish key {key_id}")
        return found

    async def owner_of_unknown_key(self, key_id: str) -> str:
        """Who claims the key: the document at the key id names its owner (or is the actor)."""
        document_url, _ = urldefrag(key_id)
        document = await self.fetch_document(document_url)
        if document.get("type") in ACTOR_TYPES:
            return str(document.get("id"))
        owner = document.get("owner") or document.get("controller")
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
    keys = {
        key.id: key.public_key_pem
        for key in parsed.public_key
        if key.owner in (None, uri) and same_origin(key.id, uri)
    }
    actor = RemoteActor(
        uri=uri,
        host=canonical_host(uri),
        kind=parsed.type,
        preferred_username=parsed.preferred_username,
        display_name=parsed.name,
        inbox=parsed.inbox,
        shared_inbox=parsed.shared_inbox,
        followers=parsed.followers,
        gone=False,
        fetched_at=datetime.now(UTC),
    )
    return actor, keys
