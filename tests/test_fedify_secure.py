"""Authorized fetch on both sides: our node with `authorized_fetch` on, the Fedify peer in its
secure mode (SECURE=1: its objects answer only signed GETs), with each generation of Fedify and
each first-knock signature scheme of the peer."""

from __future__ import annotations

import aiohttp
import pytest

from federation.fetcher import HttpStatus
from server.processing.neighbours import follow_neighbour
from tests import fedify_peer
from tests.fedify_peer import FedifyPeerFactory, activity
from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_fedify_interop import (
    CAVAGE,
    RFC9421,
    follow_state,
    localhost_node,
    peer_follows_our_place,
    peer_receives_our_note,
    processed,
)

fedify_install = fedify_peer.fedify_install
fedify_peer_factory = fedify_peer.fedify_peer_factory

pytestmark = pytest.mark.slow


async def unsigned_status(url: str) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers={"Accept": "application/activity+json"}) as response,
    ):
        return response.status


@pytest.mark.parametrize("spec", [RFC9421, CAVAGE])
async def test_both_sides_require_signed_fetches_and_still_federate(
    network: LoopbackNetwork, fedify_peer_factory: FedifyPeerFactory, spec: str
) -> None:
    node = await localhost_node(network, "mende")
    node.settings = node.settings.model_copy(update={"authorized_fetch": True})
    await network.start_all()
    peer = await fedify_peer_factory(name="alice", spec=spec, secure=True)
    outbox = f"{node.place}/outbox"
    assert await unsigned_status(f"http://127.0.0.1:{node.port}/actors/place/outbox") == 401

    # The peer finds our place through WebFinger (open), reads it with a signed GET, follows;
    # it checks the signatures of our Accept and Create with our place's key.
    await peer_follows_our_place(node, peer)
    await peer_receives_our_note(node, peer)
    # Its signed GETs of our documents are answered.
    collection = await peer.fetch(outbox)
    assert collection["id"] == outbox
    assert collection["totalItems"] >= 1

    # Our place follows the peer: our GETs, signed by our Application actor, reach its objects.
    services = node.services
    await follow_neighbour(
        services.pool, services.node, services.actors, services.fetcher, peer.handle,
        development=True,
    )  # fmt: skip
    await peer.wait_for_activity(activity("Follow", actor=node.place), what="our Follow")

    async def following() -> bool:
        return await follow_state(node, node.place, peer.actor_id) == "accepted"

    await wait_until(following, what="the peer's Accept")
    event = await peer.publish(
        type="Event",
        name="Atelier couture",
        startTime="2030-01-10T17:00:00Z",
        endTime="2030-01-10T19:00:00Z",
        location={"name": "La Mercerie", "latitude": 44.5, "longitude": 3.5},
    )
    await wait_until(
        lambda: processed(node, event["activity"]), what="the peer's Create{Event} processed"
    )
    signed = await services.fetcher.fetch_json_document(event["id"], sign=services.signer.sign_get)
    assert signed.data["name"] == "Atelier couture"
    with pytest.raises(HttpStatus) as refused:
        await services.fetcher.fetch_json_document(event["id"])
    assert refused.value.status == 401
