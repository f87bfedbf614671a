"""Everything the node holds about one member, read for their download (no secret: no password
hash, no key, no session or token value)."""

from __future__ import annotations

from typing import Any

from server.database import DbConnection


async def rows(connection: DbConnection, query: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in await connection.fetch(query, *args)]


async def member_rows(
    connection: DbConnection, account_id: int, username: str, actor_uri: str
) -> dict[str, Any]:
    return {
        "account": await rows(
            connection,
            "SELECT id, username, email, role, created_at FROM accounts WHERE id = $1",
            account_id,
        ),
        "actor": await rows(
            connection,
            "SELECT name, kind, display_name, summary, visibility FROM local_actors "
            "WHERE name = $1",
            username,
        ),
        "profile": await rows(
            connection,
            "SELECT name, bio, skills::text AS skills, links::text AS links, avatar, updated_at "
            "FROM profiles WHERE actor_name = $1",
            username,
        ),
        "rsvps": await rows(
            connection,
            "SELECT event_ap_id, organiser, state, created_at, updated_at FROM event_rsvps "
            "WHERE actor_name = $1 ORDER BY created_at",
            username,
        ),
        "follows": await rows(
            connection,
            "SELECT follower, followed, state, created_at FROM follows "
            "WHERE follower = $1 OR followed = $1 ORDER BY created_at",
            actor_uri,
        ),
        "sessions": await rows(
            connection,
            "SELECT created_at, expires_at FROM web_sessions WHERE account_id = $1",
            account_id,
        ),
        "api_tokens": await rows(
            connection,
            "SELECT created_at, expires_at FROM api_tokens WHERE account_id = $1",
            account_id,
        ),
    }


async def rsvps_of(connection: DbConnection, actor_name: str) -> list[dict[str, Any]]:
    """A member's RSVPs, with the event's name and start where this node knows the event."""
    return await rows(
        connection,
        """
        SELECT r.event_ap_id, r.state, e.name, e.start_time, e.timezone, e.status
        FROM event_rsvps r LEFT JOIN events e ON e.ap_id = r.event_ap_id
        WHERE r.actor_name = $1
        ORDER BY e.start_time NULLS LAST, r.created_at
        """,
        actor_name,
    )
