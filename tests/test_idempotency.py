"""Idempotency-Key on the REST API's POSTs: a retried creation is answered with the first
answer and published once; the same key with another request is refused; keys last a day."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

from clients.api import MaillageClient
from clients.content import create_event
from schemas.api_events import EventIn
from server.processing.retention import prune_history
from tests.hostile import start_node
from tests.network import LoopbackNetwork, NetworkNode
from tests.test_api_neighbours import log_in
from tests.test_events_network import EVENT, member

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def post(
    node: NetworkNode, path: str, token: str, body: Any, key: str | None
) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{node.port}{path}", json=body, headers=headers) as response,
    ):
        return response.status, await response.json(content_type=None), dict(response.headers)


async def creates(node: NetworkNode) -> int:
    count: int = await node.fetchval(
        "SELECT count(*) FROM outbox_activities WHERE activity_type = 'Create'"
    )
    return count


async def test_the_same_key_gets_the_first_answer_and_publishes_once(
    network: LoopbackNetwork,
) -> None:
    mende = await start_node(network)
    token = await log_in(mende)
    before = await creates(mende)

    first = await post(mende, "/api/v1/events", token, EVENT, "a1b2-c3")
    again = await post(mende, "/api/v1/events", token, EVENT, "a1b2-c3")
    assert first[0] == 201, first
    assert (again[0], again[1]) == (first[0], first[1])
    assert again[2].get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first[2]
    assert await creates(mende) == before + 1
    # The draft's form of the header, a quoted sf-string, names the same key.
    quoted = await post(mende, "/api/v1/events", token, EVENT, '"a1b2-c3"')
    assert (quoted[0], quoted[1]) == (first[0], first[1])

    changed = await post(mende, "/api/v1/events", token, EVENT | {"name": "Autre"}, "a1b2-c3")
    assert changed[0] == 422, changed
    assert "Idempotency-Key" in changed[1]["fields"]
    elsewhere = await post(mende, "/api/v1/calls", token, {"title": "x"}, "a1b2-c3")
    assert elsewhere[0] == 422, elsewhere
    assert await creates(mende) == before + 1

    # Without a key, or with a new one, a POST creates again.
    assert (await post(mende, "/api/v1/events", token, EVENT, None))[0] == 201
    assert (await post(mende, "/api/v1/events", token, EVENT, "another"))[0] == 201
    assert await creates(mende) == before + 3


async def test_keys_belong_to_their_account_and_errors_release_them(
    network: LoopbackNetwork,
) -> None:
    mende = await start_node(network)
    admin = await log_in(mende)
    camille = await member(mende, admin, "camille", shared=False)

    refused = await post(mende, "/api/v1/events", admin, EVENT | {"name": ""}, "k")
    assert refused[0] == 422, refused
    assert "name" in refused[1]["fields"]
    # The refused request did nothing, so its key is free for the corrected request.
    corrected = await post(mende, "/api/v1/events", admin, EVENT, "k")
    assert corrected[0] == 201, corrected
    # Another account's same key is another key (camille may not publish: her own answer).
    other = await post(mende, "/api/v1/events", camille, EVENT, "k")
    assert other[0] == 403, other

    for bad in ("", "é" * 3, "x" * 256):
        status, body, _ = await post(mende, "/api/v1/events", admin, EVENT, bad)
        assert status == 422, (bad, body)
        assert "Idempotency-Key" in body["fields"]


async def test_keys_are_forgotten_after_a_day(network: LoopbackNetwork) -> None:
    mende = await start_node(network)
    token = await log_in(mende)
    assert (await post(mende, "/api/v1/events", token, EVENT, "old"))[0] == 201
    assert (await post(mende, "/api/v1/events", token, EVENT, "recent"))[0] == 201
    await mende.fetchval(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
        "WHERE key = 'old' RETURNING 1"
    )
    # An expired key is free again even before the pruning came by...
    reused = await post(mende, "/api/v1/events", token, EVENT | {"name": "Nouveau"}, "old")
    assert reused[0] == 201, reused
    await mende.fetchval(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
        "WHERE key = 'old' RETURNING 1"
    )
    pruned = await prune_history(mende.pool, timedelta(days=30))
    assert pruned.idempotency_keys == 1
    left = await mende.fetchval("SELECT array_agg(key) FROM idempotency_keys")
    assert left == ["recent"]


def losing_the_first_answer(path: str) -> tuple[Any, list[int]]:
    """A middleware that runs the first POST to `path`, then cuts the connection instead of
    answering: the client cannot know that its event was created."""
    cut: list[int] = []

    @web.middleware
    async def lose(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if request.method == "POST" and request.path == path and not cut:
            cut.append(response.status)
            assert request.transport is not None
            request.transport.abort()
        return response

    return lose, cut


async def test_the_client_retries_a_lost_answer_with_the_same_key(
    network: LoopbackNetwork,
) -> None:
    lose, cut = losing_the_first_answer("/api/v1/events")
    mende = await start_node(network, middlewares=(lose,))
    token = await log_in(mende)
    before = await creates(mende)
    async with MaillageClient(f"http://127.0.0.1:{mende.port}", token=token) as client:
        created = await create_event(client, EventIn.model_validate(EVENT))
    assert cut == [201], "the first answer was lost after the event was created"
    assert created.name == EVENT["name"]
    assert await creates(mende) == before + 1
    events = await mende.fetchval("SELECT count(*) FROM events WHERE name = $1", EVENT["name"])
    assert events == 1
