"""A Follow or Join repeated with new ids by an actor we accepted already is answered once: no
new Accept and no new stream item, until the last Accept is an hour old (then one Accept, for a
peer that lost ours, still off the stream)."""

from __future__ import annotations

from typing import Any

from server.storage import follows
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
from tests.test_api_neighbours import log_in
from tests.test_events_network import publish_event

REPEATS = 5


async def accepts_of(node: NetworkNode, kind: str) -> int:
    count: int = await node.fetchval(
        "SELECT count(*) FROM outbox_activities WHERE activity_type = 'Accept' "
        "AND payload->'object'->>'type' = $1",
        kind,
    )
    return count


async def stream_items(node: NetworkNode, kind: str) -> int:
    count: int = await node.fetchval("SELECT count(*) FROM stream_events WHERE kind = $1", kind)
    return count


async def send_all(node: NetworkNode, eve: HostileActor, activities: list[dict[str, Any]]) -> None:
    for activity in activities:
        assert (await deliver(node, eve, activity)).status == 202
    for activity in activities:
        assert await processed(node, activity["id"]) == "done"


async def test_repeated_follows_are_answered_once_then_again_after_an_hour(
    network: LoopbackNetwork,
) -> None:
    async with hostile_server() as server:
        node = await start_node(network)
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        eve.publish()
        # Our place follows eve, so that eve following us is news for the wall (FEDERATION.md,
        # "What is shown from whom"): each repeat could add an item, and must not.
        async with node.pool.acquire() as connection:
            await follows.record_follow(
                connection, node.place, eve.uri, f"{node.place}#follows-eve", "accepted"
            )
        await send_all(node, eve, [eve.activity("Follow", node.place)])
        assert await accepts_of(node, "Follow") == 1
        neighbours = await stream_items(node, "neighbour")
        assert neighbours == 1

        repeats = [eve.activity("Follow", node.place) for _ in range(REPEATS)]
        await send_all(node, eve, repeats)
        assert await accepts_of(node, "Follow") == 1
        assert await stream_items(node, "neighbour") == neighbours
        # The relation takes a repeat's id, which an Undo may name. Which repeat: the last one
        # processed, and the inbox worker processes a burst concurrently, in no set order.
        newest = await node.fetchval(
            "SELECT follow_activity_id FROM follows WHERE follower = $1", eve.uri
        )
        assert newest in {repeat["id"] for repeat in repeats}

        await node.fetchval(
            "UPDATE follows SET answered_at = now() - interval '61 minutes' "
            "WHERE follower = $1 RETURNING 1",
            eve.uri,
        )
        late = [eve.activity("Follow", node.place) for _ in range(2)]
        await send_all(node, eve, late)
        assert await accepts_of(node, "Follow") == 2
        answered = await node.fetchval(
            "SELECT payload->'object'->>'id' FROM outbox_activities "
            "WHERE activity_type = 'Accept' ORDER BY id DESC LIMIT 1"
        )
        # One of the two late repeats is answered (whichever was processed first), once.
        assert answered in {repeat["id"] for repeat in late}
        assert await stream_items(node, "neighbour") == neighbours
        assert await node.fetchval("SELECT state FROM follows WHERE follower = $1", eve.uri) == (
            "accepted"
        )


async def test_repeated_joins_are_answered_once_then_again_after_an_hour(
    network: LoopbackNetwork,
) -> None:
    async with hostile_server() as server:
        node = await start_node(network)
        event = await publish_event(node, await log_in(node))
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        eve.publish()
        first = eve.activity("Join", event["ap_id"])
        await send_all(node, eve, [first])
        assert await accepts_of(node, "Join") == 1
        rsvps = await stream_items(node, "rsvp")
        assert rsvps == 1

        await send_all(node, eve, [eve.activity("Join", event["ap_id"]) for _ in range(REPEATS)])
        assert await accepts_of(node, "Join") == 1
        assert await stream_items(node, "rsvp") == rsvps
        seats = await node.fetchval(
            "SELECT count(*) FROM event_participants WHERE participant = $1", eve.uri
        )
        assert seats == 1

        await node.fetchval(
            "UPDATE event_participants SET answered_at = now() - interval '61 minutes' "
            "WHERE participant = $1 RETURNING 1",
            eve.uri,
        )
        await send_all(node, eve, [eve.activity("Join", event["ap_id"]) for _ in range(2)])
        assert await accepts_of(node, "Join") == 2
        assert await stream_items(node, "rsvp") == rsvps
        # The participation keeps the first Join's id, which its Undo names.
        kept = await node.fetchval(
            "SELECT join_activity_id FROM event_participants WHERE participant = $1", eve.uri
        )
        assert kept == first["id"]
