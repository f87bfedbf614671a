"""History pruning: processed inbox activities, finished deliveries, stream items and answers to
repeated requests older than `history_days` go; what is still to do stays whatever its age, and so
does the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from server.config import ConfigError, load_settings
from server.processing.retention import prune_history
from server.storage import outbox, stream
from server.workers.retention import prune_periodically
from tests.support import wait_until

OUR = "https://mende.test"
KEEP = timedelta(days=30)
OLD, RECENT = timedelta(days=40), timedelta(days=10)
STATES = ("done", "failed", "pending")


def named(state: str, age: timedelta) -> str:
    return f"{state} {age.days} days"


async def received(connection: asyncpg.Connection, name: str, state: str, age: timedelta) -> None:
    await connection.execute(
        "INSERT INTO inbox_activities (origin, activity_id, activity_type, actor_uri, payload, "
        "state, received_at, processed_at) VALUES ('https://florac.test', $1, 'Create', "
        "'https://florac.test/actors/place', '{}', $2, now() - $3::interval, "
        "CASE WHEN $2 = 'done' THEN now() - $3::interval END)",
        name,
        state,
        age,
    )


async def delivered(connection: asyncpg.Connection, name: str, state: str, age: timedelta) -> int:
    outbox_id: int = await outbox.store_published(
        connection, f"{OUR}/activities/{name}", "place", "Create", True, {"id": name}
    )
    await outbox.add_deliveries(connection, outbox_id, {"https://florac.test/inbox": "florac.test"})
    await connection.execute(
        "UPDATE deliveries SET state = $2, created_at = now() - $3::interval, "
        "finished_at = CASE WHEN $2 <> 'pending' THEN now() - $3::interval END "
        "WHERE outbox_id = $1",
        outbox_id,
        state,
        age,
    )
    return outbox_id


async def answered(
    connection: asyncpg.Connection, name: str, outbox_id: int, age: timedelta
) -> None:
    """The answer to a blocked actor's request, sent as that delivery (answer_repeats)."""
    await connection.execute(
        "INSERT INTO answered_requests (recipient, asked, answer, outbox_id, answered_at) "
        "VALUES ('https://florac.test/actors/eve', $1, 'Reject', $2, now() - $3::interval)",
        name,
        outbox_id,
        age,
    )


async def shown(connection: asyncpg.Connection, name: str, age: timedelta) -> None:
    await stream.append(connection, "event", {"id": name}, local=True, place=None)
    await connection.execute(
        "UPDATE stream_events SET created_at = now() - $2::interval WHERE data->>'id' = $1",
        name,
        age,
    )


async def history(connection: asyncpg.Connection) -> dict[str, set[str]]:
    inbox_rows = await connection.fetch("SELECT activity_id FROM inbox_activities")
    delivery_rows = await connection.fetch(
        "SELECT o.payload->>'id' AS name FROM deliveries d JOIN outbox_activities o "
        "ON o.id = d.outbox_id"
    )
    stream_rows = await connection.fetch("SELECT data->>'id' AS name FROM stream_events")
    outbox_rows = await connection.fetch("SELECT payload->>'id' AS name FROM outbox_activities")
    answer_rows = await connection.fetch("SELECT asked FROM answered_requests")
    return {
        "answered": {row["asked"] for row in answer_rows},
        "inbox": {row["activity_id"] for row in inbox_rows},
        "deliveries": {row["name"] for row in delivery_rows},
        "stream": {row["name"] for row in stream_rows},
        "outbox": {row["name"] for row in outbox_rows},
    }


async def a_node_that_ran_for_a_while(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "INSERT INTO local_actors (name, kind, display_name) VALUES ('place', 'Group', 'Mende')"
    )
    for state in STATES:
        for age in (OLD, RECENT):
            await received(connection, named(state, age), state, age)
            outbox_id = await delivered(connection, named(state, age), state, age)
            await answered(connection, named(state, age), outbox_id, age)
    for index in range(5):
        await shown(connection, f"old {index}", OLD)
    await shown(connection, "recent", RECENT)


KEPT: dict[str, set[str]] = {
    # Past the window of repeats an answer is forgotten, unless it still waits for delivery.
    "answered": {"done 10 days", "failed 10 days", "pending 40 days", "pending 10 days"},
    "inbox": {"done 10 days", "failed 10 days", "pending 40 days", "pending 10 days"},
    "deliveries": {"done 10 days", "failed 10 days", "pending 40 days", "pending 10 days"},
    "stream": {"recent"},
    # The outbox is the actors' public collection: it keeps everything.
    "outbox": {named(state, age) for state in STATES for age in (OLD, RECENT)},
}


async def test_what_is_older_than_the_history_goes_and_what_is_to_do_stays(
    connection: asyncpg.Connection, pool: asyncpg.Pool
) -> None:
    await a_node_that_ran_for_a_while(connection)
    # Batches of two: the five old stream items take three rounds.
    pruned = await prune_history(pool, KEEP, limit=2)
    assert (pruned.inbox_activities, pruned.deliveries, pruned.stream_items) == (2, 2, 5)
    assert pruned.answered_requests == 2
    assert await history(connection) == KEPT
    again = await prune_history(pool, KEEP, limit=2)
    assert again.total == 0


async def test_the_workers_prune_as_they_start(
    connection: asyncpg.Connection, pool: asyncpg.Pool
) -> None:
    await a_node_that_ran_for_a_while(connection)
    stop = asyncio.Event()
    task = asyncio.create_task(prune_periodically(pool, stop, keep_days=30))
    try:

        async def pruned() -> bool:
            return await history(connection) == KEPT

        await wait_until(pruned, what="the old history to go")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("value", ["0", "0.5", "forever", "5000"])
def test_a_bad_history_length_is_named(
    node_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("MAILLAGE_HISTORY_DAYS", value)
    with pytest.raises(ConfigError, match=r"history_days \(MAILLAGE_HISTORY_DAYS\)"):
        load_settings(node_dir)
