"""Domain policies between a real node and fake peers on loopback (tests/hostile.py).

A suspended domain gets 403 on every inbox and on signed GETs, before any fetch: the fake
peer's request log shows nothing from us after the suspension, and what we held from it (its
actor, follows both ways, its event in the agenda and on the wall) is gone. In limited
federation mode an unlisted server's Follow is refused and its key never fetched, while an
allowed one's goes through.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from federation.signatures import Scheme, signed_request_headers
from server.storage import follows
from tests.foreign import Mailbox, mailbox_of
from tests.hostile import (
    EVIL,
    HOSTILE_HOSTS,
    LIAR,
    HostileActor,
    HostileServer,
    deliver,
    hostile_server,
    processed,
    rsa_key,
)
from tests.network import LoopbackNetwork, NetworkNode
from tests.test_api_neighbours import call, log_in
from tests.test_authorized_fetch import raw_get
from tests.test_events_network import publish_event
from tests.test_unfollow_network import names_in_agenda

pytestmark = pytest.mark.slow

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
START = datetime.now(UTC) + timedelta(days=5)


@dataclass
class Scene:
    node: NetworkNode
    server: HostileServer
    eve: HostileActor  # a place on evil.test the node follows, and that follows the node
    eve_box: Mailbox
    token: str

    async def send(self, actor: HostileActor, activity: dict[str, Any]) -> None:
        answer = await deliver(self.node, actor, activity)
        assert (answer.status, answer.error) == (202, None)
        assert await processed(self.node, activity["id"]) == "done"

    async def count(self, query: str, *args: Any) -> int:
        found: int = await self.node.fetchval(query, *args)
        return found


async def start(network: LoopbackNetwork, name: str, **settings: Any) -> NetworkNode:
    node = await network.add(name)
    hosts = {**network.host_map(), **dict.fromkeys(HOSTILE_HOSTS, "127.0.0.1")}
    node.settings = node.settings.model_copy(update={"dev_hosts": hosts, **settings})
    await node.start()
    return node


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async with hostile_server() as server:
        node = await start(network, "mende", authorized_fetch=True)
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        eve.publish(type="Group")
        box = mailbox_of(eve)
        async with node.services.pool.acquire() as connection:
            await follows.record_follow(
                connection, node.place, eve.uri, f"{node.place}#follows-eve", "accepted"
            )
        yield Scene(node, server, eve, box, await log_in(node))


async def places_of(node: NetworkNode) -> set[str]:
    status, places = await call(node, "GET", "/api/v1/places")
    assert status == 200, places
    return {place["id"] for place in places}


def event_of(actor: HostileActor, name: str) -> dict[str, Any]:
    return {
        "id": actor.next_id("events"),
        "type": "Event",
        "name": name,
        "attributedTo": actor.uri,
        "startTime": START.isoformat(),
        "to": [PUBLIC],
    }


async def test_a_suspended_domain_is_refused_unfetched_and_purged(scene: Scene) -> None:
    node, eve = scene.node, scene.eve
    event = event_of(eve, "Soirée d'Ève")
    await scene.send(eve, eve.activity("Create", event, to=[PUBLIC]))
    await scene.send(eve, eve.activity("Follow", node.place))
    await scene.eve_box.wait_for("Accept")  # nothing of ours still on its way to evil.test
    assert "Soirée d'Ève" in await names_in_agenda(node)
    await node.services.actors.refresh_actor(eve.uri)  # as a periodic refresh: its details kept
    assert eve.uri in await places_of(node)
    assert await scene.count(
        "SELECT count(*) FROM stream_events WHERE data->>'id' = $1", event["id"]
    )

    status, body = await call(
        node,
        "PUT",
        f"/api/v1/moderation/domains/{EVIL}",
        token=scene.token,
        body={"severity": "suspend", "public_reason": "spam", "private_reason": "ticket 12"},
    )
    assert status == 200, body
    assert (body["domain"], body["severity"], body["effective"]) == (EVIL, "suspend", "suspend")
    seen_before = len(scene.server.hits)

    # Purged, in the same transaction: the actor, follows both ways, its event, its wall card.
    assert "Soirée d'Ève" not in await names_in_agenda(node)
    assert eve.uri not in await places_of(node)
    for table, column in (("remote_actors", "uri"), ("remote_keys", "key_id")):
        assert (
            await scene.count(f"SELECT count(*) FROM {table} WHERE {column} LIKE '%evil.test%'")
            == 0
        )
    assert await scene.count("SELECT count(*) FROM follows") == 0
    assert await scene.count("SELECT count(*) FROM events WHERE NOT local") == 0
    stream = json.loads(
        await node.fetchval(
            "SELECT coalesce(json_agg(data ORDER BY id), '[]')::text FROM stream_events "
            "WHERE data->>'id' = $1",
            event["id"],
        )
    )
    assert [item.get("action") for item in stream] == ["removed"]
    logged = await node.fetchval(
        "SELECT json_build_object('who', who, 'action', action, 'target', target, "
        "'reason', reason)::text FROM moderation_log"
    )
    assert json.loads(logged) == {
        "who": "admin", "action": "domain.suspend", "target": EVIL, "reason": "spam",
    }  # fmt: skip

    # Refused with 403 on every inbox, known actor or not, before any lookup.
    mallory = HostileActor(scene.server, EVIL, "mallory", rsa_key(1))
    mallory.publish()
    for actor, path in (
        (eve, "/inbox"),
        (eve, "/actors/place/inbox"),
        (mallory, "/inbox"),
        (mallory, "/actors/place/inbox"),
    ):
        answer = await deliver(node, actor, actor.activity("Follow", node.place), path=path)
        assert answer.status == 403, (actor.name, path, answer)
    # A signed GET under authorized fetch, too.
    signed = signed_request_headers(
        Scheme.CAVAGE, "GET", f"{node.base}/actors/place/outbox", b"",
        key=mallory.key, key_id=mallory.key_id,
    )  # fmt: skip
    status_get, text, _ = await raw_get(node, "/actors/place/outbox", headers=signed)
    assert status_get == 403, text
    # Never fetched: following it from here is refused without a request.
    status, body = await call(
        node, "POST", "/api/v1/neighbours", token=scene.token, body={"target": eve.uri}
    )
    assert status == 422, body
    # Nothing queued for it either, when the place publishes.
    await publish_event(node, scene.token)
    assert await scene.count(
        "SELECT count(*) FROM deliveries WHERE host LIKE 'evil.test%' AND state <> 'done'"
    ) == 0  # fmt: skip
    assert scene.server.hits[seen_before:] == []
    assert (
        await scene.count("SELECT count(*) FROM inbox_activities WHERE actor_uri = $1", mallory.uri)
        == 0
    )

    nodeinfo = await node.get_json("/nodeinfo/2.1", accept="application/json")
    assert nodeinfo["metadata"]["federation"] == {"mode": "open"}


async def test_limited_federation_refuses_an_unlisted_follow_and_never_fetches_its_key(
    network: LoopbackNetwork,
) -> None:
    async with hostile_server() as server:
        node = await start(network, "mende", limited_federation=True)
        token = await log_in(node)
        status, body = await call(
            node, "PUT", f"/api/v1/moderation/domains/{LIAR}", token=token,
            body={"severity": "allow"},
        )  # fmt: skip
        assert status == 200, body
        stranger = HostileActor(server, EVIL, "eve", rsa_key(0))
        stranger.publish()
        listed = HostileActor(server, LIAR, "lou", rsa_key(1))
        listed.publish()
        mailbox_of(listed)

        answer = await deliver(node, stranger, stranger.activity("Follow", node.place))
        assert answer.status == 403, answer
        assert server.fetched(EVIL) == []
        assert await node.fetchval("SELECT count(*) FROM follows") == 0

        follow = listed.activity("Follow", node.place)
        answer = await deliver(node, listed, follow)
        assert answer.status == 202, answer
        assert f"/actors/{listed.name}" in server.fetched(LIAR)
        assert await processed(node, follow["id"]) == "done"
        assert server.fetched(EVIL) == []

        nodeinfo = await node.get_json("/nodeinfo/2.1", accept="application/json")
        assert nodeinfo["metadata"]["federation"] == {"mode": "limited"}
