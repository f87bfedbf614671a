"""What we hold from a domain, across aggregates: the SQL of a suspension's purge.

A purge is rare (a moderator's decision), so rows are found by a cheap text filter on the
domain name and then checked host by host in Python with the one rule of coverage
(`domain_policies.covers`), rather than by re-stating that rule in SQL for each table.
"""

from __future__ import annotations

from collections.abc import Sequence

from federation.hosts import canonical_host
from server.database import DbConnection
from server.storage.domain_policies import covers, split_port

# table -> (key column, columns holding a URL or a host, extra condition)
HOLDERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "remote_actors": ("uri", ("uri", "host"), "true"),
    "events": ("ap_id", ("ap_id", "actor_uri", "attributed_to"), "NOT local"),
    "open_calls": ("uri", ("uri", "actor_uri"), "NOT local"),
    "remote_profiles": ("person", ("person", "place", "host"), "true"),
    "event_rsvps": ("join_activity_id", ("event_ap_id", "organiser"), "true"),
    "suggested_places": ("actor_uri", ("actor_uri", "neighbour"), "true"),
    "suggestion_refreshes": ("neighbour", ("neighbour",), "true"),
    "backfill_jobs": ("followed", ("followed",), "state = 'pending'"),
}


def on_domain(domain: str, value: str | None) -> bool:
    if not value:
        return False
    try:
        return covers(domain, canonical_host(value))
    except ValueError:
        return False


async def held(connection: DbConnection, table: str, domain: str) -> list[str]:
    """Keys of the rows of `table` that name a host `domain` covers (distinct, sorted)."""
    key, columns, condition = HOLDERS[table]
    name = split_port(domain)[0]
    prefilter = " OR ".join(f"strpos(lower({column}), $1) > 0" for column in columns)
    rows = await connection.fetch(
        f"SELECT {key} AS key, {', '.join(columns)} FROM {table} "
        f"WHERE ({condition}) AND ({prefilter})",
        name,
    )
    return sorted({row["key"] for row in rows if any(on_domain(domain, row[c]) for c in columns)})


async def delete_events(connection: DbConnection, ap_ids: Sequence[str]) -> list[str]:
    rows = await connection.fetch(
        "DELETE FROM events WHERE NOT local AND ap_id = ANY($1::text[]) RETURNING ap_id",
        list(ap_ids),
    )
    return [row["ap_id"] for row in rows]


async def delete_calls(connection: DbConnection, uris: Sequence[str]) -> list[str]:
    rows = await connection.fetch(
        "DELETE FROM open_calls WHERE NOT local AND uri = ANY($1::text[]) RETURNING uri",
        list(uris),
    )
    return [row["uri"] for row in rows]


async def delete_by_key(connection: DbConnection, table: str, keys: Sequence[str]) -> int:
    key = HOLDERS[table][0]
    result: str = await connection.execute(
        f"DELETE FROM {table} WHERE {key} = ANY($1::text[])",
        list(keys),
    )
    return int(result.rsplit(" ", 1)[-1])


async def delete_suggestions(connection: DbConnection, domain: str) -> int:
    """Suggested places on the domain, and every suggestion a neighbour on it made."""
    rows = await connection.fetch("SELECT actor_uri, neighbour FROM suggested_places")
    gone = [
        (row["actor_uri"], row["neighbour"])
        for row in rows
        if on_domain(domain, row["actor_uri"]) or on_domain(domain, row["neighbour"])
    ]
    await connection.executemany(
        "DELETE FROM suggested_places WHERE actor_uri = $1 AND neighbour = $2", gone
    )
    return len(gone)


async def delete_follows(connection: DbConnection, domain: str) -> int:
    """Follows either way with an actor of the domain that no stored actor row accounted for."""
    name = split_port(domain)[0]
    rows = await connection.fetch(
        "SELECT follower, followed FROM follows "
        "WHERE strpos(lower(follower), $1) > 0 OR strpos(lower(followed), $1) > 0",
        name,
    )
    gone = [
        (row["follower"], row["followed"])
        for row in rows
        if on_domain(domain, row["follower"]) or on_domain(domain, row["followed"])
    ]
    await connection.executemany("DELETE FROM follows WHERE follower = $1 AND followed = $2", gone)
    return len(gone)


async def give_up_deliveries(connection: DbConnection, hosts: Sequence[str], why: str) -> int:
    result: str = await connection.execute(
        "UPDATE deliveries SET state = 'failed', lease_until = NULL, last_error = $2, "
        "finished_at = now() WHERE host = ANY($1::text[]) AND state = 'pending'",
        list(hosts),
        why,
    )
    return int(result.rsplit(" ", 1)[-1])


async def pending_hosts(connection: DbConnection) -> list[str]:
    """Every host some delivery still waits for."""
    rows = await connection.fetch("SELECT DISTINCT host FROM deliveries WHERE state = 'pending'")
    return [row["host"] for row in rows]


async def pending_delivery_hosts(connection: DbConnection, domain: str) -> list[str]:
    name = split_port(domain)[0]
    rows = await connection.fetch(
        "SELECT DISTINCT host FROM deliveries WHERE state = 'pending' AND strpos(host, $1) > 0",
        name,
    )
    return [row["host"] for row in rows if covers(domain, row["host"])]


async def drop_pending_inbox(connection: DbConnection, domain: str, why: str) -> int:
    """Activities received from the domain and not processed yet: never processed now."""
    name = split_port(domain)[0]
    rows = await connection.fetch(
        "SELECT id, actor_uri FROM inbox_activities "
        "WHERE state = 'pending' AND strpos(lower(actor_uri), $1) > 0",
        name,
    )
    ids = [row["id"] for row in rows if on_domain(domain, row["actor_uri"])]
    await connection.execute(
        "UPDATE inbox_activities SET state = 'failed', lease_until = NULL, last_error = $2, "
        "processed_at = now() WHERE id = ANY($1::bigint[])",
        ids,
        why,
    )
    return len(ids)


async def forget_stream_mentions(connection: DbConnection, domain: str) -> int:
    """Stream items naming an actor of the domain (a new neighbour) go from the history."""
    name = split_port(domain)[0]
    rows = await connection.fetch(
        "SELECT id, data->>'actor' AS actor FROM stream_events "
        "WHERE strpos(lower(data->>'actor'), $1) > 0",
        name,
    )
    ids = [row["id"] for row in rows if on_domain(domain, row["actor"])]
    await connection.execute("DELETE FROM stream_events WHERE id = ANY($1::bigint[])", ids)
    return len(ids)


async def participations(connection: DbConnection, domain: str) -> list[tuple[str, str]]:
    """(our event's id, participant) for each participant of the domain in one of our events."""
    name = split_port(domain)[0]
    rows = await connection.fetch(
        "SELECT e.ap_id, p.participant FROM event_participants p "
        "JOIN events e ON e.id = p.event_id WHERE e.local AND strpos(lower(p.participant), $1) > 0",
        name,
    )
    return [(row["ap_id"], row["participant"]) for row in rows if on_domain(domain, row[1])]


async def remove_participation(
    connection: DbConnection, event_ap_id: str, participant: str
) -> None:
    await connection.execute(
        "DELETE FROM event_participants WHERE participant = $2 "
        "AND event_id = (SELECT id FROM events WHERE ap_id = $1)",
        event_ap_id,
        participant,
    )
