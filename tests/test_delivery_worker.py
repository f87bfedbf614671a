"""The delivery worker against a real inbox on loopback: how a host's answers move its breaker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
import pytest_asyncio
from aiohttp import web

from federation.fetcher import FetchPolicy, SafeFetcher
from server.processing.signing import RequestSigner
from server.workers.delivery import DeliveryWorker
from tests.support import free_port, wait_until
from tests.test_fair_delivery import URLS, prepare


@dataclass
class ErringInbox:
    """Answers the first request 500 at once, then holds every request until `release`."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: int = 0
    held: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.arrived += 1
        if self.arrived == 1:
            return web.Response(status=500)
        self.held += 1
        await self.release.wait()
        self.held -= 1
        return web.Response(status=202)


@pytest_asyncio.fixture(loop_scope="session")
async def erring_inbox() -> AsyncIterator[tuple[ErringInbox, int]]:
    inbox = ErringInbox()
    app = web.Application()
    app.router.add_post("/inbox", inbox.handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield inbox, port
    inbox.release.set()
    await runner.cleanup()


async def test_a_probe_answered_with_an_error_ends_the_streak(
    pool: asyncpg.Pool, erring_inbox: tuple[ErringInbox, int]
) -> None:
    inbox, port = erring_inbox
    await prepare(pool, {"erring": port})
    host = f"erring.test:{port}"
    # The host failed for an hour; its pause just ended; its deliveries wait for later retries.
    await pool.execute(
        "INSERT INTO remote_hosts (host, consecutive_failures, failing_since, circuit_open_until) "
        "VALUES ($1, 7, now() - interval '1 hour', now() - interval '1 second')",
        host,
    )
    await pool.execute("UPDATE deliveries SET next_attempt_at = now() + interval '1 hour'")
    policy = FetchPolicy(
        allow_private_network=True,
        own_origins=frozenset({URLS.base}),
        host_resolver_overrides={"erring.test": "127.0.0.1"},
    )
    stop = asyncio.Event()
    async with SafeFetcher(policy) as fetcher:
        worker = DeliveryWorker(pool, fetcher, RequestSigner(pool, URLS), poll_seconds=0.5)
        running = asyncio.create_task(worker.run(stop))
        try:
            # The probe's 500 shows the host up: the streak ends and the backlog goes out at
            # the host's concurrency, not one probe at a time.
            async def several_at_once() -> bool:
                return inbox.held >= 2

            await wait_until(several_at_once, what="deliveries sent side by side")
            assert (
                await pool.fetchval(
                    "SELECT consecutive_failures FROM remote_hosts WHERE host = $1", host
                )
                == 0
            )
            inbox.release.set()
        finally:
            stop.set()
            await running
