"""The inbox's group commit: concurrent activities share a write, each learns its own outcome."""

from __future__ import annotations

import asyncio

import asyncpg

from server.processing.inbox_writer import InboxWriter
from server.storage.inbox import IncomingActivity


def activity(number: int, *, alive_host: str | None = None) -> IncomingActivity:
    activity_id = f"https://a.example/activities/{number}"
    return IncomingActivity(
        origin="https://a.example",
        activity_id=activity_id,
        activity_type="Create",
        actor_uri="https://a.example/actor",
        recipient=None,
        payload={"id": activity_id, "type": "Create", "content": f"n° {number} < 2 & «ok»"},
        alive_host=alive_host,
    )


async def test_concurrent_activities_are_written_in_fewer_statements_and_all_kept(
    pool: asyncpg.Pool,
) -> None:
    writer = InboxWriter(pool)
    outcomes = await asyncio.gather(*(writer.store(activity(n)) for n in range(300)))
    assert outcomes == [True] * 300
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT activity_id, payload->>'content' AS content, state, "
            "xmin::text AS transaction FROM inbox_activities"
        )
    # One transaction a write: the 300 rows came in far fewer than 300.
    assert len({row["transaction"] for row in rows}) < 30
    assert len(rows) == 300
    assert {row["state"] for row in rows} == {"pending"}
    assert "n° 7 < 2 & «ok»" in {row["content"] for row in rows}


async def test_duplicates_in_one_batch_and_across_batches_are_stored_once(
    pool: asyncpg.Pool,
) -> None:
    writer = InboxWriter(pool)
    assert await writer.store(activity(1)) is True
    outcomes = await asyncio.gather(
        writer.store(activity(1)), writer.store(activity(2)), writer.store(activity(2))
    )
    assert outcomes == [False, True, False]
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM inbox_activities") == 2


async def test_an_activity_the_database_refuses_fails_alone(pool: asyncpg.Pool) -> None:
    writer = InboxWriter(pool)
    # The inbox refuses U+0000 with a 400 before this; here it stands for any row the database
    # refuses, arriving in the same batch as good ones.
    broken = IncomingActivity(
        origin="https://a.example",
        activity_id="https://a.example/activities/bad",
        activity_type="Create",
        actor_uri="https://a.example/actor",
        recipient=None,
        payload={"text": "\x00 is not storable in jsonb"},
    )
    outcomes = await asyncio.gather(
        writer.store(activity(1)),
        writer.store(broken),
        writer.store(activity(2)),
        return_exceptions=True,
    )
    assert outcomes[0] is True
    assert isinstance(outcomes[1], asyncpg.PostgresError)
    assert outcomes[2] is True
    async with pool.acquire() as connection:
        stored = await connection.fetch("SELECT activity_id FROM inbox_activities")
    assert sorted(row["activity_id"] for row in stored) == [
        "https://a.example/activities/1",
        "https://a.example/activities/2",
    ]
    # The writer goes on: the next activity is written.
    assert await writer.store(activity(3)) is True


async def test_a_signed_request_closes_the_circuit_of_its_host(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO remote_hosts (host, consecutive_failures, circuit_open_until) "
            "VALUES ('a.example', 5, now() + interval '1 hour')"
        )
    writer = InboxWriter(pool)
    assert await writer.store(activity(1, alive_host="a.example")) is True
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT consecutive_failures, circuit_open_until FROM remote_hosts "
            "WHERE host = 'a.example'"
        )
    assert row is not None
    assert (row["consecutive_failures"], row["circuit_open_until"]) == (0, None)


async def test_one_activity_after_another_each_gets_its_own_write(pool: asyncpg.Pool) -> None:
    writer = InboxWriter(pool)
    for number in range(3):
        assert await writer.store(activity(number)) is True
