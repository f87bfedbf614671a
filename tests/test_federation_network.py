"""Two and three real nodes on loopback: follows, delivery, discovery, collections."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from server.processing.follow_requests import follow_remote
from server.processing.neighbours import NeighbourError, follow_neighbour
from server.processing.publish import PUBLIC, publish
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until


async def follow(follower: NetworkNode, followed: NetworkNode) -> None:
    """The follower's place follows the other place, as the CLI and API do."""
    services = follower.services
    await services.actors.refresh_actor(followed.place)
    async with services.pool.acquire() as connection, connection.transaction():
        await follow_remote(connection, services.node, "place", followed.place)


async def follow_state(node: NetworkNode, follower: str, followed: str) -> str | None:
    state: str | None = await node.fetchval(
        "SELECT state FROM follows WHERE follower = $1 AND followed = $2", follower, followed
    )
    return state


async def publish_note(node: NetworkNode, text: str) -> str:
    urls = node.services.urls
    note_id = urls.object("notes", text.replace(" ", "-"))
    activity: dict[str, Any] = {
        "type": "Create",
        "to": [PUBLIC],
        "cc": [urls.followers("place")],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": node.place,
            "content": text,
            "to": [PUBLIC],
        },
    }
    async with node.pool.acquire() as connection, connection.transaction():
        await publish(connection, urls, "place", activity, to_followers=True)
    return note_id


async def accepted(node: NetworkNode, follower: str, followed: str) -> bool:
    return await follow_state(node, follower, followed) == "accepted"


async def received(node: NetworkNode, object_id: str) -> bool:
    count = await node.fetchval(
        "SELECT count(*) FROM inbox_activities WHERE payload->'object'->>'id' = $1 "
        "AND state = 'done'",
        object_id,
    )
    return bool(count)


async def test_a_place_follows_another_and_is_accepted(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()

    await follow(mende, florac)

    async def accepted_on_both() -> bool:
        return (
            await follow_state(mende, mende.place, florac.place) == "accepted"
            and await follow_state(florac, mende.place, florac.place) == "accepted"
        )

    assert await wait_until(accepted_on_both, what="the Accept to come back")
    followers = await florac.get_json("/actors/place/followers?page=1")
    assert followers["orderedItems"] == [mende.place]
    following = await mende.get_json("/actors/place/following")
    assert following["totalItems"] == 1


async def test_a_published_activity_reaches_the_follower(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the Accept")

    note = await publish_note(mende, "atelier soudure jeudi")

    assert await wait_until(lambda: received(florac, note), what="the Create on florac")
    outbox = await mende.get_json("/actors/place/outbox?page=1")
    assert any(item["object"]["id"] == note for item in outbox["orderedItems"])


async def test_manual_approval_keeps_the_follow_pending(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    villefort = await network.add("villefort", manually_approves=True)
    await network.start_all()

    await follow(mende, villefort)

    assert (
        await wait_until(
            lambda: follow_state(villefort, mende.place, villefort.place), what="the Follow"
        )
        == "pending"
    )
    assert await follow_state(mende, mende.place, villefort.place) == "pending"


async def test_person_to_place_and_person_to_person_follows(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    for node in (mende, florac):
        await node.fetchval(
            "UPDATE local_actors SET visibility = 'network' WHERE name = 'admin' RETURNING 1"
        )
    mende_admin = f"{mende.base}/actors/admin"
    florac_admin = f"{florac.base}/actors/admin"
    services = mende.services
    for target in (florac.place, florac_admin):
        await follow_neighbour(
            services.pool,
            services.node,
            services.actors,
            services.fetcher,
            target,
            development=True,
            actor_name="admin",
        )
    for target in (florac.place, florac_admin):
        await wait_until(
            lambda t=target: accepted(mende, mende_admin, t), what=f"admin following {target}"
        )
        assert await follow_state(florac, mende_admin, target) == "accepted"


async def test_a_private_person_is_invisible_and_cannot_follow(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    async with aiohttp.ClientSession() as session:
        for path in ("/actors/admin", "/actors/admin/followers"):
            async with session.get(
                f"http://127.0.0.1:{mende.port}{path}",
                headers={"Accept": "application/activity+json"},
            ) as response:
                assert response.status == 404, path
        async with session.get(
            f"http://127.0.0.1:{mende.port}/.well-known/webfinger",
            params={"resource": f"acct:admin@{mende.settings.domain}"},
        ) as response:
            assert response.status == 404
    services = mende.services
    with pytest.raises(NeighbourError, match="not shared with the network"):
        await follow_neighbour(
            services.pool,
            services.node,
            services.actors,
            services.fetcher,
            florac.place,
            development=True,
            actor_name="admin",
        )
    assert await mende.fetchval("SELECT count(*) FROM outbox_activities") == 0
