"""The answers remembered for Idempotency-Key (table idempotency_keys, migration 0025)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.database import DbConnection

KEEP_HOURS = 24


@dataclass(frozen=True)
class Remembered:
    fingerprint: bytes
    status: int | None  # None: the first request with this key is still in progress
    content_type: str | None
    body: bytes | None


async def claim(
    connection: DbConnection,
    account_id: int,
    key: str,
    fingerprint: bytes,
    abandoned_after_seconds: float,
) -> Remembered | None:
    """Take `key` for a new request (None), or what is remembered for it.

    A key older than a day is free again, and so is one whose request has been in progress for
    longer than `abandoned_after_seconds` (its process died or lost the database before it
    could record the answer).
    """
    claimed = await connection.fetchval(
        "INSERT INTO idempotency_keys (account_id, key, fingerprint) VALUES ($1, $2, $3) "
        "ON CONFLICT (account_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, "
        "status = NULL, content_type = NULL, body = NULL, created_at = now() "
        "WHERE idempotency_keys.created_at < now() - make_interval(hours => $5) "
        "OR (idempotency_keys.status IS NULL "
        "AND idempotency_keys.created_at < now() - make_interval(secs => $4)) "
        "RETURNING true",
        account_id,
        key,
        fingerprint,
        abandoned_after_seconds,
        KEEP_HOURS,
    )
    if claimed:
        return None
    row = await connection.fetchrow(
        "SELECT fingerprint, status, content_type, body FROM idempotency_keys "
        "WHERE account_id = $1 AND key = $2",
        account_id,
        key,
    )
    if row is None:  # forgotten in between: the caller may claim it again
        return Remembered(fingerprint, None, None, None)
    return Remembered(row["fingerprint"], row["status"], row["content_type"], row["body"])


async def record(
    connection: DbConnection,
    account_id: int,
    key: str,
    status: int,
    content_type: str,
    body: bytes,
) -> None:
    await connection.execute(
        "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 "
        "WHERE account_id = $1 AND key = $2",
        account_id,
        key,
        status,
        content_type,
        body,
    )


async def forget(connection: DbConnection, account_id: int, key: str) -> None:
    await connection.execute(
        "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND status IS NULL",
        account_id,
        key,
    )


async def prune(connection: DbConnection, older_than: datetime, limit: int) -> int:
    """Delete up to `limit` keys taken before `older_than`. Returns how many went."""
    result: str = await connection.execute(
        "DELETE FROM idempotency_keys WHERE (account_id, key) IN (SELECT account_id, key "
        "FROM idempotency_keys WHERE created_at < $1 LIMIT $2)",
        older_than,
        limit,
    )
    return int(result.rsplit(" ", 1)[-1])
