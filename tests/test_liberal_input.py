"""Unfamiliar is not hostile: what real servers send that we did not know is accepted and ignored.

Each test plays a peer shape measured against a real server (issue 12) with a hand-made actor on
the loopback hostile server, and a real node on loopback; refusals stay for SECURITY.md reasons
only (tests/test_security_payloads.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

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
