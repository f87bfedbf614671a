"""Received activities: stored before the 202, then claimed by a worker with a lease."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from server.database import DbConnection

INBOX_CHANNEL = "maillage_inbox"


@dataclass(frozen=True)
class ReceivedActivity:
    id: int
    activity_id: str
    activity_type: str
    actor_uri: str
    recipient: str | None
    payload: dict[str, Any]
    attempts: int


async def store_received(
    connection: DbConnection,
    origin: str,
    activity_id: str,
    activity_type: str,
    actor_uri: str,
    recipient: str | None,
    payload: dict[str, Any],
) -> bool:
    """Record the activity once per (origin, id); False when it was already there."""
    row_id = await connection.fetchval(
        """
        INSERT INTO inbox_activities (origin, activity_id, activity_type, actor_uri, recipient,
                                      payload)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb)
        ON CONFLICT (origin, activity_id) DO NOTHING
        RETURNING id
        """,
        origin,
        activity_id,
        activity_type,
        actor_uri,
        recipient,
        json.dumps(payload),
    )
    if row_id is not None:
        await connection.execute("SELECT pg_notify($1, '')", INBOX_CHANNEL)
    return row_id is not None


async def claim_pending(
    connection: DbConnection, limit: int, lease_seconds: float
) -> list[ReceivedActivity]:
    """Lease up to `limit` activities nobody holds; an expired lease (a dead worker) is retaken."""
    rows = await connection.fetch(
        """
        UPDATE inbox_activities SET lease_until = now() + make_interval(secs => $2),
            attempts = attempts + 1
        WHERE id IN (
            SELECT id FROM inbox_activities
            WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < now())
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, activity_id, activity_type, actor_uri, recipient, payload, attempts
        """,
        limit,
        lease_seconds,
    )
    return [
        ReceivedActivity(**{**dict(row), "payload": json.loads(row["payload"])}) for row in rows
    ]


async def mark_done(connection: DbConnection, row_id: int) -> None:
    await connection.execute(
        "UPDATE inbox_activities SET state = 'done', processed_at = now(), lease_until = NULL "
        "WHERE id = $1",
        row_id,
    )


async def mark_failed_attempt(
    connection: DbConnection, row_id: int, error: str, give_up: bool
) -> None:
    await connection.execute(
        """
        UPDATE inbox_activities SET last_error = $2, lease_until = CASE WHEN $3 THEN NULL
            ELSE now() + make_interval(secs => least(3600, 5 * power(2, attempts))) END,
            state = CASE WHEN $3 THEN 'failed' ELSE 'pending' END
        WHERE id = $1
        """,
        row_id,
        error[:2000],
        give_up,
    )


async def count_by_state(connection: DbConnection) -> dict[str, int]:
    rows = await connection.fetch("SELECT state, count(*) AS n FROM inbox_activities GROUP BY 1")
    return {row["state"]: row["n"] for row in rows}
