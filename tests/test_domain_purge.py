"""A suspension purges, in one transaction, everything held from the domain and its subdomains,
and nothing else. On real PostgreSQL, rows written as federation leaves them."""

from __future__ import annotations

import asyncpg
import pytest

from server.processing import reactions  # noqa: F401 - registers the reactions to a gone actor
from server.processing.domain_policy import apply_policy, lift_policy
from server.storage import moderation_log, stream
from tests.test_gone_neighbours import (
    PLACE,
    add_call,
    add_event,
    add_follow,
    add_remote_actor,
    names,
    queue_delivery,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

SPAM = "https://spam.test/actors/place"
SUB = "https://a.spam.test:8443/actors/bot"
KEEP = "https://keep.test/actors/place"
NOT_SPAM = "https://notspam.test/actors/place"  # a name that merely ends like it


async def held_everywhere(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "INSERT INTO local_actors (name, kind, display_name) VALUES ('place', 'Group', 'Mende')"
    )
    for number, uri in enumerate((SPAM, SUB, KEEP, NOT_SPAM)):
        host = uri.split("/")[2]
        await add_remote_actor(connection, uri, f"{uri}/inbox", f"https://{host}/inbox")
        await connection.execute(
            "INSERT INTO remote_keys (key_id, actor_uri, public_pem) VALUES ($1, $2, 'pem')",
            f"{uri}#main-key",
            uri,
        )
        await connection.execute(
            "INSERT INTO remote_place_profiles (actor_uri, name) VALUES ($1, $1)", uri
        )
        await add_follow(connection, PLACE, uri, "accepted")
        await add_follow(connection, uri, PLACE, "accepted")
        await add_event(connection, f"{uri}/events/1", uri)
        await add_call(connection, f"{uri}/calls/1", uri)
        await connection.execute(
            "INSERT INTO remote_profiles (person, place, host, name) VALUES ($1, $2, $3, 'x')",
            f"{uri}/people/1",
            uri,
            host,
        )
        await stream.append(connection, "event", {"id": f"{uri}/events/1"}, local=False, place=uri)
        await stream.append(
            connection,
            "neighbour",
            {"actor": uri, "relation": "follows us"},
            local=True,
            place=PLACE,
        )
        await queue_delivery(connection, f"{uri}/inbox", number)
    # Keep's place announced an event of the spam domain, and suggests its place.
    await add_event(connection, "https://a.spam.test:8443/events/2", KEEP, SUB)
    await connection.execute(
        "INSERT INTO suggested_places (actor_uri, neighbour) VALUES ($1, $2), ($2, $1)", SPAM, KEEP
    )


async def test_a_suspension_purges_the_domain_and_its_subdomains_only(
    connection: asyncpg.Connection,
) -> None:
    await held_everywhere(connection)
    async with connection.transaction():
        after = await apply_policy(
            connection, domain="spam.test", severity="suspend", who="admin", public_reason="spam"
        )
    assert after == "suspend"

    kept = {KEEP, NOT_SPAM}
    assert {r["uri"] for r in await connection.fetch("SELECT uri FROM remote_actors")} == kept
    keys = await connection.fetch("SELECT actor_uri FROM remote_keys")
    assert {r["actor_uri"] for r in keys} == kept
    follows = await connection.fetch("SELECT follower, followed FROM follows")
    assert {r["follower"] if r["followed"] == PLACE else r["followed"] for r in follows} == kept
    assert await names(connection, "events", "ap_id") == {f"{uri}/events/1" for uri in kept}
    assert await names(connection, "open_calls", "uri") == {f"{uri}/calls/1" for uri in kept}
    profiles = await connection.fetch("SELECT place FROM remote_profiles")
    assert {r["place"] for r in profiles} == kept
    assert await connection.fetchval("SELECT count(*) FROM suggested_places") == 0
    pending = await connection.fetch(
        "SELECT host FROM deliveries WHERE state = 'pending' ORDER BY host"
    )
    assert [r["host"] for r in pending] == ["keep.test", "notspam.test"]
    shown = await stream.after(connection, 0)
    alive = {
        item.data.get("id") or item.data.get("actor")
        for item in shown
        if item.data.get("action") != stream.REMOVED
    }
    assert alive == {*kept, *(f"{uri}/events/1" for uri in kept)}
    removed = {item.data["id"] for item in shown if item.data.get("action") == stream.REMOVED}
    assert removed >= {f"{SPAM}/events/1", f"{SUB}/events/1"}
    logged = await moderation_log.entries(connection)
    assert [(e.action, e.target, e.reason) for e in logged] == [
        ("domain.suspend", "spam.test", "spam")
    ]
    assert logged[0].details["purged"]["actors"] == 2


async def test_a_failing_purge_leaves_everything_as_it_was(
    connection: asyncpg.Connection,
) -> None:
    await held_everywhere(connection)
    before = await connection.fetchval("SELECT count(*) FROM remote_actors")

    async def suspend_then_fail() -> None:
        async with connection.transaction():
            await apply_policy(connection, domain="spam.test", severity="suspend", who="admin")
            await connection.execute("SELECT 1/0")

    with pytest.raises(asyncpg.PostgresError):
        await suspend_then_fail()
    assert await connection.fetchval("SELECT count(*) FROM remote_actors") == before
    assert await connection.fetchval("SELECT count(*) FROM domain_policies") == 0
    assert await connection.fetchval("SELECT count(*) FROM moderation_log") == 0


async def test_lifting_the_places_allow_over_a_lists_suspension_purges(
    connection: asyncpg.Connection,
) -> None:
    await held_everywhere(connection)
    async with connection.transaction():
        await apply_policy(connection, domain="spam.test", severity="allow", who="admin")
        await apply_policy(
            connection,
            domain="spam.test",
            severity="suspend",
            source="https://coordination.test/trust",
            who="trust list https://coordination.test/trust",
        )
    assert await connection.fetchval(
        "SELECT count(*) FROM remote_actors WHERE host = 'spam.test'"
    ) == 1  # fmt: skip
    async with connection.transaction():
        assert await lift_policy(connection, domain="spam.test", who="admin")
    assert await connection.fetchval(
        "SELECT count(*) FROM remote_actors WHERE host = 'spam.test'"
    ) == 0  # fmt: skip
