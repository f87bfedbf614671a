"""SECURITY.md rows 9-11, 15, 17 and 18: what the activity itself says, and how much of it.

Rows 9 and 10 (origins and ownership) and 11 (JSON-LD tricks) are refused before any key is
fetched; row 15 (size, compression, nesting) before the body is even parsed. Where an activity is
accepted, the worker is waited for and the tables are checked after it ran.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from server.processing.follow_requests import follow_remote
from server.ratelimit import InboxRateLimiter, Rate
from tests.hostile import (
    AS_CONTEXT,
    EVIL,
    LIAR,
    HostileActor,
    HostileServer,
    deliver,
    encode,
    hostile_server,
    post_raw,
    processed,
    rsa_key,
    snapshot,
    start_node,
)
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until

MIB = 1024 * 1024


@dataclass
class Scene:
    node: NetworkNode
    server: HostileServer
    eve: HostileActor
    mallory: HostileActor
    vera: HostileActor

    async def know(self, *actors: HostileActor) -> None:
        for actor in actors:
            await self.node.services.actors.refresh_actor(actor.uri)
        self.server.hits.clear()


async def make_scene(
    network: LoopbackNetwork, middlewares: tuple[Any, ...] = ()
) -> AsyncIterator[Scene]:
    async with hostile_server() as server:
        node = await start_node(network, middlewares=middlewares)
        made = Scene(
            node,
            server,
            HostileActor(server, EVIL, "eve", rsa_key(0)),
            HostileActor(server, EVIL, "mallory", rsa_key(1)),
            HostileActor(server, LIAR, "vera", rsa_key(2)),
        )
        for actor in (made.eve, made.mallory, made.vera):
            actor.publish()
        yield made


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async for made in make_scene(network):
        yield made


# --- Row 9: objects on another origin than their actor ------------------------------------------


@pytest.mark.parametrize("kind", ["Create", "Update"])
@pytest.mark.parametrize(
    ("forgery", "reason"),
    [
        ("object id", "the embedded object is not on the actor's origin"),
        ("attributedTo", "the object is attributed to an actor of another origin"),
        ("attributedTo list", "the object is attributed to an actor of another origin"),
        ("attributedTo object", "the object is attributed to an actor of another origin"),
    ],
)
async def test_embedded_object_of_another_origin(
    scene: Scene, kind: str, forgery: str, reason: str
) -> None:
    await scene.know(scene.eve)
    before = await snapshot(scene.node)
    note = scene.eve.note()
    if forgery == "object id":
        note["id"] = f"{scene.vera.origin}/notes/forged"
    elif forgery == "attributedTo":
        note["attributedTo"] = scene.vera.uri
    elif forgery == "attributedTo list":
        note["attributedTo"] = [scene.eve.uri, scene.vera.uri]
    else:
        note["attributedTo"] = {"id": scene.vera.uri, "type": "Person"}

    answer = await deliver(scene.node, scene.eve, scene.eve.activity(kind, note))

    assert (answer.status, answer.error) == (400, reason)
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_activity_id_on_another_origin(scene: Scene) -> None:
    before = await snapshot(scene.node)
    create = scene.eve.activity("Create", scene.eve.note())
    create["id"] = f"{scene.vera.origin}/activities/forged"

    answer = await deliver(scene.node, scene.eve, create)

    assert (answer.status, answer.error) == (400, "the activity id is not on the actor's origin")
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_announce_keeps_only_the_id_of_a_foreign_embedded_object(scene: Scene) -> None:
    """Eve announces a note she says vera wrote: the copy is dropped, only its id is kept."""
    forged = {
        "id": f"{scene.vera.origin}/notes/1",
        "type": "Note",
        "attributedTo": scene.vera.uri,
        "content": "words vera never wrote",
    }
    announce = scene.eve.activity("Announce", forged)

    answer = await deliver(scene.node, scene.eve, announce)

    assert (answer.status, answer.error) == (202, None)
    assert await processed(scene.node, announce["id"]) == "done"
    stored = await scene.node.fetchval(
        "SELECT payload->'object' FROM inbox_activities WHERE activity_id = $1", announce["id"]
    )
    assert json.loads(stored) == forged["id"]
    assert scene.server.fetched(LIAR) == []


# --- Row 10: Update or Delete of someone else's object or actor ---------------------------------


async def test_delete_of_an_object_of_another_origin(scene: Scene) -> None:
    await scene.know(scene.eve, scene.vera)
    before = await snapshot(scene.node)
    for target in (scene.vera.uri, f"{scene.vera.origin}/notes/1", scene.node.place):
        answer = await deliver(scene.node, scene.eve, scene.eve.activity("Delete", target))
        assert (answer.status, answer.error) == (
            400,
            "an actor may only delete objects of its own origin",
        )
    assert await snapshot(scene.node) == before


async def test_delete_and_update_of_another_actor_of_the_same_origin(scene: Scene) -> None:
    await scene.know(scene.eve, scene.mallory)
    mallory_before = await scene.node.fetchval(
        "SELECT document::text FROM remote_actors WHERE uri = $1", scene.mallory.uri
    )
    delete = scene.eve.activity("Delete", scene.mallory.uri)
    update = scene.eve.activity("Update", scene.mallory.document(name="Pwned"))

    for activity in (delete, update):
        answer = await deliver(scene.node, scene.eve, activity)
        assert (answer.status, answer.error) == (202, None)
        assert await processed(scene.node, activity["id"]) == "done"

    row = await scene.node.fetchval(
        "SELECT document::text FROM remote_actors WHERE uri = $1 AND NOT gone", scene.mallory.uri
    )
    assert row == mallory_before


async def test_undo_and_accept_of_someone_elses_follow(scene: Scene) -> None:
    """Mallory follows the place and the place follows vera; eve undoes and accepts for them."""
    await scene.know(scene.eve)
    follow = scene.mallory.activity("Follow", scene.node.place)
    assert (await deliver(scene.node, scene.mallory, follow)).status == 202
    assert await processed(scene.node, follow["id"]) == "done"
    services = scene.node.services
    await services.actors.refresh_actor(scene.vera.uri)
    async with services.pool.acquire() as connection, connection.transaction():
        ours = await follow_remote(connection, services.node, "place", scene.vera.uri)
    before = await snapshot(scene.node)
    follows_before = before["follows"]

    undo = scene.eve.activity("Undo", follow["id"])
    undo_embedded = scene.eve.activity(
        "Undo",
        {
            "id": follow["id"],
            "type": "Follow",
            "actor": scene.mallory.uri,
            "object": scene.node.place,
        },
    )
    accept = scene.eve.activity("Accept", ours)
    for activity in (undo, undo_embedded, accept):
        answer = await deliver(scene.node, scene.eve, activity)
        assert (answer.status, answer.error) == (202, None)
        assert await processed(scene.node, activity["id"]) == "done"

    assert (await snapshot(scene.node))["follows"] == follows_before


# --- Row 11: JSON-LD tricks -----------------------------------------------------------------------


def jsonld_tricks(server: HostileServer) -> list[tuple[dict[str, Any], str]]:
    remote = server.url(EVIL, "/context.jsonld")
    return [
        ({"@graph": [{"type": "Delete"}]}, "$: JSON-LD keyword @graph is not accepted"),
        ({"@included": [{"type": "Note"}]}, "$: JSON-LD keyword @included is not accepted"),
        ({"@reverse": {"attributedTo": "x"}}, "$: JSON-LD keyword @reverse is not accepted"),
        (
            {"object": {"id": "x", "@graph": []}},
            "$.object: JSON-LD keyword @graph is not accepted",
        ),
        (
            {"@context": [AS_CONTEXT, {"sneaky": "@graph"}]},
            "$.@context[1].sneaky: a term aliasing @graph is not accepted",
        ),
        # A context URL is never fetched, even beside a refused keyword (unknown contexts alone
        # are accepted: tests/test_liberal_input.py).
        (
            {"@context": [AS_CONTEXT, remote, {"@import": remote}], "@graph": []},
            "$: JSON-LD keyword @graph is not accepted",
        ),
    ]


async def test_json_ld_tricks_are_refused_and_no_context_is_fetched(scene: Scene) -> None:
    before = await snapshot(scene.node)
    for changes, reason in jsonld_tricks(scene.server):
        activity = {**scene.eve.activity("Follow", scene.node.place), **changes}
        answer = await deliver(scene.node, scene.eve, activity)
        assert (answer.status, answer.error) == (400, reason), changes
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


# --- Row 15: huge bodies, lying Content-Length, gzip bombs, deep nesting --------------------------


async def test_body_over_one_mebibyte(scene: Scene) -> None:
    before = await snapshot(scene.node)
    note = scene.eve.note(content="x" * MIB)
    body = encode(scene.eve.activity("Create", note))
    headers = scene.eve.sign(f"{scene.node.base}/inbox", body)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (413, f"the request body exceeds {MIB} bytes")
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def raw_exchange(
    node: NetworkNode, head: str, body: bytes, rest: bytes = b""
) -> tuple[int, str]:
    """Send a hand-written request, read the first answer, then send `rest` on the same socket."""
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        length = 0
        while (line := await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        answer = await asyncio.wait_for(reader.readexactly(length), 10)
        writer.write(rest)
        await writer.drain()
        return int(status_line.split()[1]), answer.decode()
    finally:
        writer.close()


async def test_declared_oversize_body_is_refused_without_waiting_for_it(scene: Scene) -> None:
    """Content-Length says 2 MiB, a few bytes come and the sender waits: 413 at once."""
    before = await snapshot(scene.node)
    head = (
        f"POST /inbox HTTP/1.1\nHost: {scene.node.settings.domain}\n"
        f"Content-Type: application/activity+json\nContent-Length: {2 * MIB}\n"
    )

    status, answer = await raw_exchange(scene.node, head, b'{"type": "Follow"')

    assert (status, json.loads(answer)) == (413, {"error": f"the request body exceeds {MIB} bytes"})
    assert await snapshot(scene.node) == before


async def test_lying_short_content_length(scene: Scene) -> None:
    """Content-Length covers 20 bytes of a longer body: only those are read, and refused."""
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(f"{scene.node.base}/inbox", body)
    head = (
        "POST /inbox HTTP/1.1\nContent-Type: application/activity+json\nContent-Length: 20\n"
    ) + "".join(f"{name}: {value}\n" for name, value in headers.items())
    with pytest.raises(json.JSONDecodeError) as truncated:
        json.loads(body[:20])

    # The rest arrives after the answer: the node has already judged the 20 bytes alone.
    status, answer = await raw_exchange(scene.node, head, body[:20], rest=body[20:])
    assert (status, json.loads(answer)) == (
        400,
        {"error": f"body is not valid JSON ({truncated.value})"},
    )
    # All at once: the surplus is not a request, and the parser refuses the connection.
    status, answer = await raw_exchange(scene.node, head, body)
    assert status == 400
    assert answer.startswith("Invalid method encountered")
    assert await snapshot(scene.node) == before


async def test_gzip_bomb(scene: Scene) -> None:
    before = await snapshot(scene.node)
    padding = b" " * (64 * MIB)
    bomb = gzip.compress(
        encode(scene.eve.activity("Follow", scene.node.place))[:-1] + padding + b"}"
    )
    assert len(bomb) < 100 * 1024
    headers = {**scene.eve.sign(f"{scene.node.base}/inbox", bomb), "Content-Encoding": "gzip"}

    answer = await post_raw(scene.node, "/inbox", bomb, headers)

    assert (answer.status, answer.error) == (413, f"the request body exceeds {MIB} bytes")
    assert await snapshot(scene.node) == before


@pytest.mark.parametrize("depth", [40, 5_000, 100_000])
async def test_deep_nesting(scene: Scene, depth: int) -> None:
    before = await snapshot(scene.node)
    activity = scene.eve.activity("Follow", scene.node.place)
    nested = '{"a":' * depth + "1" + "}" * depth
    body = encode(activity)[:-1] + b', "tag": ' + nested.encode() + b"}"
    assert len(body) < MIB
    headers = scene.eve.sign(f"{scene.node.base}/inbox", body)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert answer.status == 400
    assert answer.error is not None
    assert answer.error == f"JSON nesting depth {depth + 1} exceeds the limit of 32"
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_too_many_keys(scene: Scene) -> None:
    before = await snapshot(scene.node)
    activity = {
        **scene.eve.activity("Follow", scene.node.place),
        "tag": [{"k": index} for index in range(20_000)],
    }

    answer = await deliver(scene.node, scene.eve, activity)

    assert (answer.status, answer.error) == (400, "JSON has more than 10000 keys")
    assert await snapshot(scene.node) == before


async def test_a_nul_character_is_a_400_and_stores_nothing(scene: Scene) -> None:
    before = await snapshot(scene.node)
    activity = {**scene.eve.activity("Follow", scene.node.place), "summary": "a\u0000b"}

    answer = await deliver(scene.node, scene.eve, activity)

    assert (answer.status, answer.error) == (400, "$.summary: a string holds the character U+0000")
    assert await snapshot(scene.node) == before


# --- Row 18: amplification ------------------------------------------------------------------------


async def test_activity_naming_hundreds_of_unknown_objects_fetches_none(scene: Scene) -> None:
    await scene.know(scene.eve)
    unknown = [f"{scene.eve.origin}/notes/{index}" for index in range(300)]
    foreign = [f"{scene.vera.origin}/notes/{index}" for index in range(300)]
    announce = scene.eve.activity(
        "Announce", unknown, to=foreign, cc=unknown, tag=[{"href": url} for url in foreign]
    )

    answer = await deliver(scene.node, scene.eve, announce)

    assert (answer.status, answer.error) == (202, None)
    assert await processed(scene.node, announce["id"]) == "done"
    assert scene.server.hits == []


# --- Row 17: inbox flooding (the limiter on a running node) --------------------------------------


async def test_flood_from_one_origin_gets_429_with_retry_after(network: LoopbackNetwork) -> None:
    limiter = InboxRateLimiter(
        origin_rate=Rate(per_second=0.01, burst=3), client_rate=Rate(per_second=0.01, burst=50)
    )
    async for scene in make_scene(network, middlewares=(limiter,)):
        statuses = []
        for _ in range(5):
            follow = scene.eve.activity("Follow", scene.node.place)
            answer = await deliver(scene.node, scene.eve, follow)
            statuses.append(answer.status)
        assert statuses == [202, 202, 202, 429, 429]
        assert (
            answer.error == f"too many requests from {scene.eve.uri.split('/')[2]}; retry in 100 s"
        )
        assert answer.headers["Retry-After"] == "100"
        stored = await scene.node.fetchval("SELECT count(*) FROM inbox_activities")
        assert stored == 3

        # Forged requests naming vera's host are charged to the sender's address, not to vera.
        for _ in range(10):
            body = encode(scene.vera.activity("Follow", scene.node.place))
            headers = scene.eve.sign(f"{scene.node.base}/inbox", body, key_id=scene.vera.key_id)
            forged = await post_raw(scene.node, "/inbox", body, headers)
            assert forged.status == 401
        genuine = await deliver(
            scene.node, scene.vera, scene.vera.activity("Follow", scene.node.place)
        )
        assert (genuine.status, genuine.error) == (202, None)


async def test_slow_senders_hit_the_concurrency_limit(network: LoopbackNetwork) -> None:
    limiter = InboxRateLimiter(max_in_flight_per_client=2)
    async for scene in make_scene(network, middlewares=(limiter,)):
        head = (
            f"POST /inbox HTTP/1.1\r\nHost: {scene.node.settings.domain}\r\n"
            "Content-Type: application/activity+json\r\nContent-Length: 1000\r\n\r\n{"
        ).encode()
        held = []
        for _ in range(2):
            _, writer = await asyncio.open_connection("127.0.0.1", scene.node.port)
            writer.write(head)
            await writer.drain()
            held.append(writer)

        async def both_in_flight() -> bool:
            return limiter._in_flight.get("127.0.0.1", 0) == 2

        await wait_until(both_in_flight, what="two slow requests in flight")
        answer = await deliver(
            scene.node, scene.eve, scene.eve.activity("Follow", scene.node.place)
        )
        assert (answer.status, answer.error) == (
            503,
            "too many concurrent requests from 127.0.0.1; retry in 1 s",
        )
        assert answer.headers["Retry-After"] == "1"
        for writer in held:
            writer.close()

        async def released() -> bool:
            return "127.0.0.1" not in limiter._in_flight

        await wait_until(released, what="the slow requests to end")
        answer = await deliver(
            scene.node, scene.eve, scene.eve.activity("Follow", scene.node.place)
        )
        assert (answer.status, answer.error) == (202, None)
