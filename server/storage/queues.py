"""How much work waits, read for monitoring: the inbox backlog and the deliveries per host."""

from __future__ import annotations

from dataclasses import dataclass

from server.database import DbConnection


@dataclass(frozen=True)
class InboxBacklog:
    pending: int
    oldest_seconds: float


async def inbox_backlog(connection: DbConnection) -> InboxBacklog:
    row = await connection.fetchrow(
        """
        SELECT count(*) AS pending,
               coalesce(extract(epoch FROM now() - min(received_at)), 0)::float8 AS oldest
        FROM inbox_activities WHERE state = 'pending'
        """
    )
    assert row is not None
    return InboxBacklog(pending=row["pending"], oldest_seconds=row["oldest"])
