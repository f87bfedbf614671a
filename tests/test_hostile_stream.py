"""SECURITY.md row 10 and FEDERATION.md "What is shown from whom": strangers never reach people.

The place follows eve (a place on evil.test); mallory is a stranger on the same origin, so every
origin check lets her activities through and only the rule of who is followed, and who owns
what, stands between her and the live stream, the people directory and the directory of places.
Each activity is signed and accepted (202); the worker is waited for, then the tables read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from server.processing.follow_requests import unfollow_remote
from server.processing.live_feed import stream_item
from server.storage import follows
from tests.hostile import (
    EVIL,
    HostileActor,
    HostileServer,
    deliver,
    hostile_server,
    processed,
    rsa_key,
    start_node,
)
from tests.network import LoopbackNetwork, NetworkNode
from tests.test_api_neighbours import call

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass
class Scene:
    node: NetworkNode
    server: HostileServer
    eve: HostileActor  # a place the node follows
    mallory: HostileActor  # a stranger on eve's origin
    alice: HostileActor  # a member of eve's place, whose profile eve shares

    async def send(self, actor: HostileActor, activity: dict[str, Any]) -> None:
        answer = await deliver(self.node, actor, activity)
        assert (answer.status, answer.error) == (202, None)
        assert await processed(self.node, activity["id"]) == "done"

    async def stream(self) -> list[tuple[str, dict[str, Any]]]:
        rows = await self.node.fetchval(
            "SELECT coalesce(json_agg(json_build_object('kind', kind, 'data', data) "
            "ORDER BY id), '[]')::text FROM stream_events"
        )
        return [(row["kind"], row["data"]) for row in json.loads(rows)]

    async def profile_name(self, person: str) -> str | None:
        name: str | None = await self.node.fetchval(
            "SELECT name FROM remote_profiles WHERE person = $1", person
        )
        return name


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async with hostile_server() as server:
        node = await start_node(network)
        made = Scene(
            node,
            server,
            HostileActor(server, EVIL, "eve", rsa_key(0)),
            HostileActor(server, EVIL, "mallory", rsa_key(1)),
            HostileActor(server, EVIL, "alice", rsa_key(2)),
        )
        made.eve.publish(type="Group")
        made.mallory.publish()
        made.alice.publish()
        async with node.services.pool.acquire() as connection:
            await follows.record_follow(
                connection, node.place, made.eve.uri, f"{node.place}#follows-eve", "accepted"
            )
        yield made


def person(actor: HostileActor, **changes: Any) -> dict[str, Any]:
    document = actor.document(**{"profileVisibility": "network", "skills": ["soudure"], **changes})
    document.pop("@context")
    return document


def shares(actor: HostileActor, kind: str, document: dict[str, Any]) -> dict[str, Any]:
    return actor.activity(kind, document, to=[PUBLIC])


@pytest.mark.parametrize("kind", ["Update", "Announce"])
async def test_a_strangers_person_sent_to_public_reaches_nobody(scene: Scene, kind: str) -> None:
    own = person(scene.mallory, name="Mallory", skills=["phishing"])
    other = person(scene.mallory, id=f"{scene.mallory.origin}/actors/bob", name="Bob")
    for document in (own, other):
        await scene.send(scene.mallory, shares(scene.mallory, kind, document))
    assert await scene.stream() == []
    assert await scene.node.fetchval("SELECT count(*) FROM remote_profiles") == 0
    status, people = await call(scene.node, "GET", "/api/v1/people?q=phishing")
    assert (status, people) == (200, [])

    # The same from the place we follow is shown, as FEDERATION.md says.
    await scene.send(scene.eve, shares(scene.eve, "Announce", person(scene.alice, name="Alice")))
    assert await scene.stream() == [
        (
            "profile",
            {
                "id": scene.alice.uri,
                "name": "Alice",
                "skills": ["soudure"],
                "tags": ["soudure"],
            },
        )
    ]


async def test_call_kind_on_a_person_or_a_group_makes_no_call(scene: Scene) -> None:
    forged = {"callKind": "volunteers", "callStatus": "open", "name": "Fake call"}
    await scene.send(
        scene.mallory, shares(scene.mallory, "Update", person(scene.mallory, **forged))
    )
    group = scene.eve.document(type="Group", **forged)
    group.pop("@context")
    await scene.send(scene.eve, shares(scene.eve, "Update", group))
    await scene.send(scene.eve, shares(scene.eve, "Announce", person(scene.alice, **forged)))
    kinds = [kind for kind, _ in await scene.stream()]
    # The followed place's Person is a profile (it is one), never a call.
    assert kinds == ["profile"]
    assert await scene.node.fetchval("SELECT count(*) FROM open_calls") == 0


async def test_a_stranger_of_the_same_origin_can_neither_rename_nor_remove_someone(
    scene: Scene,
) -> None:
    await scene.send(scene.eve, shares(scene.eve, "Announce", person(scene.alice, name="Alice")))
    shown = await scene.stream()
    assert [data["name"] for _, data in shown] == ["Alice"]

    pwned = person(scene.alice, name="Pwned")
    for kind in ("Update", "Announce", "Create"):
        await scene.send(scene.mallory, shares(scene.mallory, kind, pwned))
    await scene.send(scene.mallory, scene.mallory.activity("Delete", scene.alice.uri, to=[PUBLIC]))
    tombstone = {"id": scene.alice.uri, "type": "Tombstone", "formerType": "Person"}
    await scene.send(scene.mallory, scene.mallory.activity("Delete", tombstone, to=[PUBLIC]))

    assert await scene.stream() == shown  # no "Pwned", no notice of removal for alice
    assert await scene.profile_name(scene.alice.uri) == "Alice"

    # The place that shared her may take her down: the walls hear it.
    await scene.send(scene.eve, scene.eve.activity("Delete", tombstone, to=[PUBLIC]))
    assert [data.get("action") for _, data in await scene.stream()] == ["removed"]
    assert await scene.profile_name(scene.alice.uri) is None


async def test_a_group_updating_itself_is_no_place_of_the_directory(scene: Scene) -> None:
    spam = {
        "type": "Group",
        "name": "SPAM place",
        "location": {"type": "Place", "name": "SPAM", "latitude": 44.5, "longitude": 3.5},
        "services": ["fibre"],
    }
    scene.mallory.publish(**spam)  # what the node reads when it checks her signature
    document = scene.mallory.document(**spam)
    document.pop("@context")
    await scene.send(scene.mallory, shares(scene.mallory, "Update", document))
    assert await scene.node.fetchval("SELECT count(*) FROM remote_place_profiles") == 0

    # The place we follow updating itself is kept and listed.
    eve = scene.eve.document(**{**spam, "name": "Chez Eve"})
    eve.pop("@context")
    await scene.send(scene.eve, shares(scene.eve, "Update", eve))
    status, places = await call(scene.node, "GET", "/api/v1/places")
    assert status == 200, places
    listed = {place["id"]: (place["name"], place["relation"]) for place in places}
    assert listed == {scene.node.place: (listed[scene.node.place][0], "self"),
                      scene.eve.uri: ("Chez Eve", "following")}  # fmt: skip
    assert await scene.stream() == []


def test_our_own_stream_items_are_classified_by_the_objects_type_first() -> None:
    marked = {"id": "https://m/x", "callKind": "skills", "name": "X", "to": [PUBLIC]}
    person = {"type": "Announce", "to": [PUBLIC], "object": {**marked, "type": "Person"}}
    note = {"type": "Create", "to": [PUBLIC], "object": {**marked, "type": "Note"}}
    page = {"type": "Create", "to": [PUBLIC], "object": {**marked, "type": "Page"}}
    assert [(stream_item(activity) or ("none",))[0] for activity in (person, note, page)] == [
        "profile",
        "none",
        "call",
    ]


async def test_profiles_a_place_shared_leave_with_our_follow_of_it(scene: Scene) -> None:
    await scene.send(scene.eve, shares(scene.eve, "Announce", person(scene.alice, name="Alice")))
    status, people = await call(scene.node, "GET", "/api/v1/people?skill=soudure")
    assert [found["name"] for found in people] == ["Alice"]

    services = scene.node.services
    async with services.pool.acquire() as connection, connection.transaction():
        assert await unfollow_remote(connection, services.node, "place", scene.eve.uri)

    status, people = await call(scene.node, "GET", "/api/v1/people?skill=soudure")
    assert (status, people) == (200, [])
    assert await scene.profile_name(scene.alice.uri) is None
    assert [data.get("action") for _, data in await scene.stream()] == ["removed"]


async def test_only_a_follower_we_follow_shows_as_a_new_neighbour(scene: Scene) -> None:
    for actor in (scene.mallory, scene.eve):
        await scene.send(actor, actor.activity("Follow", scene.node.place))
    assert await scene.node.fetchval(
        "SELECT count(*) FROM follows WHERE followed = $1 AND state = 'accepted'", scene.node.place
    ) == 2  # fmt: skip
    assert await scene.stream() == [
        ("neighbour", {"actor": scene.eve.uri, "name": "Eve", "relation": "follows us"})
    ]
