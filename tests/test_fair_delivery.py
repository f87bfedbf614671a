"""A slow follower never delays the others: the delivery worker against two real inboxes on
loopback, one of which holds every request until the test lets it answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
import pytest_asyncio
from aiohttp import web

from federation.fetcher import FetchPolicy, SafeFetcher
from server.node_setup import create_node_records, new_key_pairs, validate_setup
from server.passwords import hash_password
from server.processing.publish import PUBLIC, publish
from server.processing.signing import RequestSigner
from server.urls import NodeUrls
from server.workers.delivery import DeliveryWorker
from tests.support import free_port, wait_until

URLS = NodeUrls("http://mende.test")
NOTES = 60
MAX_IN_FLIGHT = 20  # fewer than the notes: the worker must claim many times


@dataclass
class Inbox:
    hold: bool
    release: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: int = 0
    answered: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.arrived += 1
        if self.hold:
            await self.release.wait()
        self.answered += 1
        return web.Response(status=202)


@pytest_asyncio.fixture(loop_scope="session")
async def inboxes() -> AsyncIterator[dict[str, tuple[Inbox, int]]]:
    served: dict[str, tuple[Inbox, int]] = {}
    runners = []
    for name, hold in (("slow", True), ("fast", False)):
        inbox = Inbox(hold)
        app = web.Application()
        app.router.add_post("/inbox", inbox.handle)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        served[name] = (inbox, port)
        runners.append(runner)
    yield served
    for inbox, _ in served.values():
        inbox.release.set()
    for runner in runners:
        await runner.cleanup()


async def prepare(pool: asyncpg.Pool, ports: dict[str, int]) -> None:
    async with pool.acquire() as connection:
        setup = validate_setup("mende.test", "Mende", "admin", "admin@example.org", "x" * 16)
        await create_node_records(
            connection, setup, hash_password(setup.admin_password), new_key_pairs(), force=False
        )
        for name, port in ports.items():
            actor = f"http://{name}.test:{port}/actor"
            await connection.execute(
                "INSERT INTO remote_actors (uri, host, kind, inbox, document) "
                "VALUES ($1, $2, 'Person', $3, $4::jsonb)",
                actor,
                f"{name}.test:{port}",
                f"http://{name}.test:{port}/inbox",
                json.dumps({"id": actor}),
            )
            await connection.execute(
                "INSERT INTO follows (follower, followed, follow_activity_id, state) "
                "VALUES ($1, $2, $3, 'accepted')",
                actor,
                URLS.actor("place"),
                f"{actor}/follow",
            )
        for number in range(NOTES):
            await publish(
                connection,
                URLS,
                "place",
                {
                    "type": "Create",
                    "to": [PUBLIC],
                    "object": {"type": "Note", "content": f"{number}"},
                },
                to_followers=True,
            )


async def test_a_follower_that_holds_every_answer_does_not_delay_the_others(
    pool: asyncpg.Pool, inboxes: dict[str, tuple[Inbox, int]]
) -> None:
    slow, _ = inboxes["slow"]
    fast, _ = inboxes["fast"]
    await prepare(pool, {name: port for name, (_, port) in inboxes.items()})
    policy = FetchPolicy(
        allow_private_network=True,
        own_origins=frozenset({URLS.base}),
        host_resolver_overrides={"slow.test": "127.0.0.1", "fast.test": "127.0.0.1"},
    )
    stop = asyncio.Event()
    async with SafeFetcher(policy) as fetcher:
        signer = RequestSigner(pool, URLS)
        worker = DeliveryWorker(
            pool, fetcher, signer, poll_seconds=0.5, max_in_flight=MAX_IN_FLIGHT
        )
        running = asyncio.create_task(worker.run(stop))
        try:

            async def fast_has_all() -> bool:
                return fast.answered == NOTES

            # Every note reaches the fast follower while the slow one has not answered once.
            await wait_until(fast_has_all, what="every note at the fast follower")
            assert slow.answered == 0
            assert 0 < slow.arrived <= worker.per_host_connections

            slow.release.set()

            async def all_done() -> bool:
                return (
                    await pool.fetchval("SELECT bool_and(state = 'done') FROM deliveries") is True
                )

            await wait_until(all_done, what="every delivery done once the slow one answers")
            assert slow.answered == NOTES
        finally:
            stop.set()
            await running
