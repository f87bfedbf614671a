"""Events, ours and imported: one row per ActivityPub id."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.database import DbConnection
from server.storage import next_version


@dataclass(frozen=True)
class EventFields:
    """What an event says, whoever published it; ids and counts live in `StoredEvent`."""

    name: str
    content: str
    start_time: datetime
    end_time: datetime | None
    timezone: str | None
    location: list[dict[str, Any]] = field(default_factory=list)  # strict AS2 shapes
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    join_mode: str = "free"
    maximum_capacity: int | None = None
    status: str = "CONFIRMED"
    attachments: list[dict[str, Any]] = field(default_factory=list)  # AS2 Links
    url: str | None = None
    # Only remote events carry these: ours are counted from event_participants.
    participant_count: int = 0
    remaining_capacity: int | None = None


@dataclass(frozen=True)
class StoredEvent:
    id: int
    ap_id: str
    token: str | None
    local: bool
    actor_uri: str
    attributed_to: str
    fields: EventFields
    published: datetime
    updated: datetime

    @property
    def remaining(self) -> int | None:
        if not self.local:
            return self.fields.remaining_capacity
        if self.fields.maximum_capacity is None:
            return None
        return max(0, self.fields.maximum_capacity - self.fields.participant_count)


FIELD_COLUMNS = (
    "name, content, start_time, end_time, timezone, location, category, tags, join_mode, "
    "maximum_capacity, status, attachments, url, participant_count, remaining_capacity"
)
COLUMNS = f"id, ap_id, token, local, actor_uri, attributed_to, published, updated, {FIELD_COLUMNS}"
JSON_COLUMNS = ("location", "attachments")
NEXT_UPDATED = next_version("updated")


def from_row(row: Any) -> StoredEvent:
    data = dict(row)
    for name in JSON_COLUMNS:
        data[name] = json.loads(data[name])
    data["tags"] = list(data["tags"])
    head = {k: data.pop(k) for k in ("id", "ap_id", "token", "local", "actor_uri")}
    head.update({k: data.pop(k) for k in ("attributed_to", "published", "updated")})
    return StoredEvent(**head, fields=EventFields(**data))


def field_values(fields: EventFields) -> list[Any]:
    return [
        fields.name,
        fields.content,
        fields.start_time,
        fields.end_time,
        fields.timezone,
        json.dumps(fields.location),
        fields.category,
        fields.tags,
        fields.join_mode,
        fields.maximum_capacity,
        fields.status,
        json.dumps(fields.attachments),
        fields.url,
        fields.participant_count,
        fields.remaining_capacity,
    ]


async def insert_local(
    connection: DbConnection, ap_id: str, token: str, place: str, fields: EventFields
) -> StoredEvent:
    row = await connection.fetchrow(
        f"""
        INSERT INTO events (ap_id, token, local, actor_uri, attributed_to, {FIELD_COLUMNS})
        VALUES ($1, $2, true, $3, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14,
                $15::jsonb, $16, 0, NULL)
        RETURNING {COLUMNS}
        """,
        ap_id,
        token,
        place,
        *field_values(fields)[:-2],
    )
    return from_row(row)


async def update_local(connection: DbConnection, event_id: int, fields: EventFields) -> StoredEvent:
    """New content for one of our events; its participants and count stay as they are."""
    row = await connection.fetchrow(
        f"""
        UPDATE events SET name = $2, content = $3, start_time = $4, end_time = $5,
            timezone = $6, location = $7::jsonb, category = $8, tags = $9, join_mode = $10,
            maximum_capacity = $11, status = $12, attachments = $13::jsonb, url = $14,
            updated = {NEXT_UPDATED}
        WHERE id = $1 AND local
        RETURNING {COLUMNS}
        """,
        event_id,
        *field_values(fields)[:-2],
    )
    return from_row(row)


async def lock_remote(connection: DbConnection, ap_id: str) -> StoredEvent | None:
    """An imported event, its row locked until the transaction ends, so that what a change
    replaces is known exactly (the live stream tells a seat count from an edit)."""
    row = await connection.fetchrow(
        f"SELECT {COLUMNS} FROM events WHERE ap_id = $1 AND NOT local FOR UPDATE", ap_id
    )
    return None if row is None else from_row(row)


async def upsert_remote(
    connection: DbConnection,
    ap_id: str,
    actor_uri: str,
    attributed_to: str,
    fields: EventFields,
    version: datetime | None,
) -> bool:
    """Store or replace an imported event; False when another actor already owns that id or
    when `version` (the sender's `updated`, else `published`) is older than the copy we hold.

    The comparison is made by the statement itself, on the row it locks, so two workers
    applying two Updates at once keep the newer whichever commits last. A version without a
    timestamp, or a copy stored before we kept them, always gives way (some servers send none).
    """
    row = await connection.fetchval(
        f"""
        INSERT INTO events (ap_id, token, local, actor_uri, attributed_to, {FIELD_COLUMNS},
                            remote_updated)
        VALUES ($1, NULL, false, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14,
                $15::jsonb, $16, $17, $18, $19)
        ON CONFLICT (ap_id) DO UPDATE SET name = EXCLUDED.name, content = EXCLUDED.content,
            start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time,
            timezone = EXCLUDED.timezone, location = EXCLUDED.location,
            category = EXCLUDED.category, tags = EXCLUDED.tags, join_mode = EXCLUDED.join_mode,
            maximum_capacity = EXCLUDED.maximum_capacity, status = EXCLUDED.status,
            attachments = EXCLUDED.attachments, url = EXCLUDED.url,
            participant_count = EXCLUDED.participant_count,
            remaining_capacity = EXCLUDED.remaining_capacity,
            attributed_to = EXCLUDED.attributed_to, updated = now(),
            remote_updated = coalesce(EXCLUDED.remote_updated, events.remote_updated)
        WHERE NOT events.local
            AND $2 IN (events.actor_uri, events.attributed_to)
            AND (EXCLUDED.remote_updated IS NULL OR events.remote_updated IS NULL
                 OR events.remote_updated <= EXCLUDED.remote_updated)
        RETURNING id
        """,
        ap_id,
        actor_uri,
        attributed_to,
        *field_values(fields),
        version,
    )
    return row is not None


async def delete_remote(connection: DbConnection, ap_id: str, actor_uri: str) -> bool:
    result: str = await connection.execute(
        "DELETE FROM events WHERE ap_id = $1 AND NOT local AND $2 IN (actor_uri, attributed_to)",
        ap_id,
        actor_uri,
    )
    return result != "DELETE 0"


async def delete_unfollowed(
    connection: DbConnection, actor_uri: str, *, blocked: bool = False
) -> list[str]:
    """Drop the imported events `actor_uri` sent or owns once none of our actors follows either
    the sender or the owner (`blocked`: whether or not the other one is followed, since the
    place blocks `actor_uri`); returns the ids of those that went.

    An event a member asked to join (pending or accepted) stays: its organiser keeps writing to
    participants whether or not we follow, and the member still needs it in the agenda. Only our
    actors follow remote ones, so any accepted row naming a remote actor as followed is ours.
    """
    rows = await connection.fetch(
        """
        DELETE FROM events e
        WHERE NOT e.local AND $1 IN (e.actor_uri, e.attributed_to)
          AND ($2 OR NOT EXISTS (
              SELECT 1 FROM follows f
              WHERE f.followed IN (e.actor_uri, e.attributed_to) AND f.state = 'accepted'))
          AND NOT EXISTS (
              SELECT 1 FROM event_rsvps r
              WHERE r.event_ap_id = e.ap_id AND r.state IN ('pending', 'accepted'))
        RETURNING e.ap_id
        """,
        actor_uri,
        blocked,
    )
    return [row["ap_id"] for row in rows]


async def delete_local(connection: DbConnection, event_id: int) -> datetime | None:
    """Delete one of our events (its participants go with it) and remember its ids, so that its
    URL answers 410 with a Tombstone; when it was deleted, or None if it was not ours."""
    deleted: datetime | None = await connection.fetchval(
        """
        WITH gone AS (DELETE FROM events WHERE id = $1 AND local RETURNING id, ap_id, token)
        INSERT INTO deleted_events (event_id, ap_id, token) SELECT id, ap_id, token FROM gone
        RETURNING deleted_at
        """,
        event_id,
    )
    return deleted


@dataclass(frozen=True)
class DeletedEvent:
    ap_id: str
    deleted_at: datetime


async def find_deleted_by_token(connection: DbConnection, token: str) -> DeletedEvent | None:
    row = await connection.fetchrow(
        "SELECT ap_id, deleted_at FROM deleted_events WHERE token = $1", token
    )
    return None if row is None else DeletedEvent(**dict(row))


async def find_deleted_by_id(connection: DbConnection, event_id: int) -> DeletedEvent | None:
    row = await connection.fetchrow(
        "SELECT ap_id, deleted_at FROM deleted_events WHERE event_id = $1", event_id
    )
    return None if row is None else DeletedEvent(**dict(row))


async def find_by_id(connection: DbConnection, event_id: int) -> StoredEvent | None:
    row = await connection.fetchrow(f"SELECT {COLUMNS} FROM events WHERE id = $1", event_id)
    return None if row is None else from_row(row)


async def find_by_ap_id(connection: DbConnection, ap_id: str) -> StoredEvent | None:
    row = await connection.fetchrow(f"SELECT {COLUMNS} FROM events WHERE ap_id = $1", ap_id)
    return None if row is None else from_row(row)


async def find_by_token(connection: DbConnection, token: str) -> StoredEvent | None:
    row = await connection.fetchrow(f"SELECT {COLUMNS} FROM events WHERE token = $1", token)
    return None if row is None else from_row(row)


async def lock_local(connection: DbConnection, ap_id: str) -> StoredEvent | None:
    """One of our events, its row locked until the transaction ends: Joins take turns on it."""
    row = await connection.fetchrow(
        f"SELECT {COLUMNS} FROM events WHERE ap_id = $1 AND local FOR UPDATE", ap_id
    )
    return None if row is None else from_row(row)


async def set_participant_count(
    connection: DbConnection, event_id: int, count: int
) -> StoredEvent | None:
    """Record how many take part in one of our events. When that changed, the event as it now
    is (its `updated` moved on: the served document changed); None when the count stayed."""
    row = await connection.fetchrow(
        f"""
        UPDATE events SET participant_count = $2, updated = {NEXT_UPDATED}
        WHERE id = $1 AND participant_count <> $2
        RETURNING {COLUMNS}
        """,
        event_id,
        count,
    )
    return None if row is None else from_row(row)


async def list_events(connection: DbConnection, limit: int = 500) -> list[StoredEvent]:
    rows = await connection.fetch(
        f"SELECT {COLUMNS} FROM events ORDER BY start_time, id LIMIT $1", limit
    )
    return [from_row(row) for row in rows]
