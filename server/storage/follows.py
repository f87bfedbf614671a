"""Follow relations, both directions: local actors following remote ones and the reverse."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from server.database import DbConnection
from server.storage.answered_requests import answer_due


@dataclass(frozen=True)
class Follow:
    follower: str
    followed: str
    follow_activity_id: str
    state: str
    created_at: datetime


COLUMNS = "follower, followed, follow_activity_id, state, created_at"


async def record_follow(
    connection: DbConnection,
    follower: str,
    followed: str,
    activity_id: str,
    state: str,
    *,
    answered: bool = False,
) -> Follow:
    """Create or renew the relation; a repeated Follow takes the new activity id. `answered`:
    we are sending the Accept now (see renew_accepted)."""
    row = await connection.fetchrow(
        f"""
        INSERT INTO follows (follower, followed, follow_activity_id, state, answered_at)
        VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END)
        ON CONFLICT (follower, followed) DO UPDATE SET
            follow_activity_id = EXCLUDED.follow_activity_id, state = EXCLUDED.state,
            updated_at = now(), answered_at = coalesce(EXCLUDED.answered_at, follows.answered_at)
        RETURNING {COLUMNS}
        """,
        follower,
        followed,
        activity_id,
        state,
        answered,
    )
    assert row is not None
    return Follow(**dict(row))


async def renew_accepted(
    connection: DbConnection,
    follower: str,
    followed: str,
    activity_id: str,
    answer_every_seconds: float,
) -> bool:
    """A repeated Follow of an accepted relation: keep its id (an Undo may name it); True when
    the last Accept is older than `answer_every_seconds`, and it is then taken as sent now."""
    answered: bool | None = await connection.fetchval(
        f"""
        UPDATE follows SET follow_activity_id = $3, answered_at = CASE
            WHEN {answer_due("answered_at", "$4")} THEN now() ELSE answered_at END
        WHERE follower = $1 AND followed = $2 AND state = 'accepted'
        RETURNING answered_at = now()
        """,
        follower,
        followed,
        activity_id,
        answer_every_seconds,
    )
    return bool(answered)


async def find_follow(connection: DbConnection, follower: str, followed: str) -> Follow | None:
    row = await connection.fetchrow(
        f"SELECT {COLUMNS} FROM follows WHERE follower = $1 AND followed = $2",
        follower,
        followed,
    )
    return None if row is None else Follow(**dict(row))


async def find_follow_by_activity(connection: DbConnection, activity_id: str) -> Follow | None:
    row = await connection.fetchrow(
        f"SELECT {COLUMNS} FROM follows WHERE follow_activity_id = $1", activity_id
    )
    return None if row is None else Follow(**dict(row))


async def set_state(connection: DbConnection, follower: str, followed: str, state: str) -> bool:
    result: str = await connection.execute(
        "UPDATE follows SET state = $3, updated_at = now() WHERE follower = $1 AND followed = $2",
        follower,
        followed,
        state,
    )
    return result != "UPDATE 0"


async def remove_follow(connection: DbConnection, follower: str, followed: str) -> bool:
    result: str = await connection.execute(
        "DELETE FROM follows WHERE follower = $1 AND followed = $2", follower, followed
    )
    return result != "DELETE 0"


async def remove_all_of(connection: DbConnection, actor: str) -> int:
    """End every follow `actor` is part of, either way and in any state."""
    result: str = await connection.execute(
        "DELETE FROM follows WHERE follower = $1 OR followed = $1", actor
    )
    return int(result.rsplit(" ", 1)[-1])


async def still_followed(connection: DbConnection, followed: str) -> bool:
    """Whether one of our actors still follows `followed` (accepted). Only our actors follow
    remote ones, so any accepted row naming a remote actor as followed is ours."""
    return await accepted_follow_of_any(connection, [followed])


async def accepted_follow_of_any(connection: DbConnection, actors: Sequence[str]) -> bool:
    found: bool = await connection.fetchval(
        "SELECT EXISTS (SELECT 1 FROM follows WHERE followed = ANY($1::text[]) "
        "AND state = 'accepted')",
        list(actors),
    )
    return found


# First key of the two-key advisory locks taken per followed actor ("fol" + "l"), apart from the
# single-key lock of the migrations.
FOLLOWED_LOCK_CLASS = 0x666F6C6C


async def lock_followed(connection: DbConnection, followed: str) -> None:
    """Serialise, until the transaction ends, what happens when follows of `followed` end.

    Two of our actors unfollowing the same neighbour at once would each still see the other's
    follow and neither would drop the neighbour's events; under this lock the second one to get
    it reads the first one's committed change.
    """
    await connection.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))", FOLLOWED_LOCK_CLASS, followed
    )


async def any_followed(connection: DbConnection, actors: Sequence[str]) -> bool:
    """Whether one of our actors follows one of `actors` (accepted).

    The lock `lock_followed` takes is taken shared first, so an import deciding on this answer
    and the end of that follow take turns: either the follow is gone before we look, or what
    we import commits before `follow_ended` drops what that actor sent.
    """
    await connection.execute(
        "SELECT pg_advisory_xact_lock_shared($1, hashtext(actor)) "
        "FROM unnest($2::text[]) AS actor ORDER BY actor",
        FOLLOWED_LOCK_CLASS,
        sorted(set(actors)),
    )
    return await accepted_follow_of_any(connection, actors)


async def accepted_follower_inboxes(connection: DbConnection, followed: str) -> list[str]:
    """Distinct delivery inboxes of the accepted remote followers (shared inbox preferred)."""
    rows = await connection.fetch(
        """
        SELECT DISTINCT coalesce(a.shared_inbox, a.inbox) AS inbox
        FROM follows f JOIN remote_actors a ON a.uri = f.follower
        WHERE f.followed = $1 AND f.state = 'accepted' AND NOT a.gone
        """,
        followed,
    )
    return [row["inbox"] for row in rows]


async def page_of(
    connection: DbConnection,
    *,
    followed: str | None = None,
    follower: str | None = None,
    limit: int,
    offset: int,
) -> tuple[int, list[str]]:
    """Accepted relations of one actor, newest first: (total, the other side's ids)."""
    if followed is not None:
        where, value, other = "followed = $1", followed, "follower"
    elif follower is not None:
        where, value, other = "follower = $1", follower, "followed"
    else:
        raise ValueError("page_of needs followed or follower")
    total: int = await connection.fetchval(
        f"SELECT count(*) FROM follows WHERE {where} AND state = 'accepted'", value
    )
    rows = await connection.fetch(
        f"SELECT {other} AS uri FROM follows WHERE {where} AND state = 'accepted' "
        "ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        value,
        limit,
        offset,
    )
    return total, [row["uri"] for row in rows]


async def all_relations(connection: DbConnection) -> list[Follow]:
    rows = await connection.fetch(f"SELECT {COLUMNS} FROM follows ORDER BY created_at, id")
    return [Follow(**dict(row)) for row in rows]


async def relations_with(connection: DbConnection, actor: str) -> list[Follow]:
    """Every relation, in any state, in which `actor` follows or is followed."""
    rows = await connection.fetch(
        f"SELECT {COLUMNS} FROM follows WHERE follower = $1 OR followed = $1", actor
    )
    return [Follow(**dict(row)) for row in rows]
