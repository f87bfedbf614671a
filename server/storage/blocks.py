"""Actor blocks: a local actor (the place, or a member) keeps a remote actor out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.database import DbConnection


@dataclass(frozen=True)
class Block:
    blocker: str  # a local actor name: the place's, or a member's username
    actor_uri: str
    block_activity_id: str
    reason: str
    created_at: datetime


COLUMNS = "blocker, actor_uri, block_activity_id, reason, created_at"


async def add_block(
    connection: DbConnection, blocker: str, actor_uri: str, activity_id: str, reason: str
) -> bool:
    """Record the block; False when it was there already (nothing changes then)."""
    row = await connection.fetchval(
        """
        INSERT INTO actor_blocks (blocker, actor_uri, block_activity_id, reason)
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1
        """,
        blocker,
        actor_uri,
        activity_id,
        reason,
    )
    return row is not None


async def remove_block(connection: DbConnection, blocker: str, actor_uri: str) -> Block | None:
    row = await connection.fetchrow(
        f"DELETE FROM actor_blocks WHERE blocker = $1 AND actor_uri = $2 RETURNING {COLUMNS}",
        blocker,
        actor_uri,
    )
    return None if row is None else Block(**dict(row))


async def blockers_of(connection: DbConnection, *actor_uris: str) -> set[str]:
    """The local actors that block any of `actor_uris` (empty for almost every sender)."""
    rows = await connection.fetch(
        "SELECT DISTINCT blocker FROM actor_blocks WHERE actor_uri = ANY($1::text[])",
        list(actor_uris),
    )
    return {row["blocker"] for row in rows}


async def list_blocks(connection: DbConnection, blocker: str | None = None) -> list[Block]:
    rows = await connection.fetch(
        f"""
        SELECT {COLUMNS} FROM actor_blocks WHERE $1::text IS NULL OR blocker = $1
        ORDER BY created_at DESC, actor_uri
        """,
        blocker,
    )
    return [Block(**dict(row)) for row in rows]
