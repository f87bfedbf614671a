"""A flood of Flags stays within the caps on open reports (FEDERATION.md, "Reports"): signed
Flags are posted over HTTP to a running node's inbox by test actors, the worker is waited for,
then the queue is read through the API, a page at a time."""

from __future__ import annotations

import json
from itertools import combinations
from typing import Any

from server.processing.reports import MAX_OPEN_PER_ORIGIN, MAX_OPEN_PER_REPORTER
from tests.hostile import (
    EVIL,
    LIAR,
    HostileActor,
    HostileServer,
    deliver,
    hostile_server,
    processed,
    rsa_key,
    start_node,
)
from tests.network import LoopbackNetwork, NetworkNode
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import publish_event


def distinct_objects(events: list[str], count: int) -> list[list[str]]:
    """`count` different sets of our events: each makes a report of its own."""
    sets = [list(c) for size in range(1, len(events) + 1) for c in combinations(events, size)]
    assert len(sets) >= count
    return sets[:count]


async def flag(node: NetworkNode, sender: HostileActor, objects: list[str], comment: str) -> str:
    sent = sender.activity("Flag", objects, content=comment)
    answer = await deliver(node, sender, sent)
    assert (answer.status, answer.error) == (202, None)
    assert await processed(node, sent["id"]) == "done"
    return str(sent["id"])


async def open_from(node: NetworkNode, reporter: str) -> int:
    count: int = await node.fetchval(
        "SELECT count(*) FROM reports WHERE state = 'open' AND reporter = $1", reporter
    )
    return count


async def setup(network: LoopbackNetwork) -> tuple[NetworkNode, str, list[str]]:
    node = await start_node(network)
    token = await log_in(node)
    events = [(await publish_event(node, token, name=f"Atelier {n}"))["ap_id"] for n in range(5)]
    return node, token, events


def reporter(server: HostileServer, host: str, name: str, index: int) -> HostileActor:
    actor = HostileActor(server, host, name, rsa_key(index))
    actor.publish(type="Application")
    return actor


async def test_one_reporter_is_capped_and_its_repeats_merged(network: LoopbackNetwork) -> None:
    async with hostile_server() as server:
        node, token, events = await setup(network)
        instance = reporter(server, EVIL, "instance", 0)

        # The same report three times (and once redelivered): one row, the first, which keeps
        # what the later ones said.
        first = await flag(node, instance, [events[0], events[1]], "Spam")
        await flag(node, instance, [events[1], events[0]], "Spam")
        await flag(node, instance, [events[0], events[1]], "<p>Encore du spam</p>")
        redelivered = instance.activity("Flag", [events[0], events[1]], content="Spam")
        redelivered["id"] = first
        assert (await deliver(node, instance, redelivered)).status == 202
        rows = await node.fetchval(
            "SELECT json_agg(json_build_array(flag_id, comment)) FROM reports"
        )
        assert json.loads(rows) == [[first, "Spam\n\nEncore du spam"]]

        # Twenty different reports: the queue keeps the cap's worth, the rest are dropped.
        for objects in distinct_objects(events, 20):
            await flag(node, instance, objects, "Encore")
        assert await open_from(node, instance.uri) == MAX_OPEN_PER_REPORTER

        # A resolved report makes room for one more.
        status, queue = await call(node, "GET", "/api/v1/moderation/reports", token=token)
        assert status == 200
        assert len(queue) == MAX_OPEN_PER_REPORTER
        status, _ = await call(
            node,
            "POST",
            f"/api/v1/moderation/reports/{queue[0]['id']}/resolve",
            token=token,
            body={"resolution": "no_action"},
        )
        assert status == 200
        await flag(node, instance, events, "Tout")
        assert await open_from(node, instance.uri) == MAX_OPEN_PER_REPORTER
        assert await node.fetchval("SELECT count(*) FROM reports") == MAX_OPEN_PER_REPORTER + 1


async def page_through(node: NetworkNode, token: str, state: str, limit: int) -> list[int]:
    """Every id of the queue, following `before` from page to page."""
    ids: list[int] = []
    before: dict[str, Any] = {}
    while True:
        query = "&".join(f"{k}={v}" for k, v in {"state": state, "limit": limit, **before}.items())
        status, page = await call(node, "GET", f"/api/v1/moderation/reports?{query}", token=token)
        assert status == 200, page
        assert len(page) <= limit
        if not page:
            return ids
        ids += [report["id"] for report in page]
        before = {"before": page[-1]["id"]}


async def test_one_server_is_capped_and_the_queue_read_in_pages(network: LoopbackNetwork) -> None:
    async with hostile_server() as server:
        node, token, events = await setup(network)
        actors = [reporter(server, EVIL, f"person{n}", n) for n in range(6)]
        for actor in actors:
            for objects in distinct_objects(events, MAX_OPEN_PER_REPORTER):
                await flag(node, actor, objects, f"from {actor.name}")
        assert await node.fetchval("SELECT count(*) FROM reports") == MAX_OPEN_PER_ORIGIN
        assert await open_from(node, actors[-1].uri) == 0  # the server's share was used up
        # Another server is not held back by the first one's flood.
        other = reporter(server, LIAR, "instance", 9)
        await flag(node, other, [events[0]], "from elsewhere")
        assert await open_from(node, other.uri) == 1

        everything = await page_through(node, token, "all", 7)
        assert everything == sorted(everything, reverse=True)
        assert len(set(everything)) == len(everything) == MAX_OPEN_PER_ORIGIN + 1
        assert everything == await node.fetchval(
            "SELECT array_agg(id ORDER BY id DESC) FROM reports"
        )
        assert await page_through(node, token, "resolved", 7) == []

        named = (await call(node, "GET", "/api/v1/moderation/reports?limit=1", token=token))[1]
        assert named[0]["target_handle"] == f"place@{node.settings.domain}"
        assert named[0]["object_titles"] == {events[0]: "Atelier 0"}
        for bad in ("limit=0", "limit=501", "before=0", "before=x", "state=spam"):
            status, body = await call(node, "GET", f"/api/v1/moderation/reports?{bad}", token=token)
            assert status == 422, (bad, body)
