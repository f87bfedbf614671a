"""Unfamiliar is not hostile: what real servers send that we did not know is accepted and ignored.

Each test plays a peer shape measured against a real server (issue 12) with a hand-made actor on
the loopback hostile server, and a real node on loopback; refusals stay for SECURITY.md reasons
only (tests/test_security_payloads.py).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from server.processing.neighbours import follow_neighbour
from tests.foreign import FOREIGN_CONTEXT, GOTOSOCIAL_CONTEXT, Mailbox, mailbox_of
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
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import member


@dataclass
class Scene:
    node: NetworkNode
    server: HostileServer
    ana: HostileActor
    mailbox: Mailbox
    context_url: str  # a context on a server we can watch: proof that nobody fetched it


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async with hostile_server() as server:
        node = await start_node(network)
        ana = HostileActor(server, EVIL, "ana", rsa_key(0))
        context_url = server.url(EVIL, "/ns")
        ana.publish(**{"@context": [*FOREIGN_CONTEXT, context_url]})
        yield Scene(node, server, ana, mailbox_of(ana), context_url)


def context_fetches(scene: Scene) -> list[str]:
    return [path for path in scene.server.fetched(EVIL) if path == "/ns"]


async def follow_state(node: NetworkNode, follower: str, followed: str) -> str | None:
    state: str | None = await node.fetchval(
        "SELECT state FROM follows WHERE follower = $1 AND followed = $2", follower, followed
    )
    return state


async def test_a_follow_naming_an_unknown_context_is_accepted(scene: Scene) -> None:
    follow = scene.ana.activity(
        "Follow",
        scene.node.place,
        **{"@context": [*FOREIGN_CONTEXT, scene.context_url]},
    )

    answer = await deliver(scene.node, scene.ana, follow)

    assert (answer.status, answer.error) == (202, None)
    assert await processed(scene.node, follow["id"]) == "done"
    assert await follow_state(scene.node, scene.ana.uri, scene.node.place) == "accepted"
    [accept] = await scene.mailbox.wait_for("Accept")
    assert accept["object"]["id"] == follow["id"]
    assert context_fetches(scene) == []


async def test_an_actor_naming_an_unknown_context_can_be_followed(scene: Scene) -> None:
    services = scene.node.services

    await follow_neighbour(
        services.pool,
        services.node,
        services.actors,
        services.fetcher,
        scene.ana.uri,
        development=True,
    )

    [follow] = await scene.mailbox.wait_for("Follow")
    assert follow["object"] == scene.ana.uri
    assert await follow_state(scene.node, scene.node.place, scene.ana.uri) == "pending"
    assert context_fetches(scene) == []


@pytest.mark.parametrize(
    "context",
    [
        GOTOSOCIAL_CONTEXT,
        [GOTOSOCIAL_CONTEXT],
        [{"@import": GOTOSOCIAL_CONTEXT}, "https://www.w3.org/ns/activitystreams"],
        ["https://www.w3.org/ns/activitystreams", {"emoji": {"@context": GOTOSOCIAL_CONTEXT}}],
    ],
)
async def test_unknown_context_shapes_are_ignored(scene: Scene, context: object) -> None:
    follow = scene.ana.activity("Follow", scene.node.place, **{"@context": context})

    answer = await deliver(scene.node, scene.ana, follow)

    assert (answer.status, answer.error) == (202, None)
    assert await processed(scene.node, follow["id"]) == "done"


async def test_unknown_terms_and_types_are_ignored(scene: Scene) -> None:
    unknown_verb = scene.ana.activity(
        "EmojiReact",
        f"{scene.node.base}/events/unknown",
        content="🎉",
        interactionPolicy={"canLike": {"always": ["https://www.w3.org/ns/activitystreams#Public"]}},
        **{"@context": [*FOREIGN_CONTEXT, scene.context_url]},
    )
    unknown_object = scene.ana.activity(
        "Create",
        {**scene.ana.note(), "type": "ChatMessage", "quoteUri": "x", "_misskey_content": "y"},
        **{"@context": FOREIGN_CONTEXT},
    )
    follow_with_extras = scene.ana.activity(
        "Follow",
        scene.node.place,
        approvedBy=None,
        interactingObject={"id": "whatever", "type": "Thing"},
        **{"@context": FOREIGN_CONTEXT},
    )

    for activity in (unknown_verb, unknown_object, follow_with_extras):
        answer = await deliver(scene.node, scene.ana, activity)
        assert (answer.status, answer.error) == (202, None), activity["type"]
        assert await processed(scene.node, activity["id"]) == "done", activity["type"]

    await wait_until(
        lambda: follow_state(scene.node, scene.ana.uri, scene.node.place),
        what="the follow with unknown terms to be recorded",
    )
    assert context_fetches(scene) == []


@pytest.mark.parametrize(
    "shape",
    ["list of one id", "list of an embedded actor", "list of several"],
)
async def test_actor_as_an_array(scene: Scene, shape: str) -> None:
    ana = scene.ana.uri
    actor: list[Any] = {
        "list of one id": [ana],
        "list of an embedded actor": [{"type": "Person", "id": ana}],
        "list of several": [ana, scene.server.url(EVIL, "/actors/someone-else")],
    }[shape]
    follow = {**scene.ana.activity("Follow", scene.node.place), "actor": actor}

    answer = await deliver(scene.node, scene.ana, follow)

    assert (answer.status, answer.error) == (202, None)
    assert await processed(scene.node, follow["id"]) == "done"
    assert await follow_state(scene.node, ana, scene.node.place) == "accepted"
    # What is stored names one actor, the one that signed.
    stored = await scene.node.fetchval(
        "SELECT payload->'actor' FROM inbox_activities WHERE activity_id = $1", follow["id"]
    )
    assert json.loads(stored) == actor[0]


async def test_the_first_actor_of_an_array_must_be_the_signer(scene: Scene) -> None:
    mallory = HostileActor(scene.server, EVIL, "mallory", rsa_key(1))
    mallory.publish()
    follow = {
        **scene.ana.activity("Follow", scene.node.place),
        "actor": [mallory.uri, scene.ana.uri],
    }

    answer = await deliver(scene.node, scene.ana, follow)

    assert (answer.status, answer.error) == (
        401,
        "the signing key does not belong to the activity's actor",
    )
    assert await follow_state(scene.node, mallory.uri, scene.node.place) is None


@pytest.mark.parametrize("kind", ["as:Follow", ["Follow"], ["Follow", "https://x.example/ns#Ask"]])
async def test_type_with_a_prefix_or_as_a_list(scene: Scene, kind: object) -> None:
    follow = {**scene.ana.activity("Follow", scene.node.place), "type": kind}

    answer = await deliver(scene.node, scene.ana, follow)

    assert (answer.status, answer.error) == (202, None)
    assert await processed(scene.node, follow["id"]) == "done"
    assert await follow_state(scene.node, scene.ana.uri, scene.node.place) == "accepted"


@pytest.mark.parametrize("kind", ["as:Create", ["Create", "Thing"]])
async def test_a_type_spelt_otherwise_is_checked_as_the_type_it_is(
    scene: Scene, kind: object
) -> None:
    """The origin checks see the type the handlers act on (SECURITY.md row 9)."""
    foreign = {**scene.ana.note(), "id": scene.server.url("liar.test", "/notes/1")}
    create = {**scene.ana.activity("Create", foreign), "type": kind}

    answer = await deliver(scene.node, scene.ana, create)

    assert answer.status == 400
    assert answer.error == "the embedded object is not on the actor's origin"


async def test_a_member_joins_an_event_whose_documents_name_an_unknown_context(
    scene: Scene,
) -> None:
    """Fedify 2 and GoToSocial name their context in the event and its organiser too."""
    event_id = scene.server.url(EVIL, "/events/1")
    scene.server.serve_json(
        EVIL,
        "/events/1",
        {
            "@context": [*FOREIGN_CONTEXT, scene.context_url],
            "id": event_id,
            "type": "Event",
            "name": "Apéro",
            "startTime": "2027-01-15T18:00:00Z",
            "attributedTo": scene.ana.uri,
        },
    )
    admin = await log_in(scene.node)
    joiner = await member(scene.node, admin, "camille")

    status, body = await call(
        scene.node, "POST", "/api/v1/events/rsvp", token=joiner, body={"event": event_id}
    )

    assert (status, body) == (202, {"event": event_id, "state": "pending"})
    [join] = await scene.mailbox.wait_for("Join")
    assert join["object"] == event_id
    assert context_fetches(scene) == []
