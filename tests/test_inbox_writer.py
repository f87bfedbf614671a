"""The inbox's group commit: concurrent activities share a write, each learns its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

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


@pytest_asyncio.fixture(loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        yield created
    finally:
        await created.close()


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


async def test_a_failed_write_fails_every_waiting_request_and_stores_nothing(
    pool: asyncpg.Pool,
) -> None:
    writer = InboxWriter(pool)
    broken = IncomingActivity(
        origin="https://a.example",
        activity_id="https://a.example/activities/bad",
        activity_type="Create",
        actor_uri="https://a.example/actor",
        recipient=None,
        payload={"text": "\x00 is not storable in jsonb"},
    )
    outcomes = await asyncio.gather(
        writer.store(activity(1)), writer.store(broken), return_exceptions=True
    )
    assert all(isinstance(outcome, asyncpg.PostgresError) for outcome in outcomes), outcomes
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM inbox_activities") == 0
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
