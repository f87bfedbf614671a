"""`limit`: a limited domain's places, events and people stay out of the agenda, the directory
and the people search of a real node, unless the place follows them.

Eve's place (evil.test) is followed; Lou's (liar.test) is not, but Eve announced Lou's event,
follows Lou (a suggestion) and shared the profile of Lia, a person of liar.test. The rows are
written as federation would have left them; everything is read through the node's HTTP API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from server.database import DbConnection
from server.processing.activities import process_activity
from server.processing.context import NodeContext
from server.storage import events, follows, local_actors
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE
from tests.network import LoopbackNetwork, NetworkNode
from tests.test_api_neighbours import call, log_in
from tests.test_late_deliveries_network import FLORAC, NODE, PUBLIC, event
from tests.test_unfollow_network import names_in_agenda

EVE = "https://evil.test/actors/eve"
LOU = "https://sub.liar.test/actors/lou"
ALICE = "https://evil.test/actors/alice"
LIA = "https://liar.test/actors/lia"
START = datetime.now(UTC) + timedelta(days=4)


async def written(node: NetworkNode) -> None:
    connection = await asyncpg.connect(node.database_url)
    try:
        for uri, name in ((EVE, "Chez Ève"), (LOU, "Chez Lou")):
            await connection.execute(
                "INSERT INTO remote_actors (uri, host, kind, display_name, inbox, document) "
                "VALUES ($1, $2, 'Group', $3, $1 || '/inbox', '{}')",
                uri,
                uri.split("/")[2],
                name,
            )
            await connection.execute(
                "INSERT INTO remote_place_profiles (actor_uri, name) VALUES ($1, $2)", uri, name
            )
            await connection.execute(
                "INSERT INTO events (ap_id, local, actor_uri, attributed_to, name, start_time) "
                "VALUES ($1, false, $2, $3, $4, $5)",
                f"{uri}/events/1",
                EVE,
                uri,
                f"Fête {name}",
                START,
            )
        await connection.execute(
            "INSERT INTO follows (follower, followed, follow_activity_id, state) "
            "VALUES ($1, $2, 'f1', 'accepted')",
            node.place,
            EVE,
        )
        await connection.execute(
            "INSERT INTO suggested_places (actor_uri, neighbour) VALUES ($1, $2)", LOU, EVE
        )
        for person, name in ((ALICE, "Alice"), (LIA, "Lia")):
            await connection.execute(
                "INSERT INTO remote_profiles (person, place, host, name, skills) "
                "VALUES ($1, $2, $3, $4, $5::jsonb)",
                person,
                EVE,
                person.split("/")[2],
                name,
                json.dumps([{"name": "soudure"}]),
            )
    finally:
        await connection.close()


async def shown(node: NetworkNode) -> tuple[set[str], set[str], set[str]]:
    """(agenda event names, directory place names, people names)."""
    status, places = await call(node, "GET", "/api/v1/places?suggestions=true")
    assert status == 200, places
    status, people = await call(node, "GET", "/api/v1/people?skill=soudure")
    assert status == 200, people
    return (
        await names_in_agenda(node),
        {place["name"] for place in places if place["relation"] != "self"},
        {person["name"] for person in people},
    )


@pytest.mark.slow
async def test_limited_domains_stay_out_unless_followed(network: LoopbackNetwork) -> None:
    node = await network.add("mende")
    await network.start_all()
    await written(node)
    token = await log_in(node)
    everything = ({"Fête Chez Ève", "Fête Chez Lou"}, {"Chez Ève", "Chez Lou"}, {"Alice", "Lia"})
    assert await shown(node) == everything

    for domain in ("liar.test", "evil.test"):
        status, body = await call(
            node,
            "PUT",
            f"/api/v1/moderation/domains/{domain}",
            token=token,
            body={"severity": "limit", "public_reason": "noisy"},
        )
        assert status == 200, body
    # Eve's place is followed: it, its event and the profile it shared of its own people stay.
    assert await shown(node) == ({"Fête Chez Ève"}, {"Chez Ève"}, {"Alice"})

    # An `allow` on a subdomain is more specific than the limit of its parent.
    status, _ = await call(
        node, "PUT", "/api/v1/moderation/domains/sub.liar.test", token=token,
        body={"severity": "allow"},
    )  # fmt: skip
    assert status == 200
    assert await shown(node) == ({"Fête Chez Ève", "Fête Chez Lou"}, {"Chez Ève", "Chez Lou"},
                                 {"Alice"})  # fmt: skip
    status, _ = await call(node, "DELETE", "/api/v1/moderation/domains/sub.liar.test", token=token)
    assert status == 204

    # Followed, Lou's place shows again with its event, whatever its domain's policy.
    await node.fetchval(
        "INSERT INTO follows (follower, followed, follow_activity_id, state) "
        "VALUES ($1, $2, 'f2', 'accepted')",
        node.place,
        LOU,
    )
    agenda, _places, _people = await shown(node)
    assert agenda == {"Fête Chez Ève", "Fête Chez Lou"}

    # Lifting the limits brings back what was only hidden: nothing was deleted.
    for domain in ("liar.test", "evil.test"):
        status, _ = await call(node, "DELETE", f"/api/v1/moderation/domains/{domain}", token=token)
        assert status == 204
    assert (await shown(node))[2] == {"Alice", "Lia"}


async def test_a_limited_domain_reaches_the_wall_only_when_followed(
    connection: DbConnection,
) -> None:
    """A stranger's event addressed to our place is taken (FEDERATION.md, "What is shown from
    whom") and shown on the wall; from a limited domain it is not shown, unless we follow it."""
    limited = NodeContext(NODE.urls, limits=lambda host: host == "florac.test")
    await local_actors.upsert_local_actor(connection, PLACE, "Group", "Mende", visibility="network")
    place = NODE.urls.actor(PLACE)

    async def shown_after(node: NodeContext, number: int) -> bool:
        payload = {
            "id": f"https://florac.test/activities/{number}",
            "type": "Create",
            "actor": FLORAC,
            "to": [PUBLIC],
            "object": event(number, cc=[place]),
        }
        received = ReceivedActivity(number, payload["id"], "Create", FLORAC, None, payload, 1)
        async with connection.transaction():
            await process_activity(connection, node, received)
        return bool(
            await connection.fetchval(
                "SELECT count(*) FROM stream_events WHERE data->>'id' = $1", event(number)["id"]
            )
        )

    assert await shown_after(NODE, 1)
    assert not await shown_after(limited, 2)
    assert await events.find_by_ap_id(connection, event(2)["id"]) is not None  # kept, not shown
    await follows.record_follow(connection, place, FLORAC, f"{place}#follows", "accepted")
    assert await shown_after(limited, 3)
