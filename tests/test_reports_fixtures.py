"""Flags in Mastodon's and Mobilizon's shapes (tests/fixtures/moderation) land in the queue.

Each fixture is delivered signed by a test actor standing for the sending server's instance
(Mastodon) or relay (Mobilizon) actor, to a running node whose event it reports; the worker is
waited for, then the queue read through the API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from federation.hosts import canonical_host
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
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import publish_event

FIXTURES = Path(__file__).parent / "fixtures" / "moderation"


def fixture(name: str, actor: HostileActor, node: NetworkNode, event: str) -> dict[str, Any]:
    text = (FIXTURES / name).read_text()
    for sender in ("mastodon.example/actor", "mobilizon.example/relay"):
        text = text.replace(f"https://{sender}", actor.uri)
    for origin in ("https://mastodon.example", "https://mobilizon.example"):
        text = text.replace(origin, actor.origin)
    text = text.replace("https://maillage.example/events/EVENT", event)
    loaded: dict[str, Any] = json.loads(text.replace("https://maillage.example", node.base))
    return loaded


async def queue(node: NetworkNode, token: str) -> list[dict[str, Any]]:
    status, body = await call(node, "GET", "/api/v1/moderation/reports", token=token)
    assert status == 200, body
    return body  # type: ignore[no-any-return]


async def test_mastodon_and_mobilizon_flags_land_in_the_queue(network: LoopbackNetwork) -> None:
    async with hostile_server() as server:
        node = await start_node(network)
        token = await log_in(node)
        event = (await publish_event(node, token, name="Repair café"))["ap_id"]
        # Mastodon's instance actor and Mobilizon's relay actor, each its server's reporter.
        instance = HostileActor(server, EVIL, "instance", rsa_key(0))
        instance.publish(type="Application")
        relay = HostileActor(server, EVIL, "relay", rsa_key(1))
        relay.publish(type="Application")
        expected = {
            "mastodon_flag.json": (instance, "Spam: the same event posted every hour"),
            "mobilizon_flag.json": (relay, "Cet événement n'a pas lieu ici"),  # its HTML dropped
        }
        for name, (sender, _comment) in expected.items():
            flag = fixture(name, sender, node, event)
            answer = await deliver(node, sender, flag)
            assert (answer.status, answer.error) == (202, None)
            assert await processed(node, flag["id"]) == "done"
        reports = await queue(node, token)
        assert [(r["reporter"], r["comment"]) for r in reversed(reports)] == [
            (sender.uri, comment) for sender, comment in expected.values()
        ]
        for report in reports:
            assert report["origin"] == canonical_host(instance.uri)
            assert report["target_actor"] == node.place
            assert report["objects"] == [event]
            assert report["state"] == "open"

        # A Flag naming nothing of ours, or ids of ours that name nothing, is no report here
        # (as Mastodon keeps only local targets that exist).
        for named in (
            ["https://elsewhere.example/actors/x"],
            [f"{node.base}/actors/nobody", f"{node.base}/events/404"],
        ):
            flag = instance.activity("Flag", named, content="x")
            answer = await deliver(node, instance, flag)
            assert (answer.status, answer.error) == (202, None)
            assert await processed(node, flag["id"]) == "done"
        assert len(await queue(node, token)) == 2
