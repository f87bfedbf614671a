"""A fetch of an actor that an Update overtakes must not undo the Update.

Fetching an actor takes a network round trip; an Update of the same actor processed meanwhile
stores a newer document. Before, the fetch stored what it had read over it, and a neighbour's
renamed place went back to its old name until the next refresh (seen as a race in
`test_place_profile` under load).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from schemas.actors import Group
from schemas.parse import parse_actor
from server.processing.directory import remember_place
from server.processing.place_profile import keep_place
from server.processing.remote_actors import actor_from_document
from server.storage.remote_actors import save_remote_actor
from tests.hostile import EVIL, HostileActor, HostileServer, hostile_server, rsa_key, start_node
from tests.network import LoopbackNetwork, NetworkNode

AP_TYPE = "application/activity+json"


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[tuple[NetworkNode, HostileServer]]:
    async with hostile_server() as server:
        node = await start_node(network, development=True)
        yield node, server


async def display_name(node: NetworkNode, uri: str) -> str | None:
    name: str | None = await node.fetchval(
        "SELECT display_name FROM remote_actors WHERE uri = $1", uri
    )
    return name


def held_document(
    server: HostileServer, eve: HostileActor, document: dict[str, object]
) -> tuple[asyncio.Event, asyncio.Event]:
    """Serve `document` at eve's id, but only once `release` is set; `asked` says it was asked."""
    asked, release = asyncio.Event(), asyncio.Event()

    async def answer(request: web.Request) -> web.StreamResponse:
        asked.set()
        await release.wait()
        return web.Response(body=json.dumps(document).encode(), headers={"Content-Type": AP_TYPE})

    server.route(EVIL, f"/actors/{eve.name}", answer)
    return asked, release


async def store_update(node: NetworkNode, eve: HostileActor, name: str) -> None:
    """What processing eve's Update of herself stores (`PlaceActorHandlers.updated`)."""
    document = eve.document(name=name)
    actor, keys = actor_from_document(eve.uri, document)
    async with node.pool.acquire() as connection, connection.transaction():
        await save_remote_actor(connection, actor, document, keys)


async def test_an_update_processed_during_a_fetch_is_kept(
    scene: tuple[NetworkNode, HostileServer],
) -> None:
    node, server = scene
    eve = HostileActor(server, EVIL, "eve", rsa_key(0))
    eve.publish(name="Eve, first")
    directory = node.services.actors
    await directory.refresh_actor(eve.uri)
    assert await display_name(node, eve.uri) == "Eve, first"

    asked, release = held_document(server, eve, eve.document(name="Eve, as fetched"))
    refresh = asyncio.create_task(directory.refresh_actor(eve.uri))
    await asyncio.wait_for(asked.wait(), timeout=30)
    await store_update(node, eve, "Eve, updated")
    release.set()
    fetched = await asyncio.wait_for(refresh, timeout=30)

    assert fetched.display_name == "Eve, as fetched"  # what the fetch read is still answered
    assert await display_name(node, eve.uri) == "Eve, updated"


async def test_a_fetch_nothing_overtook_is_stored(
    scene: tuple[NetworkNode, HostileServer],
) -> None:
    node, server = scene
    eve = HostileActor(server, EVIL, "eve", rsa_key(0))
    eve.publish(name="Eve, first")
    directory = node.services.actors
    await directory.refresh_actor(eve.uri)
    await store_update(node, eve, "Eve, updated")

    eve.publish(name="Eve, refetched")
    await directory.refresh_actor(eve.uri)
    assert await display_name(node, eve.uri) == "Eve, refetched"


async def test_a_place_updated_after_its_fetch_was_stored_keeps_the_update(
    scene: tuple[NetworkNode, HostileServer],
) -> None:
    """The directory's listener runs after the fetched document is stored; an Update processed
    in between must win there too, not only in `remote_actors`."""
    node, server = scene
    eve = HostileActor(server, EVIL, "eve", rsa_key(0))
    first = eve.document(type="Group", name="Place, as fetched")
    await node.fetchval(
        "INSERT INTO follows (follower, followed, follow_activity_id, state) "
        "VALUES ($1, $2, $3, 'accepted')",
        node.place,
        eve.uri,
        f"{node.place}#follow-eve",
    )
    updated = eve.document(type="Group", name="Place, updated")
    actor, keys = actor_from_document(eve.uri, updated)
    async with node.pool.acquire() as connection, connection.transaction():
        await save_remote_actor(connection, actor, updated, keys)
        group = parse_actor(updated)
        assert isinstance(group, Group)
        assert await keep_place(connection, eve.uri, group)

    await remember_place(node.pool, eve.uri, first)  # the fetch's listener, running late

    name = await node.fetchval(
        "SELECT name FROM remote_place_profiles WHERE actor_uri = $1", eve.uri
    )
    assert name == "Place, updated"
