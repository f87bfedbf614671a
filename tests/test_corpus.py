"""The corpus of real-world shapes, through a real node's inbox with proper signatures.

For every server of tests/fixtures/corpus: its actor is usable (fetched, parsed, its key found)
and followable (our Follow goes to its inbox, its Accept makes the follow accepted); every
activity it sends is answered 202 and processed ("done"), or dropped on purpose (202, nothing
stored); none is refused. Events it creates land in the agenda (the events table).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.signatures import Scheme, signed_request_headers
from schemas.parse import parse_activity, parse_actor
from server.processing.follow_requests import follow_remote
from tests.corpus import FilledFixture, corpus_names, filled_fixture, path_of
from tests.foreign import Mailbox
from tests.hostile import (
    HostileServer,
    hostile_server,
    inbox_row_state,
    post_raw,
    processed,
    rsa_key,
)
from tests.network import LoopbackNetwork, NetworkNode

SERVERS = corpus_names()


def host_of(name: str) -> str:
    return f"{name}.test"


@pytest.fixture
async def server() -> AsyncIterator[HostileServer]:
    async with hostile_server() as running:
        yield running


async def corpus_node(network: LoopbackNetwork) -> NetworkNode:
    node = await network.add("mende")
    hosts = {**network.host_map(), **{host_of(name): "127.0.0.1" for name in corpus_names()}}
    node.settings = node.settings.model_copy(update={"dev_hosts": hosts})
    await node.start()
    return node


def fixture_on(server: HostileServer, name: str, place: str) -> FilledFixture:
    origin = server.url(host_of(name), "")
    return filled_fixture(name, origin, place, rsa_key(0), ed25519.Ed25519PrivateKey.generate())


def serve(server: HostileServer, fixture: FilledFixture) -> Mailbox:
    """Serve the actor and its other documents; one mailbox takes every inbox's deliveries."""
    host = host_of(fixture.name)
    server.serve_json(host, path_of(fixture.actor["id"]), fixture.actor)
    for path, document in fixture.documents.items():
        server.serve_json(host, path, document)
    box = Mailbox()
    endpoints = fixture.actor.get("endpoints") or {}
    for inbox in {fixture.actor["inbox"], endpoints.get("sharedInbox")} - {None}:
        server.route(host, path_of(inbox), box.handle)
    return box


async def send(node: NetworkNode, fixture: FilledFixture, activity: dict[str, Any]) -> Any:
    body = json.dumps(activity).encode()
    headers = signed_request_headers(
        Scheme(fixture.signature_scheme),
        "POST",
        f"{node.base}/inbox",
        body,
        key=rsa_key(0),
        key_id=fixture.key_id,
    )
    return await post_raw(node, "/inbox", body, headers)


async def follow_state(node: NetworkNode, follower: str, followed: str) -> str | None:
    state: str | None = await node.fetchval(
        "SELECT state FROM follows WHERE follower = $1 AND followed = $2", follower, followed
    )
    return state


def object_of(activity: dict[str, Any]) -> dict[str, Any]:
    target = activity.get("object")
    return target if isinstance(target, dict) else {}


@pytest.mark.parametrize("name", SERVERS)
async def test_every_shape_of_the_server_is_taken(
    network: LoopbackNetwork, server: HostileServer, name: str
) -> None:
    node = await corpus_node(network)
    fixture = fixture_on(server, name, node.place)
    mailbox = serve(server, fixture)
    actor_id = fixture.actor["id"]

    # Usable: its key found from the key id alone (as on first contact), the actor parsed.
    key = await node.services.actors.key(fixture.key_id)
    assert key.actor_uri == actor_id
    assert (await node.services.actors.actor(actor_id)).inbox == fixture.actor["inbox"]

    # Followable: our Follow reaches its inbox.
    async with node.pool.acquire() as connection, connection.transaction():
        follow_id = await follow_remote(connection, node.services.node, "place", actor_id)
    await mailbox.wait_for("Follow")

    events: set[str] = set()
    for index in range(len(fixture.activities)):
        activity = fixture.activity(index, FOLLOW=follow_id)
        kind = activity["type"]
        answer = await send(node, fixture, activity)
        assert answer.status == 202, (index, kind, answer.error)
        if await inbox_row_state(node, activity["id"]) is None:
            continue  # dropped on purpose (e.g. a Delete of something we never had)
        assert await processed(node, activity["id"]) == "done", (index, kind)
        if kind == "Accept":
            assert await follow_state(node, node.place, actor_id) == "accepted", (index, kind)
        if kind == "Follow":
            assert await follow_state(node, actor_id, node.place) == "accepted", (index, kind)
            await mailbox.wait_for("Accept")
        if kind == "Undo" and object_of(activity).get("type") == "Follow":
            assert await follow_state(node, actor_id, node.place) is None, (index, kind)
        target = object_of(activity)
        if kind in ("Create", "Update") and target.get("type") == "Event":
            name_in_agenda = await node.fetchval(
                "SELECT name FROM events WHERE ap_id = $1", target["id"]
            )
            assert name_in_agenda == target["name"], (index, kind, "not in the agenda as sent")
            status = target.get("ical:status") or target.get("status") or "CONFIRMED"
            stored_status = await node.fetchval(
                "SELECT status FROM events WHERE ap_id = $1", target["id"]
            )
            assert stored_status == status, (index, kind, "its status is lost")
            events.add(target["id"])
        deleted = target.get("id") or activity.get("object")
        if kind == "Delete" and deleted == actor_id:
            # The actor deleted itself: forgotten, and our follow of it ended.
            known = await node.fetchval(
                "SELECT count(*) FROM remote_actors WHERE uri = $1", actor_id
            )
            assert known == 0, (index, kind, "the actor deleted itself but is still known")
            assert await follow_state(node, node.place, actor_id) is None, (index, kind)
        if kind == "Delete" and deleted in events:
            gone = await node.fetchval("SELECT count(*) = 0 FROM events WHERE ap_id = $1", deleted)
            assert gone, (index, kind, "the deleted event is still in the agenda")


@pytest.mark.parametrize("name", SERVERS)
def test_every_shape_of_the_server_parses(name: str) -> None:
    fixture = filled_fixture(
        name,
        f"https://{host_of(name)}",
        "https://mende.test/actors/place",
        rsa_key(0),
        ed25519.Ed25519PrivateKey.generate(),
    )
    parse_actor(fixture.actor)
    for index in range(len(fixture.activities)):
        parse_activity(fixture.activity(index, FOLLOW="https://mende.test/activities/f"))


def test_the_corpus_covers_the_servers_of_issue_12() -> None:
    assert set(corpus_names()) >= {
        "mastodon",
        "gotosocial",
        "hollo",
        "misskey",
        "sharkey",
        "pleroma",
        "akkoma",
        "pixelfed",
        "peertube",
        "friendica",
        "lemmy",
        "mobilizon",
        "gancio",
        "wordpress",
        "wordpress-event-bridge",
        "bonfire",
        "smithereen",
    }
