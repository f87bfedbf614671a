"""Open calls: the place's own (with a token in their URL) and those received from neighbours."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from server.database import DbConnection
from server.storage import next_version


@dataclass(frozen=True)
class CallFields:
    """What a call says; the same for ours and for received ones (received text is sanitised)."""

    kind: str
    title: str
    summary: str | None = None
    description: str = ""
    content_html: str = ""
    deadline: datetime | None = None
    skills_wanted: list[str] = field(default_factory=list)
    territory: str | None = None
    contact: str | None = None
    documents: list[dict[str, str]] = field(default_factory=list)
    status: str = "open"


@dataclass(frozen=True)
class StoredCall:
    id: int
    uri: str
    local: bool
    token: str | None
    actor_uri: str
    fields: CallFields
    published_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


_FIELD_COLUMNS = tuple(CallFields.__dataclass_fields__)
NEXT_UPDATED = next_version("updated_at")
_COLUMNS = "id, uri, local, token, actor_uri, published_at, updated_at, deleted_at, " + ", ".join(
    _FIELD_COLUMNS
)


def _call(row: asyncpg.Record) -> StoredCall:
    values = dict(row)
    values["documents"] = json.loads(values["documents"])
    values["skills_wanted"] = list(values["skills_wanted"])
    fields = CallFields(**{name: values.pop(name) for name in _FIELD_COLUMNS})
    return StoredCall(fields=fields, **values)


def _field_values(fields: CallFields) -> list[Any]:
    return [
        json.dumps(fields.documents) if name == "documents" else getattr(fields, name)
        for name in _FIELD_COLUMNS
    ]


def _placeholders(start: int) -> str:
    return ", ".join(
        f"${index}::jsonb" if name == "documents" else f"${index}"
        for index, name in enumerate(_FIELD_COLUMNS, start=start)
    )


async def insert_local(
    connection: DbConnection, uri: str, token: str, actor_uri: str, fields: CallFields
) -> StoredCall:
    row = await connection.fetchrow(
        f"INSERT INTO open_calls (uri, token, local, actor_uri, {', '.join(_FIELD_COLUMNS)}) "
        f"VALUES ($1, $2, true, $3, {_placeholders(4)}) RETURNING {_COLUMNS}",
        uri,
        token,
        actor_uri,
        *_field_values(fields),
    )
    if row is None:
        raise LookupError("the open call vanished in the caller's transaction")
    return _call(row)


async def update_local(connection: DbConnection, token: str, fields: CallFields) -> StoredCall:
    assignments = ", ".join(
        f"{name} = ${index}::jsonb" if name == "documents" else f"{name} = ${index}"
        for index, name in enumerate(_FIELD_COLUMNS, start=2)
    )
    row = await connection.fetchrow(
        f"UPDATE open_calls SET {assignments}, updated_at = {NEXT_UPDATED} "
        f"WHERE token = $1 AND deleted_at IS NULL RETURNING {_COLUMNS}",
        token,
        *_field_values(fields),
    )
    if row is None:
        raise LookupError("the open call vanished in the caller's transaction")
    return _call(row)


async def mark_deleted(connection: DbConnection, token: str) -> StoredCall | None:
    row = await connection.fetchrow(
        f"UPDATE open_calls SET deleted_at = now(), updated_at = now() "
        f"WHERE token = $1 AND deleted_at IS NULL RETURNING {_COLUMNS}",
        token,
    )
    return None if row is None else _call(row)


async def close_expired(connection: DbConnection) -> list[StoredCall]:
    """Close our open calls whose deadline passed; each row is closed by one process only.

    The UPDATE takes the row locks, so a concurrent sweeper waits, re-reads `status`, and skips
    what this one closed: with several workers each closed call is published once.
    """
    rows = await connection.fetch(
        f"UPDATE open_calls SET status = 'closed', updated_at = {NEXT_UPDATED} "
        f"WHERE local AND status = 'open' AND deadline < now() AND deleted_at IS NULL "
        f"RETURNING {_COLUMNS}"
    )
    return [_call(row) for row in rows]


async def find_by_token(
    connection: DbConnection, token: str, *, for_update: bool = False
) -> StoredCall | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await connection.fetchrow(
        f"SELECT {_COLUMNS} FROM open_calls WHERE token = $1{lock}", token
    )
    return None if row is None else _call(row)


async def find_by_id(connection: DbConnection, call_id: int) -> StoredCall | None:
    row = await connection.fetchrow(f"SELECT {_COLUMNS} FROM open_calls WHERE id = $1", call_id)
    return None if row is None else _call(row)


async def find_by_uri(connection: DbConnection, uri: str) -> StoredCall | None:
    row = await connection.fetchrow(f"SELECT {_COLUMNS} FROM open_calls WHERE uri = $1", uri)
    return None if row is None else _call(row)


async def lock_by_uri(connection: DbConnection, uri: str) -> StoredCall | None:
    """The call, its row locked until the transaction ends: an unfollow's purge that deleted it
    meanwhile is waited for, so a change of a held call never brings a purged one back."""
    row = await connection.fetchrow(
        f"SELECT {_COLUMNS} FROM open_calls WHERE uri = $1 FOR UPDATE", uri
    )
    return None if row is None else _call(row)


async def list_calls(connection: DbConnection, limit: int = 200) -> list[StoredCall]:
    """Calls not deleted, ours and received, the newest first."""
    rows = await connection.fetch(
        f"SELECT {_COLUMNS} FROM open_calls WHERE deleted_at IS NULL "
        "ORDER BY published_at DESC, id DESC LIMIT $1",
        limit,
    )
    return [_call(row) for row in rows]


async def upsert_remote(
    connection: DbConnection,
    uri: str,
    actor_uri: str,
    fields: CallFields,
    published_at: datetime | None,
    updated_at: datetime | None,
) -> bool:
    """Store a received call; an older version or another actor's claim on the id changes nothing.

    Returns whether the row was written.
    """
    columns = ", ".join(_FIELD_COLUMNS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in _FIELD_COLUMNS)
    written = await connection.fetchval(
        "INSERT INTO open_calls (uri, local, actor_uri, published_at, updated_at, remote_updated, "
        f"{columns}) VALUES ($1, false, $2, coalesce($3, now()), coalesce($4, $3, now()), "
        f"coalesce($4, $3), {_placeholders(5)}) "
        f"ON CONFLICT (uri) DO UPDATE SET {updates}, updated_at = EXCLUDED.updated_at, "
        "remote_updated = coalesce(EXCLUDED.remote_updated, open_calls.remote_updated) "
        "WHERE NOT open_calls.local AND open_calls.actor_uri = EXCLUDED.actor_uri "
        # Versions are compared only as their sender stated them (none: the newest arrival wins).
        "AND (EXCLUDED.remote_updated IS NULL OR open_calls.remote_updated IS NULL "
        "OR EXCLUDED.remote_updated >= open_calls.remote_updated) "
        "RETURNING id",
        uri,
        actor_uri,
        published_at,
        updated_at,
        *_field_values(fields),
    )
    return written is not None


async def delete_remote(connection: DbConnection, uri: str, actor_uri: str) -> bool:
    """Delete a received call if `actor_uri` sent it; whether it did."""
    result: str = await connection.execute(
        "DELETE FROM open_calls WHERE uri = $1 AND actor_uri = $2 AND NOT local", uri, actor_uri
    )
    return result != "DELETE 0"


async def delete_unfollowed(connection: DbConnection, actor_uri: str) -> list[str]:
    """Drop the calls received from `actor_uri` once none of our actors follows it; returns the
    ids of those that went. Only our actors follow remote ones, so any accepted row naming it is
    ours."""
    rows = await connection.fetch(
        """
        DELETE FROM open_calls c
        WHERE NOT c.local AND c.actor_uri = $1
          AND NOT EXISTS (
              SELECT 1 FROM follows f WHERE f.followed = c.actor_uri AND f.state = 'accepted')
        RETURNING c.uri
        """,
        actor_uri,
    )
    return [row["uri"] for row in rows]
