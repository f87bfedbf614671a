"""Fetching and caching remote actors and their keys, with the ownership checks of SECURITY.md.

A key is trusted for an actor only when that actor's own document, fetched from its own id, lists
the key (row 5). A key that fails to verify triggers at most one refetch per window (row 19).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag

import asyncpg
import structlog

from federation.fetcher import FetchError, HttpStatus, SafeFetcher, canonical_url
from federation.hosts import canonical_host, origin_of, same_origin
from federation.keys import KeyFormatError, PublicKey, public_key_from_pem
from schemas.errors import SchemaError
from schemas.parse import parse_actor
from server.processing import follow_requests
from server.processing.sanitise import plain_text
from server.processing.signing import RequestSigner
from server.storage import remote_actors
from server.storage.remote_actors import RemoteActor, RemoteKey

log = structlog.get_logger(__name__)

ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})
REFRESH_WINDOW = timedelta(minutes=10)
STALE_AFTER = timedelta(days=1)
# Keys verified against are kept in memory, parsed, so a signed request costs no database round
# trip and no PEM parsing. Entries expire so that a change made by another process (a `maillage
# worker` forgetting a deleted actor, a refetch after a rotation) is seen within this time;
# changes made by this process invalidate them at once.
KEY_CACHE_SECONDS = 60.0
KEY_CACHE_SIZE = 10_000


class ActorUnavailable(Exception):
    """The actor or key could not be fetched or did not pass the checks; the message says why.

    `gone` when the URL itself (not a redirect's target) answered 410 Gone.
    """

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


@dataclass
class _CachedKey:
    key: RemoteKey
    expires: float
    parsed: PublicKey | None = None


class KeyCache:
    """Bounded, expiring key_id -> stored key (and its parsed public key), indexed by owner."""

    def __init__(
        self,
        max_entries: int = KEY_CACHE_SIZE,
        ttl_seconds: float = KEY_CACHE_SECONDS,
        clock: Any = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, _CachedKey] = OrderedDict()
        self._by_actor: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key_id: str) -> RemoteKey | None:
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            self._drop(key_id)
            return None
        return entry.key

    def put(self, key: RemoteKey) -> None:
        self._drop(key.key_id)
        self._entries[key.key_id] = _CachedKey(key, self._clock() + self.ttl_seconds)
        self._by_actor.setdefault(key.actor_uri, set()).add(key.key_id)
        while len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))

    def public_key(self, key: RemoteKey) -> PublicKey | str:
        """The parsed key of a cached entry with the same PEM, parsed once; else the PEM."""
        entry = self._entries.get(key.key_id)
        if entry is None or entry.key.public_pem != key.public_pem:
            return key.public_pem
        if entry.parsed is None:
            try:
                entry.parsed = public_key_from_pem(key.public_pem)
            except KeyFormatError:
                return key.public_pem  # the verifier reports the unusable key itself
        return entry.parsed

    def forget_actor(self, actor_uri: str) -> None:
        for key_id in list(self._by_actor.get(actor_uri, ())):
            self._drop(key_id)

    def _drop(self, key_id: str) -> None:
        entry = self._entries.pop(key_id, None)
        if entry is None:
            return
        owned = self._by_actor.get(entry.key.actor_uri)
        if owned is not None:
            owned.discard(key_id)
            if not owned:
                del self._by_actor[entry.key.actor_uri]


@dataclass
class RemoteActorDirectory:
    pool: asyncpg.Pool
    fetcher: SafeFetcher
    signer: RequestSigner
    _refreshed: dict[str, datetime] = field(default_factory=dict)
    keys: KeyCache = field(default_factory=KeyCache)

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
        document = await self.fetch_actor_document(uri)
        actor, _ = await self.store_actor_document(uri, document, require_key=require_key)
        if actor.kind == "Group":  # the directory keeps a place's details (imported here: cycle)
            from server.processing.directory import remember_place

            await remember_place(self.pool, uri, document)
        return actor

    async def store_actor_document(
        self, uri: str, document: dict[str, Any], *, require_key: str | None = None
    ) -> tuple[RemoteActor, dict[str, str]]:
        """Store `document`, just fetched from `uri` itself, with the keys it lists."""
        actor, keys = actor_from_document(uri, document)
        if require_key is not None and require_key not in keys:
            self._refreshed[uri] = datetime.now(UTC)
            raise ActorUnavailable(f"actor {uri} does not publish key {require_key}")
        self.keys.forget_actor(uri)
        async with self.pool.acquire() as connection, connection.transaction():
            await remote_actors.save_remote_actor(connection, actor, document, keys)
        self.keys.forget_actor(uri)  # a verification that ran meanwhile may have cached a key
        self._refreshed[uri] = datetime.now(UTC)
        return actor, keys

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
                await follow_requests.actor_gone(connection, uri)

    def forget_keys_of(self, actor_uri: str) -> None:
        """The actor was deleted or changed elsewhere in this process: drop its cached keys."""
        self.keys.forget_actor(actor_uri)

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
        # Key churn (row 19): an unknown key id of an actor fetched within the window costs no
        # new fetch; a genuinely rotated key is accepted once the window has passed.
        document_url, _ = urldefrag(key_id)
        if self.recently_refreshed(document_url):
            raise ActorUnavailable(f"actor {document_url} does not publish key {key_id}")
        document = await self.fetch_document(document_url)
        owner = owner_named_by(key_id, document_url, document)
        if owner == document_url:
            # The key id's document is the actor's own, fetched from its own id (row 5): it
            # need not be fetched a second time.
            _, keys = await self.store_actor_document(owner, document, require_key=key_id)
        else:
            owner_document = await self.fetch_document(owner)
            _, keys = await self.store_actor_document(owner, owner_document, require_key=key_id)
        found = RemoteKey(key_id, owner, keys[key_id], datetime.now(UTC))
        self.keys.put(found)
        return found

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
    return actor, keys
