"""Suggestions are read again on a schedule: a place a neighbour follows after we followed it gets
suggested too; and with several workers on one database each neighbour is refreshed once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from server.storage import directory, follows
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_directory import CEVENNES, VILLEFORT, follows_accepted, places, set_profile

REFRESH_HOURS = 1 / 1800  # two seconds


async def suggested(node: NetworkNode, uri: str) -> dict[str, Any] | None:
    found = [place for place in await places(node) if place["id"] == uri]
    return found[0] if found and found[0]["relation"] == "suggested" else None


async def backfilled(node: NetworkNode, followed: str) -> bool:
    state = await node.fetchval("SELECT state FROM backfill_jobs WHERE followed = $1", followed)
    return state == "done"


async def test_a_place_a_neighbour_follows_later_is_suggested_after_the_refresh(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    villefort = await network.add("villefort")
    cevennes = await network.add("cevennes")
    mende.settings = mende.settings.model_copy(update={"suggestions_refresh_hours": REFRESH_HOURS})
    await network.start_all()
    await set_profile(villefort, VILLEFORT)
    await set_profile(cevennes, CEVENNES)

    # Mende follows Villefort, which follows nobody yet: the accept-time read suggests nothing.
    await follows_accepted(mende, villefort)
    await wait_until(lambda: backfilled(mende, villefort.place), what="the backfill")
    assert await suggested(mende, cevennes.place) is None

    # Villefort follows Cévennes afterwards; nothing tells Mende, but the refresh finds it.
    await follows_accepted(villefort, cevennes)
    found = await wait_until(
        lambda: suggested(mende, cevennes.place), within=30, what="cevennes suggested on mende"
    )
    assert found["suggested_by"] == [villefort.place]


async def blocked_on_a_lock(watcher: asyncpg.Connection, pid: int) -> bool:
    waiting = await watcher.fetchval(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
    )
    return bool(waiting == "Lock")


async def test_two_workers_claim_each_due_neighbour_once(database_url: str) -> None:
    place = "https://mende.test/actors/place"
    neighbours = ["https://florac.test/actors/place", "https://villefort.test/actors/place"]
    first, second, watcher = [await asyncpg.connect(database_url) for _ in range(3)]
    try:
        for number, neighbour in enumerate(neighbours):
            await follows.record_follow(first, place, neighbour, f"{place}#f{number}", "accepted")
        await follows.record_follow(first, place, "https://pending.test/a", "f-p", "pending")
        transaction = first.transaction()
        await transaction.start()
        claimed = await directory.claim_due_refreshes(first, place, 3600, 10)
        assert sorted(claimed) == neighbours
        # The other worker waits on the first one's claim, then finds nothing due.
        racing = asyncio.create_task(directory.claim_due_refreshes(second, place, 3600, 10))
        await wait_until(
            lambda: blocked_on_a_lock(watcher, second.get_server_pid()), what="the second claim"
        )
        await transaction.commit()
        assert await racing == []
        assert await directory.claim_due_refreshes(second, place, 3600, 10) == []
        # Once the interval has passed, a neighbour is due again; the limit takes the oldest.
        await first.execute(
            "UPDATE suggestion_refreshes SET refreshed_at = now() - interval '2 hours' "
            "WHERE neighbour = $1",
            neighbours[1],
        )
        await first.execute(
            "UPDATE suggestion_refreshes SET refreshed_at = now() - interval '1 hour 30 minutes' "
            "WHERE neighbour = $1",
            neighbours[0],
        )
        assert await directory.claim_due_refreshes(second, place, 3600, 1) == [neighbours[1]]
        assert await directory.claim_due_refreshes(second, place, 3600, 1) == [neighbours[0]]
    finally:
        for connection in (first, second, watcher):
            await connection.close()
