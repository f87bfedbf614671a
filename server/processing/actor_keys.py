"""The keys an actor publishes, and what we remember of them between requests.

Real servers name their keys in several ways (FEDERATION.md, "Keys we accept"): a `publicKey`
with a `#main-key` fragment (Mastodon), at its own path (GoToSocial's `/main-key`), the actor id
itself (activitypub-express signs with it while its actor publishes `<id>#main-key`), a
`Multikey` in `assertionMethod` (FEP-521a, Fedify), several at once. `published_keys` turns an
actor document into key id -> PEM for all of them; the caches below keep signed requests cheap
and bound how often a stranger's key id makes us fetch (SECURITY.md row 19).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from federation.hosts import same_origin
from federation.keys import (
    KeyFormatError,
    PublicKey,
    ed25519_public_key_from_multibase,
    public_key_from_pem,
    public_key_to_pem,
)
from schemas.actors import Actor, Multikey
from server.storage.remote_actors import RemoteKey, StoredVersion

# Keys verified against are kept in memory, parsed, so a signed request costs no database round
# trip and no PEM parsing. Entries expire so that a change made by another process (a `maillage
# worker` forgetting a deleted actor, a refetch after a rotation) is seen within this time;
# changes made by this process invalidate them at once.
KEY_CACHE_SECONDS = 60.0
KEY_CACHE_SIZE = 10_000
# A key id we do not know makes us fetch its document at most once per window (SECURITY.md row
# 19); the document fetched then is remembered as long, so that the actor's real keys are found
# in it without a second fetch (one forged or mistaken key id must not lock out the real one).
KEY_REFETCH_WINDOW_SECONDS = 600.0
RECENT_DOCUMENTS = 2_000


def published_keys(uri: str, actor: Actor) -> dict[str, str]:
    """Key id -> PEM of every key `actor` (fetched from `uri`) publishes for itself.

    A key counts only when it names no other owner and its id is on the actor's origin (rows 5
    and 9); entries we cannot read (another kind of Multikey, a broken PEM) are skipped, not
    fatal. The actor id itself stands for the first `publicKey`, as Mastodon reads a keyId that
    names an actor.
    """
    keys: dict[str, str] = {}
    for listed in actor.public_key:
        if listed.owner in (None, uri) and same_origin(listed.id, uri):
            keys.setdefault(listed.id, listed.public_key_pem)
    for method in actor.assertion_method:
        if not isinstance(method, Multikey) or method.controller != uri:
            continue
        if same_origin(method.id, uri):
            pem = _multikey_pem(method)
            if pem is not None:
                keys.setdefault(method.id, pem)
    if actor.public_key and uri not in keys:
        first = actor.public_key[0].id
        if first in keys:
            keys[uri] = keys[first]
    return keys


def _multikey_pem(method: Multikey) -> str | None:
    try:
        return public_key_to_pem(ed25519_public_key_from_multibase(method.public_key_multibase))
    except (KeyFormatError, ValueError):
        return None


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


@dataclass(frozen=True)
class FetchedActor:
    """An actor document as fetched from its own id, with the keys it published then."""

    uri: str
    document: dict[str, Any]
    keys: dict[str, str]
    # The row's version read before the fetch: storing this document later must not undo an
    # Update processed since (`remote_actors.StoredVersion`).
    version: StoredVersion | None = None


class KeyFetchMemory:
    """What key lookups made us fetch, and when: the rate limit of row 19 and its leftovers.

    A URL fetched (for a key, or an actor for any reason) is "seen"; fetching it again for a key
    within the window is a refetch, and only one refetch per window is allowed, whether for
    another unknown key id or after a failed verification (a rotated key). So a fetch made for
    another reason (following, the daily refresh, first contact) never stands in the way of a
    new key, and a stream of made-up key ids costs one fetch. Actor documents fetched are kept
    for the window, so that a key they list is found without fetching again.
    """

    def __init__(
        self,
        window_seconds: float = KEY_REFETCH_WINDOW_SECONDS,
        max_entries: int = RECENT_DOCUMENTS,
        clock: Any = time.monotonic,
    ) -> None:
        self.window_seconds = window_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._refetched: OrderedDict[str, float] = OrderedDict()
        self._actors: OrderedDict[str, tuple[float, FetchedActor]] = OrderedDict()
        self._owner_of_key: dict[str, str] = {}

    def may_fetch_for_unknown_key(self, url: str) -> bool:
        """Whether to fetch `url` for a key id we do not hold (and count it if so)."""
        if self._within_window(self._refetched, url):
            return False
        # Fetched before (for whatever reason, however long ago): this one is a refetch.
        self._note(self._refetched if url in self._seen else self._seen, url)
        return True

    def may_refetch_after_failure(self, url: str) -> bool:
        """Whether to refetch `url` after its key failed to verify (and count it if so)."""
        if self._within_window(self._refetched, url):
            return False
        self._note(self._refetched, url)
        return True

    def _within_window(self, times: OrderedDict[str, float], url: str) -> bool:
        at = times.get(url)
        return at is not None and self._clock() - at < self.window_seconds

    def _note(self, times: OrderedDict[str, float], url: str) -> None:
        times.pop(url, None)
        times[url] = self._clock()
        while len(times) > self.max_entries:
            times.popitem(last=False)

    def remember(self, fetched: FetchedActor) -> None:
        """An actor document just fetched from its id, for whatever reason: a fetch for a key
        within the window is now a refetch, and the keys it lists are at hand."""
        self._note(self._seen, fetched.uri)
        self.forget(fetched.uri)
        self._actors[fetched.uri] = (self._clock(), fetched)
        for key_id in fetched.keys:
            self._owner_of_key[key_id] = fetched.uri
        while len(self._actors) > self.max_entries:
            self.forget(next(iter(self._actors)))

    def actor_listing(self, key_id: str) -> FetchedActor | None:
        """The actor fetched within the window whose document lists `key_id`."""
        owner = self._owner_of_key.get(key_id)
        entry = self._actors.get(owner) if owner is not None else None
        if entry is None:
            return None
        at, fetched = entry
        if self._clock() - at >= self.window_seconds:
            self.forget(fetched.uri)
            return None
        return fetched

    def forget(self, uri: str) -> None:
        entry = self._actors.pop(uri, None)
        if entry is None:
            return
        for key_id in entry[1].keys:
            if self._owner_of_key.get(key_id) == uri:
                del self._owner_of_key[key_id]

    def clear(self) -> None:
        """Start a new window for everyone (tests that play a window gone by)."""
        self._seen.clear()
        self._refetched.clear()
        self._actors.clear()
        self._owner_of_key.clear()
