"""Requests that leave no relation behind are answered once too (issue 11): a blocked actor's
Follows and Joins, and Follows of our trust list, each sent five times, signed, to the inbox,
queue one answer; another goes only once the last has left the delivery queue and is an hour
old (FEDERATION.md, Follows)."""

from __future__ import annotations

from server.processing import blocks, trust_publishing
from server.storage.local_actors import PLACE
from tests.hostile import EVIL, HostileActor, hostile_server, rsa_key, start_node
from tests.network import LoopbackNetwork, NetworkNode
from tests.test_api_neighbours import log_in
from tests.test_events_network import COMING, publish_event
from tests.test_repeated_requests import REPEATS, send_all


async def answers(node: NetworkNode, answer: str, asked: str) -> int:
    """`answer`s queued in the node's outbox, by what they answer (a Follow or a Join)."""
    count: int = await node.fetchval(
        "SELECT count(*) FROM outbox_activities WHERE activity_type = $1 "
        "AND payload->'object'->>'type' = $2",
        answer,
        asked,
    )
    return count


async def age_the_answers(node: NetworkNode, recipient: str, *, pending: bool) -> None:
    """As an hour later; `pending`: the last answer still waits in the delivery queue."""
    await node.fetchval(
        "UPDATE answered_requests SET answered_at = now() - interval '61 minutes' "
        "WHERE recipient = $1 RETURNING 1",
        recipient,
    )
    await node.fetchval(
        "UPDATE deliveries SET state = $2, next_attempt_at = now() + interval '1 day', "
        "finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END "
        "WHERE outbox_id IN (SELECT outbox_id FROM answered_requests WHERE recipient = $1) "
        "RETURNING 1",
        recipient,
        "pending" if pending else "failed",
    )


async def test_a_blocked_actors_repeated_follows_and_joins_get_one_reject_each(
    network: LoopbackNetwork,
) -> None:
    async with hostile_server() as server:
        node = await start_node(network)
        event = await publish_event(node, await log_in(node))
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        eve.publish()
        await node.services.actors.refresh_actor(eve.uri)
        assert await blocks.block(
            node.pool, node.services.node, blocker=PLACE, actor_uri=eve.uri, who="admin"
        )

        await send_all(node, eve, [eve.activity("Follow", node.place) for _ in range(REPEATS)])
        await send_all(node, eve, [eve.activity("Join", event["ap_id"]) for _ in range(REPEATS)])
        assert await answers(node, "Reject", "Follow") == 1
        assert await answers(node, "Reject", "Join") == 1
        assert await node.fetchval("SELECT count(*) FROM follows WHERE follower = $1", eve.uri) == 0

        # An hour later, while the last Reject still waits for delivery: nothing more.
        await age_the_answers(node, eve.uri, pending=True)
        await send_all(node, eve, [eve.activity("Follow", node.place) for _ in range(2)])
        assert await answers(node, "Reject", "Follow") == 1
        # Once it left the queue, one more, for a peer that lost it.
        await age_the_answers(node, eve.uri, pending=False)
        await send_all(node, eve, [eve.activity("Follow", node.place) for _ in range(2)])
        await send_all(node, eve, [eve.activity("Join", event["ap_id"]) for _ in range(2)])
        assert await answers(node, "Reject", "Follow") == 2
        assert await answers(node, "Reject", "Join") == 2


async def test_repeated_follows_of_the_trust_list_get_one_answer(
    network: LoopbackNetwork,
) -> None:
    async with hostile_server() as server:
        node = await start_node(network)
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        eve.publish()
        trust_list = node.services.urls.trust_list

        # Not published: refused, once.
        await send_all(node, eve, [eve.activity("Follow", trust_list) for _ in range(REPEATS)])
        assert await answers(node, "Reject", "Follow") == 1
        assert await answers(node, "Accept", "Follow") == 0
        rejected = await node.fetchval(
            "SELECT payload->'object' ->> 'object' FROM outbox_activities "
            "WHERE activity_type = 'Reject'"
        )
        assert rejected == trust_list
        subscribers = "SELECT count(*) FROM trust_list_subscribers"
        assert await node.fetchval(subscribers) == 0

        # Published: accepted, once.
        async with node.pool.acquire() as connection:
            assert await trust_publishing.configure(
                connection, node.services.node, published=True, name="Réseau", summary="",
                who="admin",
            )  # fmt: skip
        await send_all(node, eve, [eve.activity("Follow", trust_list) for _ in range(REPEATS)])
        assert await answers(node, "Accept", "Follow") == 1
        assert await answers(node, "Reject", "Follow") == 1
        assert await node.fetchval(subscribers) == 1

        # Its Undo ends the subscription: its next Follow is answered at once.
        follow_id = await node.fetchval("SELECT follow_activity_id FROM trust_list_subscribers")
        await send_all(node, eve, [eve.activity("Undo", follow_id)])
        assert await node.fetchval(subscribers) == 0
        await send_all(node, eve, [eve.activity("Follow", trust_list) for _ in range(2)])
        assert await answers(node, "Accept", "Follow") == 2


async def test_repeated_joins_of_a_full_event_get_one_reject(network: LoopbackNetwork) -> None:
    async with hostile_server() as server:
        node = await start_node(network)
        event = await publish_event(node, await log_in(node), **COMING, maximum_attendee_capacity=1)
        ana = HostileActor(server, EVIL, "ana", rsa_key(1))
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        ana.publish()
        eve.publish()
        await send_all(node, ana, [ana.activity("Join", event["ap_id"])])
        assert await answers(node, "Accept", "Join") == 1

        await send_all(node, eve, [eve.activity("Join", event["ap_id"]) for _ in range(REPEATS)])
        assert await answers(node, "Reject", "Join") == 1
        # Once the last left the queue and is an hour old, one more, for a peer that lost it.
        await age_the_answers(node, eve.uri, pending=False)
        await send_all(node, eve, [eve.activity("Join", event["ap_id"]) for _ in range(2)])
        assert await answers(node, "Reject", "Join") == 2
