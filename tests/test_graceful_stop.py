"""A stop strands nothing: on SIGTERM a real node process answers the requests it had accepted,
and gives back the deliveries it had claimed, so that after a restart nothing waits for a lease."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest_asyncio
from aiohttp import web

from server.processing.publish import PUBLIC, publish
from server.urls import NodeUrls
from tests.support import free_port, run_maillage, wait_until
from tests.test_node_cli import GOOD_INIT, node_env, ready_status, running_node

NOTES = 12
CONNECTIONS = 100  # within the listening backlog (aiohttp: 128)
URLS = NodeUrls("http://mende.example.org")


@dataclass
class HeldInbox:
    """A follower's inbox that holds every request until `release` is set, then answers 202."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0
    received: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.held += 1
        await self.release.wait()
        self.received.append(body["id"])
        return web.Response(status=202)


@pytest_asyncio.fixture(loop_scope="session")
async def held_inbox() -> AsyncIterator[tuple[HeldInbox, int]]:
    inbox = HeldInbox()
    app = web.Application()
    app.router.add_post("/inbox", inbox.handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield inbox, port
    inbox.release.set()
    await runner.cleanup()


async def add_follower_and_publish(database_url: str, inbox_port: int) -> None:
    actor = f"http://slow.test:{inbox_port}/actor"
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO remote_actors (uri, host, kind, inbox, document) "
            "VALUES ($1, $2, 'Person', $3, $4::jsonb)",
            actor,
            f"slow.test:{inbox_port}",
            f"http://slow.test:{inbox_port}/inbox",
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
    finally:
        await connection.close()


async def delivery_rows(database_url: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetch("SELECT state, attempts, lease_until FROM deliveries")
    finally:
        await connection.close()


def development_env(node_dir: Path, database_url: str, inbox_port: int) -> dict[str, str]:
    return {
        **node_env(node_dir, database_url),
        "MAILLAGE_DEVELOPMENT": "true",
        "MAILLAGE_DEV_HOSTS": json.dumps({"slow.test": "127.0.0.1"}),
        "MAILLAGE_DELIVERY_LEASE_SECONDS": "120",
    }


async def test_a_stop_gives_back_claimed_deliveries_and_a_restart_sends_them_at_once(
    node_dir: Path, database_url: str, held_inbox: tuple[HeldInbox, int]
) -> None:
    inbox, inbox_port = held_inbox
    env = development_env(node_dir, database_url, inbox_port)
    assert run_maillage(*GOOD_INIT, env=env).returncode == 0
    port = free_port()
    with running_node(node_dir, port, env) as process:
        assert await wait_until(lambda: ready_status(port), within=90, what="/readyz") == 200
        await add_follower_and_publish(database_url, inbox_port)

        async def holding() -> bool:
            return inbox.held > 0

        await wait_until(holding, what="a delivery in flight")

        async def leased() -> bool:
            rows = await delivery_rows(database_url)
            return sum(row["lease_until"] is not None for row in rows) > 1

        await wait_until(leased, what="deliveries claimed")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 60) == 0

    rows = await delivery_rows(database_url)
    assert len(rows) == NOTES
    assert all(row["state"] == "pending" for row in rows)
    assert [row for row in rows if row["lease_until"] is not None] == [], "leases given back"
    assert {row["attempts"] for row in rows} == {0}, "an unfinished attempt is not counted"

    # The follower answers at once now; the restarted node sends everything without waiting
    # for the 120 s lease.
    inbox.release.set()
    port = free_port()
    with running_node(node_dir, port, env) as process:

        async def all_done() -> bool:
            rows = await delivery_rows(database_url)
            return all(row["state"] == "done" for row in rows)

        await wait_until(all_done, within=60, what="every delivery done after the restart")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 60) == 0
    assert len(set(inbox.received)) == NOTES


async def test_requests_accepted_before_sigterm_are_answered(
    node_dir: Path, database_url: str
) -> None:
    env = node_env(node_dir, database_url)
    assert run_maillage(*GOOD_INIT, env=env).returncode == 0
    port = free_port()
    with running_node(node_dir, port, env) as process:
        assert await wait_until(lambda: ready_status(port), within=90, what="/readyz") == 200
        # Frozen, the node cannot accept: the kernel completes the handshakes and queues the
        # connections, with their requests, as it would in the instant before a SIGTERM.
        os.kill(process.pid, signal.SIGSTOP)
        try:
            connections = [
                await asyncio.open_connection("127.0.0.1", port) for _ in range(CONNECTIONS)
            ]
            for _, writer in connections:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                await writer.drain()
            process.send_signal(signal.SIGTERM)
        finally:
            os.kill(process.pid, signal.SIGCONT)
        answers = [await reader.read() for reader, _ in connections]
        for _, writer in connections:
            writer.close()
        assert await asyncio.to_thread(process.wait, 60) == 0
    statuses = [answer.split(b"\r\n", 1)[0] for answer in answers]
    assert statuses == [b"HTTP/1.1 200 OK"] * CONNECTIONS
