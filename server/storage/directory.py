"""The network directory: known places, suggested places, and network-shared profiles."""

from __future__ import annotations

import json
from dataclasses import dataclass

from server.database import DbConnection
from server.storage.place_profile import _COLUMNS, _JSON_COLUMNS, RemotePlaceProfile
from server.storage.profiles import Profile, profile_from_row

# The directory is read whole and filtered in the process: a regional network knows hundreds of
# places, not millions. The cap keeps a hostile flood of Group actors from costing more.
MAX_PLACES = 5000


async def known_places(connection: DbConnection) -> list[RemotePlaceProfile]:
    rows = await connection.fetch(
        f"SELECT {', '.join(_COLUMNS)} FROM remote_place_profiles "
        "ORDER BY updated_at DESC LIMIT $1",
        MAX_PLACES,
    )
    places = []
    for row in rows:
        values = dict(row)
        for column in _JSON_COLUMNS:
            values[column] = json.loads(values[column])
        places.append(RemotePlaceProfile(**values))
    return places


async def followed_by(connection: DbConnection, follower: str) -> set[str]:
    rows = await connection.fetch(
        "SELECT followed FROM follows WHERE follower = $1 AND state = 'accepted'", follower
    )
    return {row["followed"] for row in rows}


async def suggestions(connection: DbConnection, follower: str) -> dict[str, list[str]]:
    """Suggested place -> the neighbours (followed by `follower`, accepted) that follow it."""
    rows = await connection.fetch(
        """
        SELECT s.actor_uri, s.neighbour FROM suggested_places s
        JOIN follows f ON f.followed = s.neighbour AND f.follower = $1 AND f.state = 'accepted'
        ORDER BY s.actor_uri, s.neighbour LIMIT $2
        """,
        follower,
        MAX_PLACES,
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["actor_uri"], []).append(row["neighbour"])
    return found


async def replace_suggestions(connection: DbConnection, neighbour: str, uris: list[str]) -> None:
    await connection.execute("DELETE FROM suggested_places WHERE neighbour = $1", neighbour)
    await connection.executemany(
        "INSERT INTO suggested_places (actor_uri, neighbour) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING",
        [(uri, neighbour) for uri in uris],
    )
    # A refresh after a backfill counts too: the periodic one then waits a whole interval.
    await connection.execute(
        "INSERT INTO suggestion_refreshes (neighbour) VALUES ($1) "
        "ON CONFLICT (neighbour) DO UPDATE SET refreshed_at = now()",
        neighbour,
    )


async def forget_neighbour(connection: DbConnection, neighbour: str) -> None:
    """We no longer follow `neighbour`: its suggestions and its refresh schedule go."""
    await connection.execute("DELETE FROM suggested_places WHERE neighbour = $1", neighbour)
    await connection.execute("DELETE FROM suggestion_refreshes WHERE neighbour = $1", neighbour)


async def claim_due_refreshes(
    connection: DbConnection, follower: str, every_seconds: float, limit: int
) -> list[str]:
    """The neighbours `follower` follows (accepted) whose suggestions are older than
    `every_seconds` or were never read, the oldest first, each marked as refreshed now.

    The mark is the claim: a second worker running this at once waits on the row (or on the
    inserted key) and then finds it refreshed, so each neighbour is taken by one process. A
    process that dies after the claim leaves that neighbour to the next interval.
    """
    rows = await connection.fetch(
        """
        INSERT INTO suggestion_refreshes (neighbour, refreshed_at)
        SELECT f.followed, now() FROM follows f
        LEFT JOIN suggestion_refreshes r ON r.neighbour = f.followed
        WHERE f.follower = $1 AND f.state = 'accepted'
          AND (r.neighbour IS NULL OR r.refreshed_at <= now() - make_interval(secs => $2))
        ORDER BY r.refreshed_at NULLS FIRST, f.followed
        LIMIT $3
        ON CONFLICT (neighbour) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at
        WHERE suggestion_refreshes.refreshed_at <= now() - make_interval(secs => $2)
        RETURNING neighbour
        """,
        follower,
        every_seconds,
        limit,
    )
    return [row["neighbour"] for row in rows]


async def actors_of(connection: DbConnection, uris: list[str]) -> dict[str, tuple[str, str | None]]:
    """uri -> (kind, display name) of the stored remote actors among `uris`."""
    rows = await connection.fetch(
        "SELECT uri, kind, display_name FROM remote_actors WHERE uri = ANY($1::text[])", uris
    )
    return {row["uri"]: (row["kind"], row["display_name"]) for row in rows}


async def unknown_places(connection: DbConnection, uris: list[str]) -> list[str]:
    """Those of `uris` with no place details stored yet, in the given order."""
    rows = await connection.fetch(
        "SELECT actor_uri FROM remote_place_profiles WHERE actor_uri = ANY($1::text[])", uris
    )
    known = {row["actor_uri"] for row in rows}
    return [uri for uri in uris if uri not in known]


async def place_chosen(connection: DbConnection, uri: str) -> bool:
    """Whether `uri` is a place the directory may hold: one of our actors follows it (asked or
    accepted), or a place our actors follow (accepted) follows it (a suggestion). Only our
    actors follow remote ones, so any row naming a remote actor as followed is ours."""
    found: bool = await connection.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM follows WHERE followed = $1)
            OR EXISTS (SELECT 1 FROM suggested_places s
                       JOIN follows f ON f.followed = s.neighbour AND f.state = 'accepted'
                       WHERE s.actor_uri = $1)
        """,
        uri,
    )
    return found


@dataclass(frozen=True)
class SharedProfile:
    actor: str | None  # None for a local profile: the caller makes its URL from `username`
    username: str | None
    place: str | None  # None for a local profile: our own place
    place_name: str | None
    profile: Profile


_SKILL = """
    ($1::text IS NULL OR EXISTS (
        SELECT 1 FROM jsonb_array_elements({skills}) AS s
        WHERE lower(s->>'name') = lower($1) OR s->>'uri' = $1))
"""
_TEXT = """
    ($2::text IS NULL OR strpos(lower({name} || ' ' || {bio} || ' ' || {skills}::text),
                                lower($2)) > 0)
"""


async def shared_profiles(
    connection: DbConnection, skill: str | None, text: str | None, limit: int
) -> list[SharedProfile]:
    """Profiles shared network-wide: our `network` members and what neighbours we still follow
    shared with us.

    Nothing else: a `private` or `members` profile is never read by this query.
    """
    local_rows = await connection.fetch(
        f"""
        SELECT a.name AS username, p.name, p.bio, p.skills::text AS skills,
               p.links::text AS links, p.avatar
        FROM local_actors a JOIN profiles p ON p.actor_name = a.name
        WHERE a.kind = 'Person' AND a.visibility = 'network'
          AND {_SKILL.format(skills="p.skills")}
          AND {_TEXT.format(name="p.name", bio="p.bio", skills="p.skills")}
        ORDER BY lower(p.name), a.name LIMIT $3
        """,
        skill,
        text,
        limit,
    )
    remote_rows = await connection.fetch(
        f"""
        SELECT r.person, r.place, coalesce(pp.name, ra.display_name) AS place_name,
               r.name, r.bio, r.skills::text AS skills, r.links::text AS links, r.avatar
        FROM remote_profiles r
        LEFT JOIN remote_place_profiles pp ON pp.actor_uri = r.place
        LEFT JOIN remote_actors ra ON ra.uri = r.place
        WHERE EXISTS (SELECT 1 FROM follows f WHERE f.followed = r.place AND f.state = 'accepted')
          AND {_SKILL.format(skills="r.skills")}
          AND {_TEXT.format(name="r.name", bio="r.bio", skills="r.skills")}
        ORDER BY lower(r.name), r.person LIMIT $3
        """,
        skill,
        text,
        limit,
    )
    found = [
        SharedProfile(None, row["username"], None, None, profile_from_row(row))
        for row in local_rows
    ]
    found.extend(
        SharedProfile(row["person"], None, row["place"], row["place_name"], profile_from_row(row))
        for row in remote_rows
    )
    return found[:limit]
