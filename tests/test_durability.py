"""Nothing is lost: a neighbour down during delivery, a worker killed mid-delivery, a dead host."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest_asyncio
from aiohttp import web

from server.processing.publish import PUBLIC, publish
from server.storage import outbox, remote_hosts
from server.urls import NodeUrls
from tests.network import LoopbackNetwork
from tests.support import free_port, maillage_command, run_maillage, wait_until
from tests.test_federation_network import accepted, follow, publish_note, received
from tests.test_node_cli import ready_status


async def delivery_row(node_db: str, inbox: str) -> asyncpg.Record | None:
    connection = await asyncpg.connect(node_db)
    try:
        return await connection.fetchrow(
            "SELECT state, attempts, last_error FROM deliveries WHERE inbox_url = $1", inbox
        )
    finally:
        await connection.close()


async def test_a_neighbour_down_during_delivery_gets_it_when_back(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(mende, florac.place, mende.place), what="the follow")

    await florac.stop()
    note = await publish_note(mende, "fermeture exceptionnelle")
    florac_inbox = f"{florac.base}/inbox"

    async def failed_once() -> bool:
        row = await delivery_row(mende.database_url, florac_inbox)
        return row is not None and row["attempts"] >= 1 and row["last_error"] is not None

    await wait_until(failed_once, what="a failed delivery attempt to the stopped node")
    row = await delivery_row(mende.database_url, florac_inbox)
    assert row is not None
    assert row["state"] == "pending"

    await florac.start()
    assert await wait_until(lambda: received(florac, note), what="the Create after the restart")

    # The sender records the 2xx after the receiver committed: wait for it too.
    async def delivered() -> bool:
        row = await delivery_row(mende.database_url, florac_inbox)
        return row is not None and row["state"] == "done"

    await wait_until(delivered, what="the delivery marked done")


async def test_an_open_circuit_pauses_a_host_until_it_signs_a_request_to_us(
    connection: asyncpg.Connection,
) -> None:
    await connection.execute(
        "INSERT INTO local_actors (name, kind, display_name) VALUES ('place', 'Group', 'P')"
    )
    urls = NodeUrls("https://mende.example.org")
    await connection.execute(
        """
        INSERT INTO remote_actors (uri, host, kind, inbox, document)
        VALUES ('https://dead.example/a', 'dead.example', 'Group', 'https://dead.example/inbox',
                '{}'::jsonb)
        """
    )
    await connection.execute(
        "INSERT INTO follows (follower, followed, follow_activity_id, state) "
        "VALUES ('https://dead.example/a', $1, 'https://dead.example/f', 'accepted')",
        urls.actor("place"),
    )
    await publish(
        connection,
        urls,
        "place",
        {"type": "Create", "to": [PUBLIC], "object": {"type": "Note", "content": "x"}},
        to_followers=True,
    )
    assert await remote_hosts.record_host_down(connection, "dead.example", lambda _: 60.0)
    assert await outbox.claim_due(connection, 10, 60, 8) == [], "an open circuit pauses the host"

    await remote_hosts.close_circuit(connection, "dead.example")

    claimed = await outbox.claim_due(connection, 10, 60, 8)
    assert [delivery.inbox_url for delivery in claimed] == ["https://dead.example/inbox"]


@dataclass
class RecordingInbox:
    """A follower's inbox that hangs on the first delivery (so the sender can be killed
    mid-request) and records every later one."""

    first_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    hang: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not self.first_arrived.is_set():
            self.first_arrived.set()
            await self.hang.wait()
        self.bodies.append(body)
        return web.Response(status=202)


@pytest_asyncio.fixture(loop_scope="session")
async def recording_inbox() -> AsyncIterator[tuple[RecordingInbox, int]]:
    recorder = RecordingInbox()
    app = web.Application()
    app.router.add_post("/inbox", recorder.handle)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield recorder, port
    recorder.hang.set()
    await runner.cleanup()


async def test_a_worker_killed_mid_delivery_loses_nothing(
    tmp_path: Path, database_url: str, recording_inbox: tuple[RecordingInbox, int]
) -> None:
    recorder, recorder_port = recording_inbox
    port = free_port()
    domain = f"mende.test:{port}"
    env = {
        "MAILLAGE_DATA_DIR": str(tmp_path / "mende"),
        "DATABASE_URL": database_url,
        "MAILLAGE_DEV_HOSTS": json.dumps({"rec.test": "127.0.0.1", "mende.test": "127.0.0.1"}),
        "MAILLAGE_DELIVERY_LEASE_SECONDS": "2",
        "MAILLAGE_WORKER_POLL_SECONDS": "0.5",
    }
    init = run_maillage(
        "init", "--development", "--domain", domain, "--name", "Mende",
        "--admin-username", "camille", "--admin-email", "c@example.org",
        "--admin-password", "correct horse battery",
        env=env,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    follower = f"http://rec.test:{recorder_port}/actor"
    inbox = f"http://rec.test:{recorder_port}/inbox"
    urls = NodeUrls(f"http://{domain}")
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO remote_actors (uri, host, kind, inbox, document) "
            "VALUES ($1, $2, 'Group', $3, '{}'::jsonb)",
            follower,
            f"rec.test:{recorder_port}",
            inbox,
        )
        await connection.execute(
            "INSERT INTO follows (follower, followed, follow_activity_id, state) "
            "VALUES ($1, $2, $3, 'accepted')",
            follower,
            urls.actor("place"),
            f"{follower}#follow",
        )
    finally:
        await connection.close()

    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        maillage_command("serve", "--port", str(port)),
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        await wait_until(lambda: ready_status(port), within=90, what="the node to start")
        connection = await asyncpg.connect(database_url)
        try:
            async with connection.transaction():
                await publish(
                    connection,
                    urls,
                    "place",
                    {"type": "Create", "to": [PUBLIC], "object": {"type": "Note", "content": "!"}},
                    to_followers=True,
                )
        finally:
            await connection.close()
        await asyncio.wait_for(recorder.first_arrived.wait(), timeout=30)

        serve.send_signal(signal.SIGKILL)
        serve.wait(timeout=10)
        row = await delivery_row(database_url, inbox)
        assert row is not None
        assert row["state"] == "pending", "a delivery whose POST never finished is not done"
        assert recorder.bodies == []

        serve = subprocess.Popen(
            maillage_command("serve", "--port", str(port)),
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        await wait_until(
            lambda: asyncio.sleep(0, result=bool(recorder.bodies)),
            within=30,
            what="the delivery to be retried by the restarted node",
        )
        assert recorder.bodies[0]["type"] == "Create"
        assert recorder.bodies[0]["object"]["content"] == "!"

        async def delivered() -> bool:
            row = await delivery_row(database_url, inbox)
            return row is not None and row["state"] == "done"

        await wait_until(delivered, what="the delivery row to be marked done")
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=30)
        log.close()
