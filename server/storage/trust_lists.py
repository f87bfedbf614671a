"""The trust list this node publishes: its entries, its one state row, and its subscribers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.trust_lists import TrustListEntry
from server.database import DbConnection


@dataclass(frozen=True)
class ListState:
    published: bool
    name: str
    summary: str
    version: int
    updated: datetime
    document: dict[str, Any] | None


async def entries(connection: DbConnection) -> list[TrustListEntry]:
    rows = await connection.fetch(
        "SELECT domain, policy, public_reason FROM trust_list_entries ORDER BY domain"
    )
    return [TrustListEntry(**dict(row)) for row in rows]


async def put_entry(connection: DbConnection, entry: TrustListEntry) -> bool:
    """Add or change an entry; whether anything changed."""
    result: str = await connection.execute(
        """
        INSERT INTO trust_list_entries (domain, policy, public_reason) VALUES ($1, $2, $3)
        ON CONFLICT (domain) DO UPDATE SET policy = EXCLUDED.policy,
            public_reason = EXCLUDED.public_reason
        WHERE (trust_list_entries.policy, trust_list_entries.public_reason)
            IS DISTINCT FROM (EXCLUDED.policy, EXCLUDED.public_reason)
        """,
        entry.domain,
        entry.policy,
        entry.public_reason,
    )
    return result != "INSERT 0 0"


async def remove_entry(connection: DbConnection, domain: str) -> bool:
    result: str = await connection.execute(
        "DELETE FROM trust_list_entries WHERE domain = $1", domain
    )
    return result != "DELETE 0"


async def state(connection: DbConnection, *, lock: bool = False) -> ListState:
    """The list's state row (created on first use), locked for a change when `lock`."""
    await connection.execute(
        "INSERT INTO trust_list_state (singleton) VALUES (true) ON CONFLICT DO NOTHING"
    )
    row = await connection.fetchrow(
        "SELECT published, name, summary, version, updated, document::text AS document "
        "FROM trust_list_state" + (" FOR UPDATE" if lock else "")
    )
    assert row is not None
    document = json.loads(row["document"]) if row["document"] else None
    return ListState(
        row["published"], row["name"], row["summary"], row["version"], row["updated"], document
    )


async def save_state(
    connection: DbConnection,
    *,
    published: bool,
    name: str,
    summary: str,
    version: int,
    updated: datetime,
    document: dict[str, Any],
) -> None:
    await connection.execute(
        "UPDATE trust_list_state SET published = $1, name = $2, summary = $3, version = $4, "
        "updated = $5, document = $6::jsonb",
        published,
        name,
        summary,
        version,
        updated,
        json.dumps(document),
    )


async def published_document(connection: DbConnection) -> dict[str, Any] | None:
    """The signed document as served, or None when the list is not published."""
    text = await connection.fetchval(
        "SELECT document::text FROM trust_list_state WHERE published AND document IS NOT NULL"
    )
    return json.loads(text) if text else None


async def add_subscriber(connection: DbConnection, subscriber: str, follow_id: str) -> None:
    await connection.execute(
        "INSERT INTO trust_list_subscribers (subscriber, follow_activity_id) VALUES ($1, $2) "
        "ON CONFLICT (subscriber) DO UPDATE SET follow_activity_id = EXCLUDED.follow_activity_id",
        subscriber,
        follow_id,
    )


async def remove_subscriber(connection: DbConnection, subscriber: str) -> bool:
    result: str = await connection.execute(
        "DELETE FROM trust_list_subscribers WHERE subscriber = $1", subscriber
    )
    return result != "DELETE 0"


async def subscribers(connection: DbConnection) -> list[str]:
    rows = await connection.fetch(
        "SELECT subscriber FROM trust_list_subscribers ORDER BY subscribed_at"
    )
    return [row["subscriber"] for row in rows]
