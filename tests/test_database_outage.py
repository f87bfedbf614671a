"""PostgreSQL down: senders get 503 with Retry-After (so they retry and nothing is lost), API
clients a 503 in the API's error shape; once the database is back, the same POST is accepted.

The node runs on its own embedded PostgreSQL, stopped for real (pg_ctl stop: its connections
are closed and its socket goes away) and started again on the same data directory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from clients.api import MaillageClient
from clients.content import create_event
from schemas.api_events import EventIn
from server.appkeys import OUTAGE
from server.database import DatabaseTarget, EmbeddedPostgres, database_unreachable
from server.migrations import migrate
from server.outage import FORGET_AFTER_SECONDS, DatabaseOutage
from server.routes.unavailable import database_unavailable
from tests.hostile import (
    EVIL,
    HostileActor,
    deliver,
    hostile_server,
    inbox_row_state,
    processed,
    rsa_key,
    start_node,
)
from tests.network import LoopbackNetwork, NetworkNode, loopback_network
from tests.support import free_port, wait_until
from tests.test_api_neighbours import log_in
from tests.test_events_network import EVENT
from tests.test_federation_network import follow_state
from tests.test_live_stream import append, subscribed


class StoppableDatabase:
    """An embedded PostgreSQL of one node, which the test may stop and start again."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.server: EmbeddedPostgres | None = None
        self.dsn = ""

    async def start(self) -> str:
        self.server = EmbeddedPostgres(self.data_dir)
        target: DatabaseTarget = await asyncio.to_thread(self.server.start)
        assert self.dsn in ("", target.dsn), "the restarted server must be at the same address"
        self.dsn = target.dsn
        return self.dsn

    async def stop(self) -> None:
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)
            self.server = None

    async def migrated(self) -> str:
        dsn = await self.start()
        connection = await asyncpg.connect(dsn)
        try:
            await migrate(connection)
        finally:
            await connection.close()
        return dsn


@pytest.fixture
async def stoppable(node_dir: Path) -> AsyncIterator[StoppableDatabase]:
    database = StoppableDatabase(node_dir)
    try:
        yield database
    finally:
        await database.stop()


@pytest.fixture
async def outage_network(
    tmp_path: Path, stoppable: StoppableDatabase
) -> AsyncIterator[LoopbackNetwork]:
    async with loopback_network(tmp_path, stoppable.migrated) as made:
        yield made


async def get(
    node: NetworkNode, path: str, accept: str = "application/json"
) -> tuple[int, str, str | None, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{node.port}{path}", headers={"Accept": accept}) as answer,
    ):
        return (
            answer.status,
            answer.content_type,
            answer.headers.get("Retry-After"),
            await answer.text(),
        )


async def test_inbox_and_api_answer_503_while_the_database_is_down(
    outage_network: LoopbackNetwork, stoppable: StoppableDatabase
) -> None:
    async with hostile_server() as server:
        node = await start_node(outage_network)
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        eve.publish()
        # A first activity while all is well: the node now knows eve's key, so that the next
        # one passes verification and fails only where it is stored.
        greeting = eve.activity("Create", eve.note())
        assert (await deliver(node, eve, greeting)).status == 202

        await stoppable.stop()
        follow = eve.activity("Follow", node.place)
        for path in ("/inbox", "/actors/place/inbox"):
            refused = await deliver(node, eve, follow, path=path)
            assert refused.status == 503, (path, refused)
            assert refused.headers.get("Retry-After", "").isdigit(), path
            assert refused.error is not None
            assert "database" in refused.error
            assert "base de données" in refused.error

        status, content_type, retry_after, body = await get(node, "/api/v1/events")
        assert (status, content_type) == (503, "application/json")
        assert retry_after is not None
        assert retry_after.isdigit()
        error = json.loads(body)
        assert error["fields"] == {}
        assert "database" in error["error"]
        assert "base de données" in error["error"]

        status, _, retry_after, body = await get(node, "/agenda", accept="text/html")
        assert status == 503
        assert retry_after is not None
        assert "base de données" in body

        status, _, _, body = await get(node, "/readyz")
        assert status == 503
        assert json.loads(body)["status"] == "not ready"

        await stoppable.start()

        async def ready() -> bool:
            return (await get(node, "/readyz"))[0] == 200

        await wait_until(ready, what="/readyz once the database is back")
        assert await inbox_row_state(node, follow["id"]) is None, "a refused Follow is not stored"
        assert await follow_state(node, eve.uri, node.place) is None
        accepted = await deliver(node, eve, follow)
        assert accepted.status == 202, accepted
        assert await processed(node, follow["id"]) == "done"
        assert await follow_state(node, eve.uri, node.place) == "accepted"


async def test_other_errors_stay_500() -> None:
    """Only an unreachable database is a 503: an OSError of our own code is still a bug."""

    async def missing_file(request: web.Request) -> web.Response:
        Path("/nonexistent/maillage").read_text()
        return web.Response()

    async def refused_database(request: web.Request) -> web.Response:
        await asyncpg.connect(f"postgresql://nobody@127.0.0.1:{free_port()}/none")
        return web.Response()

    app = web.Application(middlewares=[database_unavailable])
    app.router.add_get("/bug", missing_file)
    app.router.add_get("/api/v1/down", refused_database)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/bug") as answer:
                assert answer.status == 500
            async with session.get(f"http://127.0.0.1:{port}/api/v1/down") as answer:
                assert answer.status == 503
                assert (await answer.json())["fields"] == {}
    finally:
        await runner.cleanup()


def test_what_counts_as_unreachable() -> None:
    assert database_unreachable(asyncpg.exceptions.TooManyConnectionsError("too many"))
    assert database_unreachable(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert database_unreachable(asyncpg.InterfaceError("pool is closed"))
    assert not database_unreachable(asyncpg.InterfaceError("another operation is in progress"))
    assert not database_unreachable(asyncpg.exceptions.UniqueViolationError("duplicate"))
    assert not database_unreachable(ConnectionRefusedError("not raised by asyncpg"))
    assert not database_unreachable(ValueError("a bug"))


async def test_after_a_restart_notifications_wake_the_workers_and_the_stream_again(
    outage_network: LoopbackNetwork, stoppable: StoppableDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The polls are set to an hour, so only LISTENs made again after the restart can wake the
    inbox worker, the delivery worker and the live stream within the test's deadlines."""
    monkeypatch.setattr("server.live.POLL_SECONDS", 3600.0)
    async with hostile_server() as server, aiohttp.ClientSession() as session:
        node = await outage_network.add("mende")
        node.settings = node.settings.model_copy(
            update={
                "dev_hosts": {**outage_network.host_map(), EVIL: "127.0.0.1"},
                "worker_poll_seconds": 3600.0,
            }
        )
        await node.start()
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        eve.publish()
        eve_inbox = urlsplit(f"{eve.uri}/inbox").path
        greeting = eve.activity("Create", eve.note())
        assert (await deliver(node, eve, greeting)).status == 202
        assert await processed(node, greeting["id"]) == "done"

        async with subscribed(session, node.port) as wall:
            await stoppable.stop()
            await wait_until(lambda: readyz_is(node, 503), what="/readyz to see the outage")
            await stoppable.start()
            await wait_until(lambda: readyz_is(node, 200), what="/readyz once the database is back")

            follow = eve.activity("Follow", node.place)
            assert (await deliver(node, eve, follow)).status == 202
            assert await processed(node, follow["id"], within=10) == "done"

            async def accept_sent() -> bool:
                return eve_inbox in server.fetched(EVIL)

            await wait_until(accept_sent, within=10, what="the Accept to reach eve's inbox")
            item = await append(stoppable.dsn, "event", {"name": "Atelier vélo"})
            received = await wall.next_event(within=10)
            while received["id"] < item:  # the new follower, announced first
                received = await wall.next_event(within=10)
            assert (received["id"], received["name"]) == (item, "Atelier vélo")


async def readyz_is(node: NetworkNode, status: int) -> bool:
    return (await get(node, "/readyz"))[0] == status


async def test_during_an_outage_retry_after_grows_and_senders_are_never_rate_limited(
    outage_network: LoopbackNetwork, stoppable: StoppableDatabase
) -> None:
    async with hostile_server() as server:
        node = await start_node(outage_network)
        limits = node.settings
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        eve.publish()
        greeting = eve.activity("Create", eve.note())
        assert (await deliver(node, eve, greeting)).status == 202

        await stoppable.stop()
        follow = eve.activity("Follow", node.place)
        # More than the address's bucket holds (a request refused before its signature is
        # verified is charged there): were the 503s charged, the last ones would be 429s.
        attempts = limits.inbox_client_burst + 10
        retry_afters = []
        for _ in range(attempts):
            refused = await deliver(node, eve, follow)
            assert refused.status == 503, refused
            retry_afters.append(int(refused.headers["Retry-After"]))
        assert retry_afters[0] == 1

        async def grown() -> int | None:
            refused = await deliver(node, eve, follow)
            assert refused.status == 503, refused
            seconds = int(refused.headers["Retry-After"])
            return seconds if seconds >= 2 else None

        assert await wait_until(grown, within=10, what="a longer Retry-After") in (2, 4)
        assert retry_afters == sorted(retry_afters)

        await stoppable.start()
        await wait_until(lambda: readyz_is(node, 200), what="/readyz once the database is back")
        accepted = await deliver(node, eve, follow)
        assert accepted.status == 202, accepted


def test_retry_after_grows_with_the_outage_up_to_thirty_seconds() -> None:
    now = [100.0]
    outage = DatabaseOutage(clock=lambda: now[0])
    seen = []
    for elapsed in (0, 0.5, 1, 3, 7, 15, 31, 50):
        now[0] = 100.0 + elapsed
        seen.append(outage.failed())
    assert seen == [1, 1, 2, 4, 8, 16, 30, 30]
    outage.ended()
    assert outage.failed() == 1, "a new outage starts short again"
    now[0] += FORGET_AFTER_SECONDS + 1
    assert outage.failed() == 1, "failures long apart are separate outages"


async def test_the_client_retries_through_an_outage_and_creates_once(
    outage_network: LoopbackNetwork, stoppable: StoppableDatabase
) -> None:
    node = await start_node(outage_network)
    token = await log_in(node)
    assert node.runner is not None
    outage = node.runner.app[OUTAGE]
    await stoppable.stop()
    # More attempts than the default four, so that a slow restart of PostgreSQL on a loaded
    # machine is still within the client's patience.
    base = f"http://127.0.0.1:{node.port}"
    async with MaillageClient(base, token=token, attempts=8) as client:
        creating = asyncio.create_task(create_event(client, EventIn.model_validate(EVENT)))

        async def refused_once() -> bool:
            return outage.started is not None

        await wait_until(refused_once, what="the client's first attempt to meet the outage")
        assert not creating.done()
        await stoppable.start()
        created = await creating
    assert created.name == EVENT["name"]
    count = await node.fetchval("SELECT count(*) FROM events WHERE name = $1", EVENT["name"])
    assert count == 1
