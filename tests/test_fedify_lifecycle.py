"""The ends of relations with the Fedify peers, in each generation and mode: a Join refused when
the event is full (Reject), our deletion of an event, and Unfollow both ways."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from server.processing.neighbours import follow_neighbour, unfollow_neighbour
from tests import fedify_peer
from tests.fedify_peer import Entry, FedifyPeerFactory, PeerMode, activity
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_fedify import participant_state
from tests.test_events_network import publish_event
from tests.test_fedify_interop import (
    follow_state,
    localhost_node,
    peer_follows_our_place,
    sent_activity,
)

fedify_install = fedify_peer.fedify_install
fedify_peer_factory = fedify_peer.fedify_peer_factory
peer_mode = fedify_peer.peer_mode

pytestmark = pytest.mark.slow

FUTURE = {"start_time": "2030-05-02T18:00:00", "end_time": "2030-05-02T20:00:00"}


async def answer_to(node: NetworkNode, kind: str, participant: str) -> str | None:
    """The id of our `kind` (Accept or Reject) of a Join by `participant`, once sent."""
    found: str | None = await node.fetchval(
        "SELECT activity_id FROM outbox_activities WHERE activity_type = $1"
        " AND payload->'object'->>'type' = 'Join' AND payload->'object'->>'actor' = $2",
        kind,
        participant,
    )
    return found


def with_id(activity_id: str) -> Callable[[Entry], bool]:
    def matches(entry: Entry) -> bool:
        return entry.get("id") == activity_id

    matches.__name__ = activity_id
    return matches


async def test_a_full_event_accepts_one_peer_and_rejects_the_other(
    network: LoopbackNetwork, fedify_peer_factory: FedifyPeerFactory, peer_mode: PeerMode
) -> None:
    node = await localhost_node(network, "mende")
    await network.start_all()
    alice, bob = await asyncio.gather(
        fedify_peer_factory(name="alice", spec=peer_mode.spec, secure=peer_mode.secure),
        fedify_peer_factory(name="bob", spec=peer_mode.spec, secure=peer_mode.secure),
    )
    token = await log_in(node)
    event = await publish_event(node, token, maximum_attendee_capacity=1, **FUTURE)

    await alice.join(event["ap_id"])
    accept = await wait_until(lambda: answer_to(node, "Accept", alice.actor_id), what="Accept")
    assert await participant_state(node, alice.actor_id) == "accepted"
    await alice.wait_for_activity(with_id(accept), what="our Accept in alice's log")

    await bob.join(event["ap_id"])
    reject = await wait_until(lambda: answer_to(node, "Reject", bob.actor_id), what="Reject")
    logged = await bob.wait_for_activity(with_id(reject), what="our Reject in bob's log")
    assert logged["type"] == "Reject"
    assert logged["actor"] == node.place
    assert (await sent_activity(node, reject))["object"]["object"] == event["ap_id"]
    assert await participant_state(node, bob.actor_id) != "accepted"


async def test_our_deletion_and_unfollows_both_ways_reach_the_peer(
    network: LoopbackNetwork, fedify_peer_factory: FedifyPeerFactory, peer_mode: PeerMode
) -> None:
    node = await localhost_node(network, "mende")
    await network.start_all()
    peer = await fedify_peer_factory(name="carol", spec=peer_mode.spec, secure=peer_mode.secure)
    await peer_follows_our_place(node, peer)
    token = await log_in(node)

    # Our event reaches the peer, then its deletion does.
    event = await publish_event(node, token, **FUTURE)

    def our_create(entry: Entry) -> bool:
        target = entry["json"].get("object")
        return (
            entry.get("type") == "Create"
            and isinstance(target, dict)
            and (target.get("id") == event["ap_id"])
        )

    await peer.wait_for_activity(our_create, what="our Create{Event}")
    status, _ = await call(node, "DELETE", f"/api/v1/events/{event['id']}", token=token)
    assert status == 204

    async def our_delete() -> str | None:
        found: str | None = await node.fetchval(
            "SELECT activity_id FROM outbox_activities WHERE activity_type = 'Delete'"
        )
        return found

    delete_id = await wait_until(our_delete, what="our Delete in our outbox")
    deleted = await peer.wait_for_activity(with_id(delete_id), what="our Delete in the log")
    assert deleted["actor"] == node.place
    target = deleted["json"]["object"]
    assert (target["id"] if isinstance(target, dict) else target) == event["ap_id"]

    # The peer unfollows our place: it is no longer among our followers.
    await peer.unfollow(node.handle)

    async def unfollowed() -> bool:
        return await follow_state(node, peer.actor_id, node.place) is None

    await wait_until(unfollowed, what="the peer's Undo{Follow} processed")

    # Our place follows the peer, then unfollows it: the peer gets our Undo.
    services = node.services
    await follow_neighbour(
        services.pool, services.node, services.actors, services.fetcher, peer.handle,
        development=True,
    )  # fmt: skip

    async def following() -> bool:
        return await follow_state(node, node.place, peer.actor_id) == "accepted"

    await wait_until(following, what="the peer's Accept")
    await unfollow_neighbour(
        services.pool, services.node, services.fetcher, peer.handle, development=True
    )
    undo = await peer.wait_for_activity(activity("Undo", actor=node.place), what="our Undo")
    inner = undo["json"]["object"]
    assert inner["type"] == "Follow"
    assert inner["actor"] == node.place
    assert inner["object"] == peer.actor_id
    assert await follow_state(node, node.place, peer.actor_id) is None
