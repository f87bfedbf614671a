"""Counts published in NodeInfo."""

from __future__ import annotations

from dataclasses import dataclass

from server.database import DbConnection


@dataclass(frozen=True)
class Usage:
    users: int
    local_posts: int


async def usage(connection: DbConnection) -> Usage:
    row = await connection.fetchrow(
        """
        SELECT (SELECT count(*) FROM accounts) AS users,
               (SELECT count(*) FROM outbox_activities WHERE activity_type = 'Create'
                AND public) AS local_posts
        """
    )
    assert row is not None
    return Usage(users=row["users"], local_posts=row["local_posts"])
