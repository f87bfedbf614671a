"""What the dashboard shows as needing attention: followers and participants waiting for an
answer, new participants in our events, our open calls near their deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.database import DbConnection

RECENT_DAYS = 7


@dataclass(frozen=True)
class NewParticipant:
    event_id: int
    event_name: str
    participant: str
    joined_at: datetime


@dataclass(frozen=True)
class CallDue:
    uri: str
    title: str
    deadline: datetime


async def new_participants(connection: DbConnection, limit: int = 20) -> list[NewParticipant]:
    rows = await connection.fetch(
        """
        SELECT e.id AS event_id, e.name AS event_name, p.participant, p.created_at AS joined_at
        FROM event_participants p JOIN events e ON e.id = p.event_id
        WHERE e.local AND p.state = 'accepted'
            AND p.created_at > now() - make_interval(days => $1)
        ORDER BY p.created_at DESC LIMIT $2
        """,
        RECENT_DAYS,
        limit,
    )
    return [NewParticipant(**dict(row)) for row in rows]


async def calls_due(connection: DbConnection) -> list[CallDue]:
    rows = await connection.fetch(
        """
        SELECT uri, title, deadline FROM open_calls
        WHERE local AND deleted_at IS NULL AND status = 'open'
            AND deadline BETWEEN now() AND now() + make_interval(days => $1)
        ORDER BY deadline
        """,
        RECENT_DAYS,
    )
    return [CallDue(**dict(row)) for row in rows]


@dataclass(frozen=True)
class WaitingParticipant:
    event_id: int
    event_name: str
    participant: str
    since: datetime


async def waiting_participants(
    connection: DbConnection, limit: int = 20
) -> list[WaitingParticipant]:
    """Joins of our events that wait for an animateur's answer (join mode 'restricted'), in
    events not over yet: a cancelled or deleted event answered its waiting Joins, and one that
    is over is past asking for a seat."""
    rows = await connection.fetch(
        """
        SELECT e.id AS event_id, e.name AS event_name, p.participant, p.created_at AS since
        FROM event_participants p JOIN events e ON e.id = p.event_id
        WHERE e.local AND p.state = 'pending' AND e.status <> 'CANCELLED' AND e.ends_at > now()
        ORDER BY p.created_at LIMIT $1
        """,
        limit,
    )
    return [WaitingParticipant(**dict(row)) for row in rows]
