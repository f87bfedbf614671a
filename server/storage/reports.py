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
    connection: DbConnection, *, state: str | None = "open", limit: int = 100
) -> list[Report]:
    rows = await connection.fetch(
        f"""
        SELECT {COLUMNS} FROM reports WHERE $1::text IS NULL OR state = $1
        ORDER BY id DESC LIMIT $2
        """,
        state,
        limit,
    )
    return [Report(**dict(row)) for row in rows]


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
