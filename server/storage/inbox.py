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
    *,
    alive_host: str | None = None,
) -> bool:
    """Record the activity once per (origin, id); False when it was already there.

    One statement, so one round trip, and atomic on its own: the row, the wake-up of the
    workers and, with `alive_host` (the host just proved alive by a valid signature), the
    closing of that host's delivery circuit (see `remote_hosts.close_circuit`), which writes
    only when the host had failures. Outside a transaction it is committed when it returns.
    """
    row = await connection.fetchrow(
        """
        WITH stored AS (
            INSERT INTO inbox_activities (origin, activity_id, activity_type, actor_uri,
                                          recipient, payload)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (origin, activity_id) DO NOTHING
            RETURNING id),
        notified AS (SELECT pg_notify($7, '') FROM stored),
        healed AS (
            UPDATE remote_hosts SET circuit_open_until = NULL, consecutive_failures = 0
            WHERE host = $8::text
              AND (circuit_open_until IS NOT NULL OR consecutive_failures > 0)
            RETURNING host),
        retried AS (
            UPDATE deliveries SET next_attempt_at = now()
            WHERE host = $8::text AND state = 'pending' AND EXISTS (SELECT FROM healed))
        SELECT (SELECT id FROM stored) AS id, (SELECT count(*) FROM notified) AS notified
        """,
        origin,
        activity_id,
        activity_type,
        actor_uri,
        recipient,
        json.dumps(payload),
        INBOX_CHANNEL,
        alive_host,
    )
    return row is not None and row["id"] is not None


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


async def mark_all_done(connection: DbConnection, row_ids: list[int]) -> None:
    """Mark many rows done in one statement (activities whose processing has no effect)."""
    if row_ids:
        await connection.execute(
            "UPDATE inbox_activities SET state = 'done', processed_at = now(), "
            "lease_until = NULL WHERE id = ANY($1::bigint[])",
            row_ids,
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
