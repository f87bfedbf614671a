"""The moderation log: who did what to what, when and why. Rows are only ever added."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.database import DbConnection


@dataclass(frozen=True)
class LogEntry:
    id: int
    at: datetime
    who: str
    action: str
    target: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


async def record(
    connection: DbConnection,
    *,
    who: str,
    action: str,
    target: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> int:
    """Add an entry in the caller's transaction: it stands or falls with the action it tells."""
    entry_id: int = await connection.fetchval(
        "INSERT INTO moderation_log (who, action, target, reason, details) "
        "VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id",
        who,
        action,
        target,
        reason,
        json.dumps(details or {}),
    )
    return entry_id


async def entries(
    connection: DbConnection, *, limit: int = 100, before_id: int | None = None
) -> list[LogEntry]:
    """The newest entries first; `before_id` pages back from the last one seen."""
    rows = await connection.fetch(
        """
        SELECT id, at, who, action, target, reason, details::text AS details FROM moderation_log
        WHERE $2::bigint IS NULL OR id < $2
        ORDER BY id DESC LIMIT $1
        """,
        limit,
        before_id,
    )
    return [LogEntry(**{**dict(row), "details": json.loads(row["details"])}) for row in rows]
