"""Who takes part in our events, and our members' RSVPs to events anywhere."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.database import DbConnection
from server.storage.answered_requests import answer_due


@dataclass(frozen=True)
class Participation:
    participant: str
    join_activity_id: str
    state: str


@dataclass(frozen=True)
class Rsvp:
    actor_name: str
    event_ap_id: str
    organiser: str
    join_activity_id: str
    state: str


async def find_participation(
    connection: DbConnection, event_id: int, participant: str
) -> Participation | None:
    row = await connection.fetchrow(
        "SELECT participant, join_activity_id, state FROM event_participants "
        "WHERE event_id = $1 AND participant = $2",
        event_id,
        participant,
    )
    return None if row is None else Participation(**dict(row))


@dataclass(frozen=True)
class RecordedJoin:
    event_ap_id: str
    participant: str


async def find_join(connection: DbConnection, join_id: str) -> RecordedJoin | None:
    """The participation a Join activity id made, on one of our events (for its Undo)."""
    row = await connection.fetchrow(
        "SELECT e.ap_id AS event_ap_id, p.participant FROM event_participants p "
        "JOIN events e ON e.id = p.event_id WHERE p.join_activity_id = $1",
        join_id,
    )
    return None if row is None else RecordedJoin(**dict(row))


async def record_participation(
    connection: DbConnection,
    event_id: int,
    participant: str,
    join_id: str,
    state: str,
    join_embedded: dict[str, Any] | None = None,
) -> None:
    """Record the answer, which is being sent now; a 'pending' Join is answered later, and keeps
    the Join as our answer will embed it (`join_embedded`)."""
    await connection.execute(
        """
        INSERT INTO event_participants (event_id, participant, join_activity_id, state,
            answered_at, join_embedded)
        VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'pending' THEN NULL ELSE now() END, $5::jsonb)
        ON CONFLICT (event_id, participant) DO UPDATE SET
            join_activity_id = EXCLUDED.join_activity_id, state = EXCLUDED.state,
            updated_at = now(), answered_at = EXCLUDED.answered_at,
            join_embedded = EXCLUDED.join_embedded
        """,
        event_id,
        participant,
        join_id,
        state,
        None if join_embedded is None else json.dumps(join_embedded),
    )


@dataclass(frozen=True)
class PendingJoin:
    participant: str
    join_activity_id: str
    join_embedded: dict[str, Any] | None
    created_at: datetime


PENDING_COLUMNS = "participant, join_activity_id, join_embedded, created_at"


def pending_from_row(row: Any) -> PendingJoin:
    embedded = row["join_embedded"]
    return PendingJoin(
        participant=row["participant"],
        join_activity_id=row["join_activity_id"],
        join_embedded=None if embedded is None else json.loads(embedded),
        created_at=row["created_at"],
    )


async def pending_joins(connection: DbConnection, event_id: int) -> list[PendingJoin]:
    """The Joins of one of our events that wait for an answer, in the order they came."""
    rows = await connection.fetch(
        f"SELECT {PENDING_COLUMNS} FROM event_participants "
        "WHERE event_id = $1 AND state = 'pending' ORDER BY created_at, participant",
        event_id,
    )
    return [pending_from_row(row) for row in rows]


async def find_pending(
    connection: DbConnection, event_id: int, participant: str
) -> PendingJoin | None:
    """`participant`'s Join of one of our events, if it waits for an answer."""
    row = await connection.fetchrow(
        f"SELECT {PENDING_COLUMNS} FROM event_participants "
        "WHERE event_id = $1 AND participant = $2 AND state = 'pending'",
        event_id,
        participant,
    )
    return None if row is None else pending_from_row(row)


async def answer_pending(
    connection: DbConnection, event_id: int, participant: str, state: str
) -> bool:
    """A pending Join is answered now; False when it was no longer pending."""
    result: str = await connection.execute(
        "UPDATE event_participants SET state = $3, answered_at = now(), updated_at = now() "
        "WHERE event_id = $1 AND participant = $2 AND state = 'pending'",
        event_id,
        participant,
        state,
    )
    return result != "UPDATE 0"


async def renew_accepted(
    connection: DbConnection, event_id: int, participant: str, answer_every_seconds: float
) -> bool:
    """A repeated Join of an accepted participant (which keeps its first Join's id): True when
    the last Accept is older than `answer_every_seconds`, and it is then taken as sent now."""
    answered: bool | None = await connection.fetchval(
        f"""
        UPDATE event_participants SET answered_at = CASE
            WHEN {answer_due("answered_at", "$3")} THEN now() ELSE answered_at END
        WHERE event_id = $1 AND participant = $2 AND state = 'accepted'
        RETURNING answered_at = now()
        """,
        event_id,
        participant,
        answer_every_seconds,
    )
    return bool(answered)


async def remove_participation(connection: DbConnection, event_id: int, participant: str) -> bool:
    result: str = await connection.execute(
        "DELETE FROM event_participants WHERE event_id = $1 AND participant = $2",
        event_id,
        participant,
    )
    return result != "DELETE 0"


async def count_accepted(connection: DbConnection, event_id: int) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM event_participants WHERE event_id = $1 AND state = 'accepted'",
        event_id,
    )
    return count


async def accepted_participants(connection: DbConnection, event_id: int) -> list[str]:
    rows = await connection.fetch(
        "SELECT participant FROM event_participants WHERE event_id = $1 AND state = 'accepted' "
        "ORDER BY created_at, participant",
        event_id,
    )
    return [row["participant"] for row in rows]


async def listable_page(
    connection: DbConnection, event_id: int, local_prefix: str, limit: int, offset: int
) -> tuple[int, list[str]]:
    """Accepted participants others may see: (count of all accepted, one page of the listable).

    Everyone accepted is counted; a local member is listed only when their profile is shared
    with the network, as remote participants shared themselves by joining.
    """
    total = await count_accepted(connection, event_id)
    rows = await connection.fetch(
        """
        SELECT p.participant FROM event_participants p
        LEFT JOIN local_actors a ON p.participant = $2 || a.name
        WHERE p.event_id = $1 AND p.state = 'accepted'
            AND (NOT starts_with(p.participant, $2) OR a.visibility = 'network')
        ORDER BY p.created_at, p.participant LIMIT $3 OFFSET $4
        """,
        event_id,
        local_prefix,
        limit,
        offset,
    )
    return total, [row["participant"] for row in rows]


async def record_rsvp(
    connection: DbConnection,
    actor_name: str,
    event_ap_id: str,
    organiser: str,
    join_id: str,
    state: str,
) -> None:
    await connection.execute(
        """
        INSERT INTO event_rsvps (actor_name, event_ap_id, organiser, join_activity_id, state)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (actor_name, event_ap_id) DO UPDATE SET organiser = EXCLUDED.organiser,
            join_activity_id = EXCLUDED.join_activity_id, state = EXCLUDED.state,
            updated_at = now()
        """,
        actor_name,
        event_ap_id,
        organiser,
        join_id,
        state,
    )


RSVP_COLUMNS = "actor_name, event_ap_id, organiser, join_activity_id, state"


async def find_rsvp(connection: DbConnection, actor_name: str, event_ap_id: str) -> Rsvp | None:
    row = await connection.fetchrow(
        f"SELECT {RSVP_COLUMNS} FROM event_rsvps WHERE actor_name = $1 AND event_ap_id = $2",
        actor_name,
        event_ap_id,
    )
    return None if row is None else Rsvp(**dict(row))


async def find_rsvp_by_join(connection: DbConnection, join_id: str) -> Rsvp | None:
    row = await connection.fetchrow(
        f"SELECT {RSVP_COLUMNS} FROM event_rsvps WHERE join_activity_id = $1", join_id
    )
    return None if row is None else Rsvp(**dict(row))


async def set_rsvp_state(connection: DbConnection, join_id: str, state: str) -> None:
    await connection.execute(
        "UPDATE event_rsvps SET state = $2, updated_at = now() WHERE join_activity_id = $1",
        join_id,
        state,
    )


async def remove_rsvp(connection: DbConnection, actor_name: str, event_ap_id: str) -> bool:
    result: str = await connection.execute(
        "DELETE FROM event_rsvps WHERE actor_name = $1 AND event_ap_id = $2",
        actor_name,
        event_ap_id,
    )
    return result != "DELETE 0"


async def has_open_rsvp(connection: DbConnection, event_ap_id: str) -> bool:
    """Whether one of our members asked to join the event and was not refused."""
    found: bool = await connection.fetchval(
        "SELECT EXISTS (SELECT 1 FROM event_rsvps WHERE event_ap_id = $1 "
        "AND state IN ('pending', 'accepted'))",
        event_ap_id,
    )
    return found


@dataclass(frozen=True)
class Taking:
    participant: str
    state: str
    since: datetime


async def taking_part(connection: DbConnection, event_id: int) -> list[Taking]:
    """Everyone accepted in one of our events or waiting for an answer, for its animateurs."""
    rows = await connection.fetch(
        "SELECT participant, state, created_at AS since FROM event_participants "
        "WHERE event_id = $1 AND state IN ('pending', 'accepted') "
        "ORDER BY state = 'accepted', created_at, participant",
        event_id,
    )
    return [Taking(**dict(row)) for row in rows]
