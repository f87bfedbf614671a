"""How a remote Join is answered: the Accept embeds the Join with its audience (activitypub-express
checks it), and the seats `Update` the Join causes reaches the joiner's server once and only
after that Accept, even when the joiner also follows the place (shared and personal inbox).

The joiner is a hand-made actor on the loopback hostile server, with a shared inbox; the node is
real and delivers over loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.foreign import Mailbox
from tests.hostile import (
    EVIL,
    HostileActor,
    deliver,
    hostile_server,
    processed,
    rsa_key,
    start_node,
)
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import log_in
from tests.test_events_network import publish_event

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass
class Scene:
    node: NetworkNode
    ana: HostileActor
    mailbox: Mailbox  # ana's personal inbox and her server's shared inbox, in arrival order
    event: str


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async with hostile_server() as server:
        node = await start_node(network)
        ana = HostileActor(server, EVIL, "ana", rsa_key(0))
        mailbox = Mailbox()
        server.route(EVIL, "/actors/ana/inbox", mailbox.handle)
        server.route(EVIL, "/inbox", mailbox.handle)
        ana.publish(endpoints={"sharedInbox": server.url(EVIL, "/inbox")})
        event = (await publish_event(node, await log_in(node)))["ap_id"]
        yield Scene(node, ana, mailbox, event)


async def send(scene: Scene, kind: str, target: str, **extra: object) -> dict[str, object]:
    activity = scene.ana.activity(kind, target, **extra)
    answer = await deliver(scene.node, scene.ana, activity)
    assert (answer.status, answer.error) == (202, None)
    assert await processed(scene.node, activity["id"]) == "done"
    return activity


async def test_the_accept_embeds_the_join_with_its_audience(scene: Scene) -> None:
    join = await send(scene, "Join", scene.event, to=[scene.node.place], cc=[PUBLIC])

    [accept] = await scene.mailbox.wait_for("Accept")

    assert accept["object"] == {
        "id": join["id"],
        "type": "Join",
        "actor": scene.ana.uri,
        "object": scene.event,
        "to": [scene.node.place],
        "cc": [PUBLIC],
    }


async def test_a_join_without_audience_is_embedded_as_addressed_to_the_organiser(
    scene: Scene,
) -> None:
    await send(scene, "Join", scene.event)

    [accept] = await scene.mailbox.wait_for("Accept")

    assert accept["object"]["to"] == [scene.node.place]


async def test_a_following_participant_gets_the_seats_update_once_after_the_accept(
    scene: Scene,
) -> None:
    await send(scene, "Follow", scene.node.place)
    await scene.mailbox.wait_for("Accept")
    # The Accept of the Join meets a busy server first: retried after a second.
    scene.mailbox.refuse = [(503, {"Retry-After": "1"})]
    scene.mailbox.refuse_types = frozenset({"Accept"})

    join = await send(scene, "Join", scene.event)

    [_, accept] = await scene.mailbox.wait_for("Accept", count=2)
    assert accept["object"]["id"] == join["id"]
    [update] = await scene.mailbox.wait_for("Update")
    order = [activity["type"] for activity in scene.mailbox.received]
    assert order.index("Update") > order.index("Accept", 1), order
    assert update["object"]["participantCount"] == 1
    # Once: through the shared inbox only (no copy for her personal inbox is even queued).
    assert scene.mailbox.paths[order.index("Update")] == "/inbox"
    queued = await scene.node.fetchval(
        "SELECT count(*) FROM deliveries d JOIN outbox_activities o ON o.id = d.outbox_id "
        "WHERE o.activity_type = 'Update'"
    )
    assert queued == 1
    await wait_until(
        lambda: scene.node.fetchval("SELECT count(*) = 0 FROM deliveries WHERE state = 'pending'"),
        what="every delivery done",
    )
    assert len(scene.mailbox.of_type("Update")) == 1
