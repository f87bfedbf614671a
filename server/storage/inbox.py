"""Received activities: stored before the 202, then claimed by a worker with a lease."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class IncomingActivity:
    """A verified activity to record: unique by (origin, activity_id)."""

    origin: str
    activity_id: str
    activity_type: str
    actor_uri: str
    recipient: str | None
    payload: dict[str, Any]
    alive_host: str | None = None  # the host just proved alive by a valid signature


async def store_received_many(
    connection: DbConnection, activities: Sequence[IncomingActivity]
) -> list[bool]:
    """Record each activity once per (origin, id): for each, whether it is new.

    One statement, so one round trip and one commit for the lot (the inbox's group commit),
    atomic on its own: the rows, one wake-up of the workers and the closing of the delivery
    circuit of every host proved alive (see `remote_hosts.close_circuit`), which writes only
    for hosts that had failures. Outside a transaction it is committed when it returns. Of
    copies of one activity in the same call, the first is the new one.
    """
    if not activities:
        return []
    alive = sorted({a.alive_host for a in activities if a.alive_host is not None})
    rows = await connection.fetch(
        """
        WITH incoming AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                 $6::text[])
                AS t(origin, activity_id, activity_type, actor_uri, recipient, payload)),
        stored AS (
            INSERT INTO inbox_activities (origin, activity_id, activity_type, actor_uri,
                                          recipient, payload)
            SELECT origin, activity_id, activity_type, actor_uri, recipient, payload::jsonb
            FROM incoming
            ON CONFLICT (origin, activity_id) DO NOTHING
            RETURNING origin, activity_id),
        notified AS (SELECT pg_notify($7, '') WHERE EXISTS (SELECT FROM stored)),
        healed AS (
            UPDATE remote_hosts SET circuit_open_until = NULL, consecutive_failures = 0,
                failing_since = NULL
            WHERE host = ANY($8::text[]) AND consecutive_failures > 0
            RETURNING host),
        retried AS (
            UPDATE deliveries SET next_attempt_at = now()
            WHERE host IN (SELECT host FROM healed) AND state = 'pending'
              AND next_attempt_at > now())
        SELECT origin, activity_id, (SELECT count(*) FROM notified) AS notified FROM stored
        """,
        [a.origin for a in activities],
        [a.activity_id for a in activities],
        [a.activity_type for a in activities],
        [a.actor_uri for a in activities],
        [a.recipient for a in activities],
        [json.dumps(a.payload) for a in activities],
        INBOX_CHANNEL,
        alive,
    )
    new = {(row["origin"], row["activity_id"]) for row in rows}
    found: list[bool] = []
    for activity in activities:
        key = (activity.origin, activity.activity_id)
        found.append(key in new)
        new.discard(key)  # a second copy in this call is a duplicate
    return found


@dataclass(frozen=True)
class Effectful:
    """Which stored activities processing may act on (the others are done once claimed)."""

    activity_types: Sequence[str]  # those with a handler
    object_carrying: Sequence[str]  # of those, the ones that act only on an embedded object
    object_types: Sequence[str]  # ... of one of these types


async def claim_pending(
    connection: DbConnection, limit: int, lease_seconds: float, effectful: Effectful
) -> tuple[int, list[ReceivedActivity]]:
    """Lease up to `limit` activities nobody holds (an expired lease, a dead worker's, is
    retaken): how many were claimed, and those that processing may act on.

    The others (a Create{Note}, an unknown type) are marked done by the same statement, so
    they cost no transaction of their own and their payloads never leave the database.
    """
    rows = await connection.fetch(
        """
        WITH due AS (
            SELECT id FROM inbox_activities
            WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < now())
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED),
        judged AS (
            SELECT a.id, coalesce(a.activity_type = ANY($3::text[]) AND (
                NOT a.activity_type = ANY($4::text[])
                OR (jsonb_typeof(a.payload -> 'object') = 'object'
                    AND a.payload -> 'object' ->> 'type' = ANY($5::text[]))), false) AS effect
            FROM inbox_activities a JOIN due USING (id))
        UPDATE inbox_activities a SET
            attempts = a.attempts + 1,
            lease_until = CASE WHEN j.effect THEN now() + make_interval(secs => $2) END,
            state = CASE WHEN j.effect THEN 'pending' ELSE 'done' END,
            processed_at = CASE WHEN j.effect THEN a.processed_at ELSE now() END
        FROM judged j WHERE a.id = j.id
        RETURNING a.id, j.effect, a.activity_id, a.activity_type, a.actor_uri, a.recipient,
            CASE WHEN j.effect THEN a.payload END AS payload, a.attempts
        """,
        limit,
        lease_seconds,
        list(effectful.activity_types),
        list(effectful.object_carrying),
        list(effectful.object_types),
    )
    acting = [
        ReceivedActivity(
            id=row["id"],
            activity_id=row["activity_id"],
            activity_type=row["activity_type"],
            actor_uri=row["actor_uri"],
            recipient=row["recipient"],
            payload=json.loads(row["payload"]),
            attempts=row["attempts"],
        )
        for row in sorted(rows, key=lambda row: row["id"])
        if row["effect"]
    ]
    return len(rows), acting


async def release(connection: DbConnection, row_ids: list[int]) -> None:
    """Give back leases of activities claimed but not processed (a stop): due again at once,
    without counting the attempt."""
    await connection.execute(
        "UPDATE inbox_activities SET lease_until = NULL, attempts = greatest(attempts - 1, 0) "
        "WHERE id = ANY($1::bigint[]) AND state = 'pending'",
        row_ids,
    )


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


async def prune_processed(connection: DbConnection, older_than: datetime, limit: int) -> int:
    """Delete up to `limit` activities processed (or given up on) before `older_than`; pending
    ones stay whatever their age. Returns how many went."""
    result: str = await connection.execute(
        "DELETE FROM inbox_activities WHERE id IN (SELECT id FROM inbox_activities "
        "WHERE state <> 'pending' AND coalesce(processed_at, received_at) < $1 LIMIT $2)",
        older_than,
        limit,
    )
    return int(result.rsplit(" ", 1)[-1])
