"""Reports waiting for a moderator: filed here, or received as a Flag from another server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.database import DbConnection


@dataclass(frozen=True)
class Report:
    id: int
    received_at: datetime
    origin: str  # '' when filed here; else the host of the server that sent the Flag
    reporter: str  # a local username, or the remote actor that sent the Flag
    flag_id: str | None
    target_actor: str
    objects: list[str]
    comment: str
    forwarded: bool
    state: str
    resolution: str | None
    resolution_reason: str
    resolved_by: str | None
    resolved_at: datetime | None


COLUMNS = (
    "id, received_at, origin, reporter, flag_id, target_actor, objects, comment, forwarded, "
    "state, resolution, resolution_reason, resolved_by, resolved_at"
)
RESOLUTIONS = ("no_action", "limit", "suspend", "remove_content")


async def add_report(
    connection: DbConnection,
    *,
    origin: str,
    reporter: str,
    target_actor: str,
    objects: list[str],
    comment: str,
    flag_id: str | None = None,
    forwarded: bool = False,
) -> Report | None:
    """Queue a report; None when a report with that Flag id is queued already (a redelivery)."""
    row = await connection.fetchrow(
        f"""
        INSERT INTO reports (origin, reporter, flag_id, target_actor, objects, comment, forwarded)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (flag_id) DO NOTHING RETURNING {COLUMNS}
        """,
        origin,
        reporter,
        flag_id,
        target_actor,
        objects,
        comment,
        forwarded,
    )
    return None if row is None else Report(**dict(row))


async def find_report(connection: DbConnection, report_id: int) -> Report | None:
    row = await connection.fetchrow(f"SELECT {COLUMNS} FROM reports WHERE id = $1", report_id)
    return None if row is None else Report(**dict(row))


async def list_reports(
    connection: DbConnection,
    *,
    state: str | None = "open",
    limit: int = 100,
    before: int | None = None,
    after: int | None = None,
) -> list[Report]:
    """Newest first: the `limit` reports older than `before`, or the `limit` just newer than
    `after` (a page back), or the newest."""
    if after is not None:
        rows = await connection.fetch(
            f"""
            SELECT {COLUMNS} FROM reports WHERE ($1::text IS NULL OR state = $1) AND id > $3
            ORDER BY id LIMIT $2
            """,
            state,
            limit,
            after,
        )
        rows = rows[::-1]
    else:
        rows = await connection.fetch(
            f"""
            SELECT {COLUMNS} FROM reports
            WHERE ($1::text IS NULL OR state = $1) AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $2
            """,
            state,
            limit,
            before,
        )
    return [Report(**dict(row)) for row in rows]


# First key of the two-key advisory locks taken per reporting server or member, apart from the
# other classes of locks ("rep" + "t").
REPORTER_LOCK_CLASS = 0x72657074


async def lock_reporter(connection: DbConnection, key: str) -> None:
    """Serialise, until the transaction ends, the reports of one origin (or one member), so that
    two Flags processed at once cannot both pass a cap or both add the same report."""
    await connection.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))", REPORTER_LOCK_CLASS, key
    )


async def find_open_duplicate(
    connection: DbConnection, *, reporter: str, target_actor: str, objects: list[str]
) -> Report | None:
    """An open report by the same reporter about the same actor and objects (in any order)."""
    row = await connection.fetchrow(
        f"""
        SELECT {COLUMNS} FROM reports
        WHERE state = 'open' AND reporter = $1 AND target_actor = $2
          AND objects @> $3::text[] AND objects <@ $3::text[]
        ORDER BY id LIMIT 1
        """,
        reporter,
        target_actor,
        objects,
    )
    return None if row is None else Report(**dict(row))


async def add_comment(
    connection: DbConnection, report_id: int, comment: str, max_length: int
) -> None:
    """Append what a repeated report says to the first one's comment, unless it says it already."""
    await connection.execute(
        """
        UPDATE reports SET comment = left(
            CASE WHEN comment = '' THEN $2 ELSE comment || E'\\n\\n' || $2 END, $3)
        WHERE id = $1 AND $2 <> '' AND strpos(comment, $2) = 0
        """,
        report_id,
        comment,
        max_length,
    )


@dataclass(frozen=True)
class OpenCounts:
    reporter: int
    origin: int


async def open_counts(connection: DbConnection, *, origin: str, reporter: str) -> OpenCounts:
    row = await connection.fetchrow(
        """
        SELECT count(*) FILTER (WHERE reporter = $2) AS reporter, count(*) AS origin
        FROM reports WHERE state = 'open' AND origin = $1
        """,
        origin,
        reporter,
    )
    assert row is not None  # an aggregate always answers one row
    return OpenCounts(reporter=row["reporter"], origin=row["origin"])


async def mark_resolved(
    connection: DbConnection, report_id: int, resolution: str, reason: str, who: str
) -> Report | None:
    """Close an open report; None when there is no such open report (resolved already)."""
    row = await connection.fetchrow(
        f"""
        UPDATE reports SET state = 'resolved', resolution = $2, resolution_reason = $3,
            resolved_by = $4, resolved_at = now()
        WHERE id = $1 AND state = 'open' RETURNING {COLUMNS}
        """,
        report_id,
        resolution,
        reason,
        who,
    )
    return None if row is None else Report(**dict(row))


@dataclass(frozen=True)
class ActorNames:
    display_name: str | None
    username: str | None
    host: str | None  # None for an actor of this node


async def actor_names(
    connection: DbConnection, remote: list[str], local: list[str]
) -> tuple[dict[str, ActorNames], dict[str, ActorNames]]:
    """The names of the actors reports name: remote ones by id, ours by name."""
    rows = await connection.fetch(
        """
        SELECT true AS remote, uri AS key, display_name, preferred_username AS username, host
        FROM remote_actors WHERE uri = ANY($1::text[])
        UNION ALL
        SELECT false, name, display_name, name, NULL FROM local_actors WHERE name = ANY($2::text[])
        """,
        remote,
        local,
    )
    found: tuple[dict[str, ActorNames], dict[str, ActorNames]] = ({}, {})
    for row in rows:
        names = ActorNames(row["display_name"] or None, row["username"], row["host"])
        found[0 if row["remote"] else 1][row["key"]] = names
    return found


async def object_titles(connection: DbConnection, refs: list[str]) -> dict[str, str]:
    """The titles of the events, calls and shared profiles reports name, by id."""
    rows = await connection.fetch(
        """
        SELECT ap_id AS ref, name AS title FROM events WHERE ap_id = ANY($1::text[])
        UNION ALL SELECT uri, title FROM open_calls WHERE uri = ANY($1::text[])
        UNION ALL SELECT person, name FROM remote_profiles WHERE person = ANY($1::text[])
        """,
        refs,
    )
    return {row["ref"]: row["title"] for row in rows if row["title"]}
