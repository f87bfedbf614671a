"""The live stream's events: appended by processing, replayed and announced to web processes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.database import DbConnection
from server.storage.domain_policies import LimitRule

STREAM_CHANNEL = "maillage_stream"
REPLAY_LIMIT = 500
# The action of an item saying that an object shown earlier is gone.
REMOVED = "removed"


@dataclass(frozen=True)
class StreamEvent:
    id: int
    kind: str
    local: bool
    place: str | None
    data: dict[str, Any]
    created_at: datetime


async def append(
    connection: DbConnection, kind: str, data: dict[str, Any], *, local: bool, place: str | None
) -> int:
    """Record an event; the NOTIFY is sent when the caller's transaction commits."""
    event_id: int = await connection.fetchval(
        "INSERT INTO stream_events (kind, local, place, data) VALUES ($1, $2, $3, $4::jsonb) "
        "RETURNING id",
        kind,
        local,
        place,
        json.dumps(data),
    )
    await connection.execute("SELECT pg_notify($1, $2)", STREAM_CHANNEL, str(event_id))
    return event_id


def from_row(row: Any) -> StreamEvent:
    return StreamEvent(
        id=row["id"],
        kind=row["kind"],
        local=row["local"],
        place=row["place"],
        data=json.loads(row["data"]),
        created_at=row["created_at"],
    )


async def after(
    connection: DbConnection, last_id: int, limit: int = REPLAY_LIMIT
) -> list[StreamEvent]:
    rows = await connection.fetch(
        "SELECT id, kind, local, place, data, created_at FROM stream_events WHERE id > $1 "
        "ORDER BY id LIMIT $2",
        last_id,
        limit,
    )
    return [from_row(row) for row in rows]


# What a stream item is about: the event, call or profile it shows, or the event of an RSVP.
# Migration 0015 indexes this very expression.
ITEM_OBJECT = "coalesce(data->>'id', data->>'event')"


async def forget_objects(
    connection: DbConnection, object_ids: list[str], *, place: str | None = None
) -> list[StreamEvent]:
    """Drop the history about objects that no longer exist, so that a screen resuming with
    Last-Event-ID is not shown them again; with `place`, only what that place put on the stream.
    Returns, per object that had shown up as itself (not as an RSVP's event), its newest item:
    what screens still showing it must take down (see `live_feed.withdraw`)."""
    if not object_ids:
        return []
    rows = await connection.fetch(
        # Notices of removal stay: a screen that was away when one was sent still needs it.
        f"WITH gone AS (DELETE FROM stream_events WHERE {ITEM_OBJECT} = ANY($1::text[]) "
        f"AND ($2::text IS NULL OR place = $2) AND data->>'action' IS DISTINCT FROM '{REMOVED}' "
        "RETURNING id, kind, local, place, data, created_at) "
        "SELECT DISTINCT ON (data->>'id') id, kind, local, place, data, created_at FROM gone "
        "WHERE kind <> 'rsvp' AND data->>'id' IS NOT NULL "
        "ORDER BY data->>'id', id DESC",
        object_ids,
        place,
    )
    return [from_row(row) for row in rows]


async def limited_items(
    connection: DbConnection, domain: str, rule: LimitRule
) -> list[tuple[str, str]]:
    """(object, place) of the received items about `domain` (their author or the place that
    brought them on a host it covers) that the `limit` rule keeps off the wall: the author (an
    event's `attributedTo`, else the place) is limited, not followed, and the place is not a
    followed one outside the limited domains (the rule of `activities.off_the_wall`)."""
    limited, exceptions = "$2::text[]", "$3::text[]"
    rows = await connection.fetch(
        f"""
        SELECT DISTINCT item, place FROM (
            SELECT {ITEM_OBJECT} AS item, s.place, coalesce(e.attributed_to, s.place) AS author
            FROM stream_events s
            LEFT JOIN events e ON s.kind = 'event' AND e.ap_id = s.data->>'id'
            WHERE NOT s.local AND s.place IS NOT NULL
              AND s.data->>'action' IS DISTINCT FROM '{REMOVED}') AS items
        WHERE item IS NOT NULL
          AND (host_covered(url_host(author), $1) OR host_covered(url_host(place), $1))
          AND {rule.hides_sql("author", limited, exceptions)}
          AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.followed = author
                          AND f.state = 'accepted')
          AND NOT (NOT {rule.hides_sql("place", limited, exceptions)}
                   AND EXISTS (SELECT 1 FROM follows f WHERE f.followed = place
                               AND f.state = 'accepted'))
        ORDER BY item, place
        """,
        [domain],
        list(rule.limited),
        list(rule.exceptions),
    )
    return [(row["item"], row["place"]) for row in rows]


async def latest_id(connection: DbConnection) -> int:
    value: int | None = await connection.fetchval("SELECT max(id) FROM stream_events")
    return value or 0


async def prune(connection: DbConnection, older_than: datetime, limit: int) -> int:
    """Delete up to `limit` stream items recorded before `older_than`. Returns how many went."""
    result: str = await connection.execute(
        "DELETE FROM stream_events WHERE id IN (SELECT id FROM stream_events "
        "WHERE created_at < $1 LIMIT $2)",
        older_than,
        limit,
    )
    return int(result.rsplit(" ", 1)[-1])


async def recent_start(connection: DbConnection, count: int) -> int:
    """The id after which the last `count` items of the stream come (0 for all of a short one)."""
    found: int | None = await connection.fetchval(
        "SELECT min(id) - 1 FROM (SELECT id FROM stream_events ORDER BY id DESC LIMIT $1) last",
        count,
    )
    return max(found or 0, 0)
