"""A neighbour's server answers 410 Gone once its place is deleted: on a real network of nodes.

Mende follows Florac and Villefort (and Florac follows Mende). Florac's node is then replaced,
on its port, by a server that answers 410 to everything. Mende's delivery to Florac's shared
inbox changes nothing; the next one to Florac's own inbox ends Florac here as its Delete of
itself would. Villefort then goes the same way, seen when Mende fetches its actor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from server.processing.remote_actors import ActorUnavailable
from server.storage import backfill_jobs, stream
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call
from tests.test_events_network import member, publish_event
from tests.test_federation_network import accepted, follow
from tests.test_unfollow_network import (
    COMMON,
    START,
    call_titles,
    event_id,
    names_in_agenda,
    regional_network,
)


@asynccontextmanager
async def gone_in_place_of(node: NetworkNode) -> AsyncIterator[list[str]]:
    """Stop `node` and answer 410 on its port instead; yields the paths asked for."""
    asked: list[str] = []

    async def gone(request: web.Request) -> web.Response:
        asked.append(f"{request.method} {request.path}")
        return web.Response(status=410)

    await node.stop()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", gone)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", node.port, reuse_address=True).start()
    try:
        yield asked
    finally:
        await runner.cleanup()


async def delivery_states(node: NetworkNode, inbox: str) -> list[str]:
    connection_value: Any = await node.fetchval(
        "SELECT coalesce(array_agg(state ORDER BY id), '{}') FROM deliveries WHERE inbox_url = $1",
        inbox,
    )
    return list(connection_value)


async def follows_with(node: NetworkNode, actor: str) -> int:
    count: int = await node.fetchval(
        "SELECT count(*) FROM follows WHERE follower = $1 OR followed = $1", actor
    )
    return count


async def replayed_ids(node: NetworkNode, *, removed: bool = False) -> set[str]:
    """The ids a screen resuming from the start would be shown, or with `removed` told to take
    down."""
    async with node.pool.acquire() as connection:
        return {
            item.data.get("id") or item.data.get("event")
            for item in await stream.after(connection, 0)
            if (item.data.get("action") == stream.REMOVED) == removed
        }


async def test_a_neighbour_answering_410_is_gone_like_after_its_delete_of_itself(
    network: LoopbackNetwork,
) -> None:
    nodes = await regional_network(network)
    mende, florac, villefort = nodes["mende"], nodes["florac"], nodes["villefort"]
    admin = nodes["tokens"]["mende"]
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="florac's follow")
    camille = await member(mende, admin, "camille")
    soudure = await event_id(mende, "Atelier soudure")
    repair = await event_id(mende, "Repair café")
    florac_inbox = f"{florac.place}/inbox"
    florac_shared = f"{florac.base}/inbox"

    async with gone_in_place_of(florac) as asked:
        # Our new event goes to Florac's shared inbox, which answers 410: that says nothing of
        # any one actor there, so nobody is marked and nothing leaves.
        start = START.isoformat()
        await publish_event(mende, admin, **COMMON, name="Soirée jeux", start_time=start)
        await wait_until(
            lambda: _failed(mende, florac_shared), what="the delivery to florac's shared inbox"
        )
        assert await follows_with(mende, florac.place) == 2
        assert not await marked_gone(mende, florac.place)
        assert "Atelier soudure" in await names_in_agenda(mende)

        # Camille joins one of Florac's events: the Join goes to Florac's own inbox, whose 410
        # ends Florac here.
        status, body = await call(
            mende, "POST", "/api/v1/events/rsvp", token=camille, body={"event": repair}
        )
        assert status == 202, body

        async def florac_ended() -> bool:
            return await follows_with(mende, florac.place) == 0

        await wait_until(florac_ended, what="mende to end its follows with florac")
        assert f"POST {florac_inbox.removeprefix(florac.base)}" in asked

    # Florac's event and call left; the one Camille asked to join stays, as do Mende's own and
    # Villefort's, and the stream no longer replays what left.
    assert await names_in_agenda(mende) == {
        "Café numérique",
        "Repair café",
        "Marché paysan",
        "Soirée jeux",
    }
    assert await call_titles(mende) == set()
    # (That its queued deliveries are given up is shown in test_gone_neighbours.)
    assert await marked_gone(mende, florac.place)
    replayed = await replayed_ids(mende)
    assert soudure not in replayed
    assert soudure in await replayed_ids(mende, removed=True)
    assert repair in replayed

    # Villefort goes too; Mende sees it when it fetches Villefort's actor (here, following it
    # again), which answers 410: the follow is refused and Villefort's imports leave.
    assert await follows_with(mende, villefort.place) == 1
    await wait_until(lambda: _refreshed(mende, villefort.place), what="villefort's suggestions")
    async with gone_in_place_of(villefort) as asked:
        status, body = await call(
            mende, "POST", "/api/v1/neighbours", token=admin, body={"target": villefort.place}
        )
        assert status == 422, body
        assert "410" in body["error"]
        assert "GET /actors/place" in asked
    assert await follows_with(mende, villefort.place) == 0
    assert await names_in_agenda(mende) == {"Café numérique", "Repair café", "Soirée jeux"}
    assert (
        await mende.fetchval(
            "SELECT count(*) FROM suggestion_refreshes WHERE neighbour = $1", villefort.place
        )
        == 0
    )


async def _failed(node: NetworkNode, inbox: str) -> bool:
    return "failed" in await delivery_states(node, inbox)


async def _refreshed(node: NetworkNode, neighbour: str) -> bool:
    count: int = await node.fetchval(
        "SELECT count(*) FROM suggestion_refreshes WHERE neighbour = $1", neighbour
    )
    return count == 1


async def test_a_gone_neighbour_that_signs_again_is_back(network: LoopbackNetwork) -> None:
    """A 410 for a while (a server being rebuilt) is not for ever: once the neighbour's signed
    Follow comes again, it is answered, and deliveries reach it."""
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="florac's follow")

    async with gone_in_place_of(florac):
        # Mende looks Florac up (as before following it) and is told it is gone.
        with pytest.raises(ActorUnavailable):
            await mende.services.actors.refresh_actor(florac.place)
    assert await marked_gone(mende, florac.place)
    assert await follows_with(mende, florac.place) == 0

    await florac.start()
    await follow(florac, mende)
    await wait_until(
        lambda: accepted(florac, florac.place, mende.place), what="the Accept to reach florac"
    )
    assert not await marked_gone(mende, florac.place)


async def marked_gone(node: NetworkNode, actor: str) -> bool:
    return bool(await node.fetchval("SELECT gone FROM remote_actors WHERE uri = $1", actor))


async def test_a_backfill_that_finds_the_followed_actor_gone_ends_it_and_is_not_retried(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(mende, florac)
    await wait_until(lambda: accepted(mende, mende.place, florac.place), what="mende's follow")
    await wait_until(lambda: backfill_state(mende, florac.place, "done"), what="the backfill")

    async with gone_in_place_of(florac) as asked:
        # Our follow is accepted again (a repeated Accept): a new backfill reads Florac's id.
        async with mende.pool.acquire() as connection:
            await backfill_jobs.enqueue(connection, florac.place)
        await wait_until(
            lambda: backfill_state(mende, florac.place, "failed"), what="the backfill to end"
        )
        assert "GET /actors/place" in asked
    assert await marked_gone(mende, florac.place)
    assert await follows_with(mende, florac.place) == 0
    attempts = await mende.fetchval(
        "SELECT attempts FROM backfill_jobs WHERE followed = $1 AND state = 'failed'", florac.place
    )
    assert attempts == 1


async def backfill_state(node: NetworkNode, followed: str, state: str) -> bool:
    found = await node.fetchval(
        "SELECT count(*) FROM backfill_jobs WHERE followed = $1 AND state = $2", followed, state
    )
    return bool(found)
