"""The consolidated agenda: our events and our neighbours' (imported ones live in `events` too),
filtered and paged in one SQL query, each with the name of its place.

An event is unique by its ActivityPub id, so one that several places announce is one row.
Results are ordered by start time; an event still running at `start` (the default being now)
comes first, then the ones starting later. The two parts are two index-friendly branches of a
UNION ALL: events running at a moment come from the GiST index over [start, end) (near a point,
from the cell index), upcoming ones from the index on the start time (near a point, the cell
index), and the page is sorted once they are together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.database import DbConnection
from server.storage.domain_policies import LimitRule
from server.storage.events import COLUMNS, StoredEvent, from_row

EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


@dataclass(frozen=True)
class Near:
    latitude: float
    longitude: float
    km: float


@dataclass(frozen=True)
class AgendaFilter:
    start: datetime  # events not ended at this moment
    end: datetime | None = None  # ... and starting before this one
    place: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    text: str | None = None
    near: Near | None = None
    now_only: bool = False  # only what is running at `start`
    limit: int = 50
    after: tuple[datetime, int] | None = None  # (start_time, id) of the previous page's last
    # Events of limited domains stay out unless followed (`limit_condition`).
    hidden: LimitRule = field(default_factory=LimitRule)


@dataclass(frozen=True)
class AgendaItem:
    event: StoredEvent
    place_name: str | None
    distance_km: float | None = None


@dataclass
class Parameters:
    values: list[Any] = field(default_factory=list)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def bounding_box(near: Near) -> tuple[float, float, float, float]:
    """(south, north, west, east) around the point: a superset of the circle, for the index."""
    dlat = near.km / KM_PER_DEGREE
    cos_lat = math.cos(math.radians(min(89.0, abs(near.latitude) + dlat)))
    dlon = 180.0 if cos_lat <= 0 else min(180.0, near.km / (KM_PER_DEGREE * cos_lat))
    return (
        max(-90.0, near.latitude - dlat),
        min(90.0, near.latitude + dlat),
        max(-180.0, near.longitude - dlon),
        min(180.0, near.longitude + dlon),
    )


CELLS_PER_DEGREE = 2  # as maillage_geo_cell in migration 0009
MAX_CELLS = 400  # beyond, the bounding box alone is the cheaper filter


def geo_cells(south: float, north: float, west: float, east: float) -> list[int] | None:
    """Ids of the half-degree cells (maillage_geo_cell) that the box touches, when few."""
    rows = range(
        math.floor((south + 90) * CELLS_PER_DEGREE), math.floor((north + 90) * CELLS_PER_DEGREE) + 1
    )
    columns = range(
        math.floor((west + 180) * CELLS_PER_DEGREE), math.floor((east + 180) * CELLS_PER_DEGREE) + 1
    )
    if len(rows) * len(columns) > MAX_CELLS:
        return None
    return [row * 1000 + column for row in rows for column in columns]


def haversine_sql(latitude: str, longitude: str) -> str:
    return (
        f"(2 * {EARTH_RADIUS_KM} * asin(least(1.0, sqrt("
        f"power(sin(radians(latitude - {latitude}) / 2), 2) + cos(radians({latitude})) "
        f"* cos(radians(latitude)) * power(sin(radians(longitude - {longitude}) / 2), 2)))))"
    )


SELECTED = f"SELECT {COLUMNS}, {{distance}} AS distance_km"
NAMED = """
SELECT picked.*, CASE WHEN picked.local
        THEN coalesce(place_profile.profile ->> 'name', local_actors.display_name)
        ELSE coalesce(remote_actors.display_name, remote_place_profiles.name,
                      remote_actors.preferred_username)
    END AS place_name
FROM picked
LEFT JOIN local_actors ON picked.local AND local_actors.name = 'place'
LEFT JOIN place_profile ON picked.local
LEFT JOIN remote_actors ON NOT picked.local AND remote_actors.uri = picked.attributed_to
LEFT JOIN remote_place_profiles
    ON NOT picked.local AND remote_place_profiles.actor_uri = picked.attributed_to
ORDER BY picked.start_time, picked.id
"""


def limit_condition(rule: LimitRule, arg: Parameters) -> str:
    """The `limit` rule (FEDERATION.md, "Moderation: domain policies"), as the wall applies it
    (`activities.off_the_wall`): an event whose author is on a limited domain shows when we
    follow its author, or when the actor that brought it is followed and not limited itself."""
    limited, exceptions = arg(list(rule.limited)), arg(list(rule.exceptions))

    def followed(actor: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM follows f WHERE f.followed = {actor} AND f.state = 'accepted')"
        )

    return (
        f"(local OR NOT {rule.hides_sql('attributed_to', limited, exceptions)} "
        f"OR {followed('attributed_to')} "
        f"OR (NOT {rule.hides_sql('actor_uri', limited, exceptions)} AND {followed('actor_uri')}))"
    )


def agenda_sql(wanted: AgendaFilter) -> tuple[str, list[Any]]:
    arg = Parameters()
    common: list[str] = []
    distance = "NULL::double precision"
    if wanted.end is not None:
        common.append(f"start_time < {arg(wanted.end)}")
    if wanted.place is not None:
        common.append(f"attributed_to = {arg(wanted.place)}")
    if wanted.category is not None:
        common.append(f"lower(category) = lower({arg(wanted.category)})")
    if wanted.tags:
        # Near a point, the cells narrow the search to a few thousand rows: checking their tags
        # is cheaper than the GIN bitmap of a common tag, which the planner would intersect with
        # them (it underestimates that bitmap's cost); the expression keeps it off the index.
        column = "tags" if wanted.near is None else "(tags || '{}'::text[])"
        common.append(f"{column} @> {arg(list(wanted.tags))}::text[]")
    if wanted.text is not None:
        common.append(f"search @@ websearch_to_tsquery('simple', {arg(wanted.text)})")
    cells = None
    if wanted.near is not None:
        south, north, west, east = bounding_box(wanted.near)
        cells = geo_cells(south, north, west, east)
        if cells is not None:
            common.append(f"geo_cell = ANY({arg(cells)}::integer[])")
        common.append(
            f"latitude BETWEEN {arg(south)} AND {arg(north)} "
            f"AND longitude BETWEEN {arg(west)} AND {arg(east)}"
        )
        distance = haversine_sql(
            f"{arg(wanted.near.latitude)}::float8", f"{arg(wanted.near.longitude)}::float8"
        )
        common.append(f"{distance} <= {arg(wanted.near.km)}")
    if wanted.hidden:
        common.append(limit_condition(wanted.hidden, arg))
    if wanted.after is not None:
        common.append(f"(start_time, id) > ({arg(wanted.after[0])}, {arg(wanted.after[1])})")
    moment = arg(wanted.start)
    limit = arg(wanted.limit + 1)
    where = "".join(f" AND {condition}" for condition in common)
    selected = SELECTED.format(distance=distance)
    # Near a point, the cell index covers every filter but text, category and place: each
    # branch picks its page of ids by an index-only scan, and only those rows are read whole.
    # Elsewhere the branches read their rows at once (a second visit would cost more).
    picking = "SELECT id" if cells is not None else selected
    if cells is not None:
        # What runs at the moment near the point is in the same cells, among those started.
        running = (
            f"({picking} FROM events WHERE start_time <= {moment} AND ends_at > {moment}{where} "
            f"ORDER BY start_time, id LIMIT {limit})"
        )
    else:
        # What runs at a moment is few rows, found by the GiST index alone: the subquery is a
        # fence (OFFSET 0) so that the planner does not intersect it with a large bitmap of a
        # common tag or word, which costs more than filtering those few rows.
        running = (
            f"({picking} FROM (SELECT * FROM events WHERE tstzrange(start_time, ends_at, '[)') "
            f"@> {moment}::timestamptz OFFSET 0) AS events WHERE true{where} "
            f"ORDER BY start_time, id LIMIT {limit})"
        )
    parts = [running]
    if not wanted.now_only:
        # Starting at the moment or later, without what the first branch already gave.
        parts.append(
            f"({picking} FROM events WHERE start_time >= {moment} "
            f"AND (start_time > {moment} OR ends_at <= start_time){where} "
            f"ORDER BY start_time, id LIMIT {limit})"
        )
    branches = " UNION ALL ".join(parts)
    picked = f"{selected} FROM events WHERE id IN ({branches})" if cells is not None else branches
    sql = f"WITH picked AS ({picked}) {NAMED} LIMIT {limit}"
    return sql, arg.values


def item_of(row: Any) -> AgendaItem:
    data = dict(row)
    place_name = data.pop("place_name")
    distance = data.pop("distance_km")
    return AgendaItem(from_row(data), place_name, distance)


async def agenda(
    connection: DbConnection, wanted: AgendaFilter
) -> tuple[list[AgendaItem], tuple[datetime, int] | None]:
    """One page of the agenda, and where the next one starts (None on the last page)."""
    sql, values = agenda_sql(wanted)
    # Which index fits depends on the values (a rare tag, a small circle, now): a generic plan,
    # which PostgreSQL adopts for a prepared statement after five runs, can be 100x slower.
    async with connection.transaction():
        await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await connection.fetch(sql, *values)
    items = [item_of(row) for row in rows[: wanted.limit]]
    following = None
    if len(rows) > wanted.limit and items:
        last = items[-1].event
        following = (last.fields.start_time, last.id)
    return items, following


async def agenda_item(connection: DbConnection, event_id: int) -> AgendaItem | None:
    """One event of the agenda, with its place's name."""
    sql = (
        f"WITH picked AS ({SELECTED.format(distance='NULL::double precision')} FROM events "
        "WHERE id = $1) "
        f"{NAMED}"
    )
    row = await connection.fetchrow(sql, event_id)
    return None if row is None else item_of(row)


async def place_names(connection: DbConnection, uris: list[str]) -> dict[str, str]:
    """Display names of the places (or people) behind these actor ids, where known."""
    rows = await connection.fetch(
        "SELECT uri, coalesce(display_name, preferred_username) AS name FROM remote_actors "
        "WHERE uri = ANY($1::text[]) AND coalesce(display_name, preferred_username) IS NOT NULL",
        uris,
    )
    return {row["uri"]: row["name"] for row in rows}


async def own_place_name(connection: DbConnection) -> str:
    name: str | None = await connection.fetchval(
        "SELECT coalesce((SELECT profile ->> 'name' FROM place_profile), "
        "(SELECT display_name FROM local_actors WHERE name = 'place'))"
    )
    return name or "Maillage"
