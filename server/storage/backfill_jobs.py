"""Backfill jobs: after a follow is accepted, fetch the followed actor's outbox once."""

from __future__ import annotations

from dataclasses import dataclass

from server.database import DbConnection

BACKFILL_CHANNEL = "maillage_backfill"


@dataclass(frozen=True)
class BackfillJob:
    id: int
    followed: str
    attempts: int


async def enqueue(connection: DbConnection, followed: str) -> None:
    """One pending job per followed actor: a repeated Accept does not fetch twice."""
    await connection.execute(
        "INSERT INTO backfill_jobs (followed) VALUES ($1) "
        "ON CONFLICT (followed) WHERE state = 'pending' DO NOTHING",
        followed,
    )
    await connection.execute("SELECT pg_notify($1, '')", BACKFILL_CHANNEL)


async def claim_due(
    connection: DbConnection, limit: int, lease_seconds: float
) -> list[BackfillJob]:
    rows = await connection.fetch(
        """
        WITH due AS (
            SELECT id FROM backfill_jobs
            WHERE state = 'pending' AND next_attempt_at <= now()
              AND (lease_until IS NULL OR lease_until < now())
            ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
        UPDATE backfill_jobs j SET lease_until = now() + make_interval(secs => $2),
            attempts = j.attempts + 1
        FROM due WHERE j.id = due.id
        RETURNING j.id, j.followed, j.attempts
        """,
        limit,
        lease_seconds,
    )
    return [BackfillJob(**dict(row)) for row in rows]


async def finish(connection: DbConnection, job_id: int) -> None:
    await connection.execute(
        "UPDATE backfill_jobs SET state = 'done', lease_until = NULL, finished_at = now(), "
        "last_error = NULL WHERE id = $1",
        job_id,
    )


async def retry_later(
    connection: DbConnection, job_id: int, delay_seconds: float, error: str, give_up: bool
) -> None:
    await connection.execute(
        """
        UPDATE backfill_jobs SET lease_until = NULL, last_error = $3,
            next_attempt_at = now() + make_interval(secs => $2),
            state = CASE WHEN $4 THEN 'failed' ELSE state END,
            finished_at = CASE WHEN $4 THEN now() ELSE NULL END
        WHERE id = $1
        """,
        job_id,
        delay_seconds,
        error[:2000],
        give_up,
    )


async def cancel_pending(connection: DbConnection, followed: str) -> None:
    """Nobody here follows `followed` any more: its waiting backfill is not wanted. A job
    running now (leased) keeps its row to record how it ended; it imports nothing, see
    `processing.backfill`."""
    await connection.execute(
        "DELETE FROM backfill_jobs WHERE followed = $1 AND state = 'pending' "
        "AND (lease_until IS NULL OR lease_until < now())",
        followed,
    )
