"""A change of a held call that races the unfollow purging it does not bring the call back.

The unfollow ends the follow and drops the neighbour's calls in one transaction; a backfilled
or late `Update` of one of those calls, processed at the same moment, used to read the call as
still held (the purge not yet committed), skip the "is its sender followed" check, and insert it
again once the purge committed (seen as a rare failure of test_unfollow_network under load). On
real PostgreSQL, with the two transactions on two connections.
"""

from __future__ import annotations

import asyncio

import asyncpg

from server.processing import follow_requests
from server.processing.objects import Imported, NothingImported
from server.processing.open_calls import OpenCallHandlers
from server.storage import follows
from server.storage.inbox import ReceivedActivity
from tests.test_gone_neighbours import FLORAC, NODE, PLACE, add_call, add_follow, add_remote_actor

CALL = "https://florac.test/calls/1"


async def waiting_on_a_lock(watcher: asyncpg.Connection, backend: int) -> bool:
    state: str | None = await watcher.fetchval(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", backend
    )
    return state == "Lock"


async def test_an_update_racing_the_unfollow_purge_does_not_bring_the_call_back(
    connection: asyncpg.Connection, database_url: str
) -> None:
    await add_remote_actor(connection, FLORAC, f"{FLORAC}/inbox", None)
    await add_follow(connection, PLACE, FLORAC, "accepted")
    await add_call(connection, CALL, FLORAC)
    unfollowing = await asyncpg.connect(database_url)
    updating = await asyncpg.connect(database_url)
    try:
        purge = unfollowing.transaction()
        await purge.start()
        await follows.remove_follow(unfollowing, PLACE, FLORAC)
        await follow_requests.follow_ended(unfollowing, FLORAC)

        document = {"id": CALL, "type": "Page", "name": "Changed", "callKind": "volunteers"}
        payload = {"id": f"{CALL}#update", "type": "Update", "actor": FLORAC, "object": document}
        activity = ReceivedActivity(0, payload["id"], "Update", FLORAC, None, payload, 0)

        async def update() -> Imported | NothingImported:
            async with updating.transaction():
                return await OpenCallHandlers().updated(updating, NODE, activity, document)

        updated = asyncio.create_task(update())
        backend = updating.get_server_pid()
        for _ in range(500):  # bounded: the update must come to wait for the purge's lock
            if updated.done() or await waiting_on_a_lock(connection, backend):
                break
            await asyncio.sleep(0.01)
        assert not updated.done(), "the update did not wait for the purge"
        await purge.commit()
        outcome = await asyncio.wait_for(updated, timeout=30)
    finally:
        await unfollowing.close()
        await updating.close()

    assert isinstance(outcome, NothingImported), outcome
    assert await connection.fetchval("SELECT count(*) FROM open_calls WHERE uri = $1", CALL) == 0
