"""Interop with an independent implementation: our node and the Fedify peer, both ways.

The peers (tests/peers/fedify and fedify-2x, see tests/fedify_peer.py) are strict ActivityPub
servers built on Fedify 1 and Fedify 2; every test here runs with each. Their ids are
`http://127.0.0.1:PORT/users/NAME`; they rewrite https://localhost to http, so our node runs
under the domain `localhost:PORT` (our domain setting refuses IP literals).

1. The peer follows our place through WebFinger; we accept; it receives and verifies what our place
   publishes, with either first-knock signature scheme (RFC 9421 and draft-cavage).
2. Our place follows the peer; it accepts; we store and process its Note and Event (with a Place),
   also when the peer answers only signed GETs (authorized fetch).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from federation.fetcher import HttpStatus
from schemas.activities import Create
from schemas.events import Event
from schemas.parse import parse_activity
from schemas.places import Place
from server.processing.neighbours import follow_neighbour
from server.processing.publish import PUBLIC, publish
from tests import fedify_peer
from tests.fedify_peer import Entry, FedifyPeer, FedifyPeerFactory, PeerMode, activity
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until

# The fixtures, bound in this module so that pytest finds them (an import would trip ruff's F811).
fedify_install = fedify_peer.fedify_install
fedify_peer_factory = fedify_peer.fedify_peer_factory
peer_mode = fedify_peer.peer_mode

pytestmark = pytest.mark.slow

CAVAGE = "draft-cavage-http-signatures-12"
RFC9421 = "rfc9421"


async def localhost_node(network: LoopbackNetwork, name: str) -> NetworkNode:
    """A node under `localhost:PORT`, the one name both our domain setting and Fedify accept
    (PORT is the one network.add holds for the node, and the node listens on)."""
    node = await network.add(name, host="localhost")
    assert node.base == f"http://localhost:{node.port}"
    return node


async def follow_state(node: NetworkNode, follower: str, followed: str) -> str | None:
    state: str | None = await node.fetchval(
        "SELECT state FROM follows WHERE follower = $1 AND followed = $2", follower, followed
    )
    return state


async def publish_note(node: NetworkNode, slug: str, text: str) -> dict[str, Any]:
    """Our place publishes a public Create{Note} to its followers; returns the activity."""
    urls = node.services.urls
    activity_id = urls.activity(f"create-{slug}")
    note: dict[str, Any] = {
        "type": "Create",
        "id": activity_id,
        "to": [PUBLIC],
        "cc": [urls.followers("place")],
        "object": {
            "id": urls.object("notes", slug),
            "type": "Note",
            "attributedTo": node.place,
            "content": f"<p>{text}</p>",
            "published": "2026-01-15T10:00:00Z",
            "to": [PUBLIC],
            "cc": [urls.followers("place")],
        },
    }
    async with node.pool.acquire() as connection, connection.transaction():
        await publish(connection, urls, "place", note, to_followers=True)
    return note


async def peer_follows_our_place(node: NetworkNode, peer: FedifyPeer) -> None:
    """The peer follows `acct:place@localhost:PORT`; we accept, the peer logs our Accept."""
    sent = await peer.follow(node.handle)
    assert sent["to"] == node.place
    assert sent["inbox"].startswith(node.base)

    async def accepted() -> bool:
        return await follow_state(node, peer.actor_id, node.place) == "accepted"

    await wait_until(accepted, what="our node to accept the peer's Follow")
    accept = await peer.wait_for_activity(
        activity("Accept", actor=node.place), what="our Accept in the peer's log"
    )
    # What we sent embeds the peer's Follow. (The peer's log cannot show it with Fedify 2, which
    # re-fetches an embedded object of another origin by its id: Fedify's Follow ids are fragments
    # of the actor's id, so the log shows the actor there.)
    sent_accept = await sent_activity(node, accept["id"])
    assert sent_accept["type"] == "Accept"
    assert sent_accept["object"]["type"] == "Follow"
    assert sent_accept["object"]["actor"] == peer.actor_id
    assert sent_accept["object"]["id"] == sent["sent"]


async def sent_activity(node: NetworkNode, activity_id: str) -> dict[str, Any]:
    """An activity of ours as we sent it (the outbox keeps every one)."""
    payload = await node.fetchval(
        "SELECT payload FROM outbox_activities WHERE activity_id = $1", activity_id
    )
    assert payload is not None, f"no activity {activity_id} in our outbox"
    found: dict[str, Any] = payload if isinstance(payload, dict) else json.loads(payload)
    return found


async def peer_receives_our_note(node: NetworkNode, peer: FedifyPeer) -> Entry:
    note = await publish_note(node, f"atelier-{peer.name}", "Atelier soudure jeudi")

    def the_create(entry: Entry) -> bool:
        return entry.get("type") == "Create" and entry.get("id") == note["id"]

    # The log only lists activities whose signature Fedify verified.
    create = await peer.wait_for_activity(the_create, what="our Create{Note} in the peer's log")
    assert create["actor"] == node.place
    received = create["json"]["object"]
    assert received["type"] == "Note"
    assert received["id"] == note["object"]["id"]
    assert received["attributedTo"] == node.place
    assert received["content"] == note["object"]["content"]
    return create


async def signed_posts(peer: FedifyPeer) -> list[Entry]:
    return [hit for hit in await peer.inbox_posts() if hit["sig"] != "none"]


async def test_the_fedify_peer_follows_our_place_and_receives_what_it_publishes(
    network: LoopbackNetwork, fedify_peer_factory: FedifyPeerFactory, peer_mode: PeerMode
) -> None:
    node = await localhost_node(network, "mende")
    await network.start_all()
    spec = peer_mode.spec
    peer = await fedify_peer_factory(name="alice", spec=spec, secure=peer_mode.secure)
    peer_host = f"127.0.0.1:{peer.port}"

    await peer_follows_our_place(node, peer)
    # Our node took the peer's Follow, signed with its first-knock scheme, into its inbox.
    follow_in_inbox = await node.fetchval(
        "SELECT state FROM inbox_activities WHERE activity_type = 'Follow' AND actor_uri = $1",
        peer.actor_id,
    )
    assert follow_in_inbox == "done"
    scheme = await node.fetchval(
        "SELECT signature_scheme FROM remote_hosts WHERE host = $1", peer_host
    )
    # Our first delivery there (the Accept) offered RFC 9421, which Fedify verifies whatever
    # scheme it signs with itself: RFC 9421 is remembered for its host.
    assert scheme == RFC9421

    await peer_receives_our_note(node, peer)

    # Every POST we made to the peer carried a signature it verified (202), in the scheme we
    # remembered for its host, and it never had to refuse one.
    posts = await signed_posts(peer)
    assert posts, await peer.access()
    assert {hit["sig"] for hit in posts} == {"rfc9421"}
    assert all(hit["status"] == 202 for hit in posts), posts
    assert all(hit["sig"] != "none" for hit in await peer.inbox_posts())

    # And our deliveries to its inbox are all done: marked once the peer's 202 came back, which
    # is after the peer logged the activity, so give the node a moment to record it.
    async def all_done() -> bool:
        pending = await node.fetchval(
            "SELECT count(*) FROM deliveries WHERE host = $1 AND state <> 'done'", peer_host
        )
        return bool(pending == 0)

    await wait_until(all_done, within=5.0, what="our deliveries to the peer marked done")


async def processed(node: NetworkNode, activity_id: str) -> dict[str, Any] | None:
    row = await node.fetchval(
        "SELECT payload FROM inbox_activities WHERE activity_id = $1 AND state = 'done'",
        activity_id,
    )
    if row is None:
        return None
    payload: dict[str, Any] = row if isinstance(row, dict) else json.loads(row)
    return payload


async def test_our_place_follows_the_fedify_peer_and_takes_its_note_and_event(
    network: LoopbackNetwork, fedify_peer_factory: FedifyPeerFactory, peer_mode: PeerMode
) -> None:
    node = await localhost_node(network, "mende")
    await network.start_all()
    secure = peer_mode.secure
    peer = await fedify_peer_factory(name="bob", spec=peer_mode.spec, secure=secure)
    services = node.services

    uri = await follow_neighbour(
        services.pool,
        services.node,
        services.actors,
        services.fetcher,
        peer.handle,
        development=True,
    )
    assert uri == peer.actor_id
    # The actor was fetched (with a GET signed as our Application actor: with SECURE=1 the
    # peer's objects answer only signed GETs) and parsed.
    assert (
        await node.fetchval("SELECT inbox FROM remote_actors WHERE uri = $1", peer.actor_id)
        == f"{peer.actor_id}/inbox"
    )

    await peer.wait_for_activity(activity("Follow", actor=node.place), what="our Follow")

    async def accepted() -> bool:
        return await follow_state(node, node.place, peer.actor_id) == "accepted"

    await wait_until(accepted, what="the peer's Accept to make our follow accepted")

    note = await peer.publish(type="Note", content="<p>Bonjour de Fedify</p>")
    event = await peer.publish(
        type="Event",
        name="Atelier impression 3D",
        content="<p>Venez</p>",
        startTime="2026-12-01T17:00:00Z",
        endTime="2026-12-01T19:00:00Z",
        location={"name": "Le Bar Atelier", "latitude": 44.5181, "longitude": 3.5006},
    )

    stored_note = await wait_until(
        lambda: processed(node, note["activity"]), what="the peer's Create{Note} processed"
    )
    assert stored_note["type"] == "Create"
    assert stored_note["actor"] == peer.actor_id
    assert stored_note["object"]["id"] == note["id"]
    assert stored_note["object"]["type"] == "Note"

    stored_event = await wait_until(
        lambda: processed(node, event["activity"]), what="the peer's Create{Event} processed"
    )
    assert stored_event["actor"] == peer.actor_id
    received_event = stored_event["object"]
    assert received_event["id"] == event["id"]
    assert received_event["type"] == "Event"
    assert received_event["name"] == "Atelier impression 3D"
    location = received_event["location"]
    assert location["type"] == "Place"
    assert location["name"] == "Le Bar Atelier"
    # And our schemas read what Fedify sent: the Create, its Event and the Event's Place.
    create = parse_activity(stored_event)
    assert isinstance(create, Create)
    parsed = create.object
    assert isinstance(parsed, Event)
    assert parsed.start_time == datetime(2026, 12, 1, 17, tzinfo=UTC)
    assert parsed.end_time == datetime(2026, 12, 1, 19, tzinfo=UTC)
    assert len(parsed.location) == 1
    place = parsed.location[0]
    assert isinstance(place, Place)
    assert place.name == "Le Bar Atelier"
    assert (place.latitude, place.longitude) == (pytest.approx(44.5181), pytest.approx(3.5006))
    assert isinstance(parse_activity(stored_note), Create)

    # Our fetches are signed as our Application actor (FEP-2677): with authorized fetch the
    # peer's objects answer only those, and refuse an unsigned GET.
    signed = await services.fetcher.fetch_json_document(event["id"], sign=services.signer.sign_get)
    assert signed.data["id"] == event["id"]
    assert signed.data["type"] == "Event"
    if secure:
        with pytest.raises(HttpStatus) as refused:
            await services.fetcher.fetch_json_document(event["id"])
        assert refused.value.status == 401
    else:
        unsigned = await services.fetcher.fetch_json_document(event["id"])
        assert unsigned.data["id"] == event["id"]
