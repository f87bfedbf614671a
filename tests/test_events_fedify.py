"""Events with the independent Fedify peer: it receives our Event and joins it; we import its
Event, then its Update and its Delete."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.processing.neighbours import follow_neighbour
from tests import fedify_peer
from tests.fedify_peer import Entry, FedifyPeerFactory, PeerMode
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import EVENT, publish_event, remote_copy
from tests.test_fedify_interop import follow_state, localhost_node, peer_follows_our_place

fedify_install = fedify_peer.fedify_install
fedify_peer_factory = fedify_peer.fedify_peer_factory
peer_mode = fedify_peer.peer_mode

pytestmark = pytest.mark.slow


async def participant_state(node: NetworkNode, participant: str) -> str | None:
    state: str | None = await node.fetchval(
        "SELECT state FROM event_participants WHERE participant = $1", participant
    )
    return state


async def accept_of(node: NetworkNode, kind: str) -> dict[str, Any] | None:
    """Our latest Accept of a `kind` activity, as sent (from our outbox)."""
    payload = await node.fetchval(
        "SELECT payload FROM outbox_activities WHERE activity_type = 'Accept'"
        " AND payload->'object'->>'type' = $1 ORDER BY id DESC LIMIT 1",
        kind,
    )
    if payload is None:
        return None
    found: dict[str, Any] = payload if isinstance(payload, dict) else json.loads(payload)
    return found


async def test_the_peer_receives_our_event_joins_it_and_is_accepted(
    network: LoopbackNetwork, fedify_peer_factory: FedifyPeerFactory, peer_mode: PeerMode
) -> None:
    node = await localhost_node(network, "mende")
    await network.start_all()
    peer = await fedify_peer_factory(name="alice", spec=peer_mode.spec, secure=peer_mode.secure)
    await peer_follows_our_place(node, peer)
    token = await log_in(node)

    created = await publish_event(node, token)
    ap_id = created["ap_id"]

    def our_create(entry: Entry) -> bool:
        return entry.get("type") == "Create" and entry["json"]["object"].get("id") == ap_id

    # Fedify verified the signature and read the activity as a Create of an Event.
    create = await peer.wait_for_activity(our_create, what="our Create{Event} in the peer's log")
    received = create["json"]["object"]
    assert received["type"] == "Event"
    assert received["name"] == EVENT["name"]
    assert received["attributedTo"] == node.place
    assert received["startTime"] == "2026-12-01T18:00:00+01:00"
    location = received["location"]
    assert location["type"] == "Place"
    assert location["latitude"] == 44.0

    # The peer fetches the Event, finds its organiser (attributedTo) and sends it a Join.
    sent = await peer.join(ap_id)
    assert sent["to"] == node.place
    assert await wait_until(lambda: participant_state(node, peer.actor_id)) == "accepted"

    our_accept_of_join = await wait_until(
        lambda: accept_of(node, "Join"), what="our Accept{Join} in our outbox"
    )
    accept = await peer.wait_for_activity(
        lambda entry: entry.get("id") == our_accept_of_join["id"],
        what="our Accept{Join} in the peer's log",
    )
    assert accept["type"] == "Accept"
    assert accept["actor"] == node.place
    join = our_accept_of_join["object"]
    assert join["id"] == sent["sent"]
    assert join["actor"] == peer.actor_id
    assert join["object"] == ap_id
    participants = await node.get_json(f"{ap_id.removeprefix(node.base)}/participants?page=1")
    assert participants["orderedItems"] == [peer.actor_id]

    await peer.leave(ap_id)

    async def left() -> bool:
        return await participant_state(node, peer.actor_id) is None

    await wait_until(left, what="the peer's Leave")


async def test_we_import_the_peers_event_its_update_and_its_delete(
    network: LoopbackNetwork, fedify_peer_factory: FedifyPeerFactory, peer_mode: PeerMode
) -> None:
    node = await localhost_node(network, "mende")
    await network.start_all()
    peer = await fedify_peer_factory(name="bob", spec=peer_mode.spec, secure=peer_mode.secure)
    services = node.services
    await follow_neighbour(
        services.pool, services.node, services.actors, services.fetcher, peer.handle,
        development=True,
    )  # fmt: skip

    async def following() -> bool:
        return await follow_state(node, node.place, peer.actor_id) == "accepted"

    await wait_until(following, what="the peer's Accept")
    fields: dict[str, Any] = {
        "type": "Event",
        "name": "Repair café",
        "content": "<p>Apportez vos objets</p>",
        "startTime": "2026-11-07T09:00:00Z",
        "endTime": "2026-11-07T12:00:00Z",
        "location": {"name": "La Recyclerie", "latitude": 44.3, "longitude": 3.6},
    }
    published = await peer.publish(**fields)

    copy = await wait_until(lambda: remote_copy(node, published["id"]), what="the peer's Event")
    assert copy["name"] == "Repair café"
    assert copy["attributed_to"] == peer.actor_id
    assert copy["start_time"] == "2026-11-07T09:00:00Z"
    assert copy["locations"][0]["name"] == "La Recyclerie"
    assert copy["locations"][0]["latitude"] == 44.3

    await peer.update(published["id"], **(fields | {"name": "Repair café (reporté)"}))

    async def renamed() -> bool:
        found = await remote_copy(node, published["id"])
        return found is not None and found["name"] == "Repair café (reporté)"

    await wait_until(renamed, what="the peer's Update")

    await peer.delete(published["id"])

    async def deleted() -> bool:
        return await remote_copy(node, published["id"]) is None

    await wait_until(deleted, what="the peer's Delete")
    status, _ = await call(node, "GET", f"/api/v1/events/{copy['id']}")
    assert status == 404
