"""Actors of other servers and their public keys, as last fetched."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.database import DbConnection


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    host: str
    kind: str
    preferred_username: str | None
    display_name: str | None
    inbox: str
    shared_inbox: str | None
    followers: str | None
    gone: bool
    fetched_at: datetime

    @property
    def delivery_inbox(self) -> str:
        """Shared inbox when the actor has one: one request per host instead of one per actor."""
        return self.shared_inbox or self.inbox


@dataclass(frozen=True)
class RemoteKey:
    key_id: str
    actor_uri: str
    public_pem: str
    fetched_at: datetime


ACTOR_COLUMNS = (
    "uri, host, kind, preferred_username, display_name, inbox, shared_inbox, followers, gone, "
    "fetched_at"
)


@dataclass(frozen=True)
class StoredVersion:
    """When an actor's row was last written (None: there was no row), read before fetching it.

    A fetch takes a while; an Update of the actor processed meanwhile is newer than what the
    fetch brings back, so the fetched document is stored only if the row is still this version.
    """

    written_at: datetime | None


async def stored_version(connection: DbConnection, uri: str) -> StoredVersion:
    written_at: datetime | None = await connection.fetchval(
        "SELECT fetched_at FROM remote_actors WHERE uri = $1", uri
    )
    return StoredVersion(written_at)


async def save_remote_actor(
    connection: DbConnection,
    actor: RemoteActor,
    document: dict[str, Any],
    keys: dict[str, str],
    *,
    unless_changed_since: StoredVersion | None = None,
) -> bool:
    """Store the actor and exactly the keys it publishes now (a rotated key replaces the old).

    With `unless_changed_since`, nothing is stored when the row was written after that version
    was read (a newer document is already here); the answer says whether it was stored.
    """
    stored = await connection.fetchval(
        """
        INSERT INTO remote_actors (uri, host, kind, preferred_username, display_name, inbox,
                                   shared_inbox, followers, document, gone, fetched_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, false, now())
        ON CONFLICT (uri) DO UPDATE SET host = EXCLUDED.host, kind = EXCLUDED.kind,
            preferred_username = EXCLUDED.preferred_username,
            display_name = EXCLUDED.display_name, inbox = EXCLUDED.inbox,
            shared_inbox = EXCLUDED.shared_inbox, followers = EXCLUDED.followers,
            document = EXCLUDED.document, gone = false, fetched_at = now()
        WHERE $10 OR remote_actors.fetched_at IS NOT DISTINCT FROM $11
        RETURNING true
        """,
        actor.uri,
        actor.host,
        actor.kind,
        actor.preferred_username,
        actor.display_name,
        actor.inbox,
        actor.shared_inbox,
        actor.followers,
        json.dumps(document),
        unless_changed_since is None,
        None if unless_changed_since is None else unless_changed_since.written_at,
    )
    if not stored:
        return False
    await connection.execute(
        "DELETE FROM remote_keys WHERE actor_uri = $1 AND NOT (key_id = ANY($2::text[]))",
        actor.uri,
        list(keys),
    )
    for key_id, pem in keys.items():
        await connection.execute(
            """
            INSERT INTO remote_keys (key_id, actor_uri, public_pem) VALUES ($1, $2, $3)
            ON CONFLICT (key_id) DO UPDATE SET actor_uri = EXCLUDED.actor_uri,
                public_pem = EXCLUDED.public_pem, fetched_at = now()
            """,
            key_id,
            actor.uri,
            pem,
        )
    return True


async def find_remote_actor(connection: DbConnection, uri: str) -> RemoteActor | None:
    row = await connection.fetchrow(
        f"SELECT {ACTOR_COLUMNS} FROM remote_actors WHERE uri = $1", uri
    )
    return None if row is None else RemoteActor(**dict(row))


async def known(connection: DbConnection, uri: str) -> bool:
    """Whether we hold the actor and it is not gone: one we can still deliver to."""
    actor = await find_remote_actor(connection, uri)
    return actor is not None and not actor.gone


async def find_remote_key(connection: DbConnection, key_id: str) -> RemoteKey | None:
    row = await connection.fetchrow(
        "SELECT key_id, actor_uri, public_pem, fetched_at FROM remote_keys WHERE key_id = $1",
        key_id,
    )
    return None if row is None else RemoteKey(**dict(row))


async def mark_gone_by_inbox(connection: DbConnection, inbox: str) -> list[str]:
    """A personal inbox answered 410: its actors are marked gone and returned.

    A shared inbox never marks anyone, even an actor that also names it as its own inbox (an
    actor of the same server has it as shared inbox): it speaks for the whole server, and one
    of its actors being gone says nothing of the others.
    """
    rows = await connection.fetch(
        """
        UPDATE remote_actors a SET gone = true
        WHERE a.inbox = $1
          AND NOT EXISTS (
              SELECT 1 FROM remote_actors s WHERE s.host = a.host AND s.shared_inbox = $1)
        RETURNING a.uri
        """,
        inbox,
    )
    return [row["uri"] for row in rows]


async def mark_gone(connection: DbConnection, uri: str) -> bool:
    """The actor's own id answered 410; False when we do not know it."""
    result: str = await connection.execute(
        "UPDATE remote_actors SET gone = true WHERE uri = $1", uri
    )
    return result != "UPDATE 0"


async def mark_alive(connection: DbConnection, uri: str) -> bool:
    """An actor marked gone signed something again; True when it was marked gone."""
    result: str = await connection.execute(
        "UPDATE remote_actors SET gone = false WHERE uri = $1 AND gone", uri
    )
    return result != "UPDATE 0"


async def forget_remote_actor(connection: DbConnection, uri: str) -> None:
    await connection.execute("DELETE FROM remote_actors WHERE uri = $1", uri)
    await connection.execute("DELETE FROM follows WHERE follower = $1 OR followed = $1", uri)


async def actor_document(connection: DbConnection, uri: str) -> dict[str, Any] | None:
    """The actor's document as last fetched from its own id."""
    text: str | None = await connection.fetchval(
        "SELECT document::text FROM remote_actors WHERE uri = $1", uri
    )
    return None if text is None else json.loads(text)


async def locked_actor_document(connection: DbConnection, uri: str) -> dict[str, Any] | None:
    """The stored document, its row locked until the transaction ends: what is derived from it
    is then written before any newer document can be (an Update waits for the lock)."""
    text: str | None = await connection.fetchval(
        "SELECT document::text FROM remote_actors WHERE uri = $1 FOR UPDATE", uri
    )
    return None if text is None else json.loads(text)
