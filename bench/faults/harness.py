"""What every fault scenario runs on: a PostgreSQL the suite can stop, a node as a real
`maillage serve` process it can SIGKILL or SIGTERM, a publisher that uses the REST API as a
client should (an Idempotency-Key kept on its retries), and the tally of what arrived."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.common import create_node_in, free_port
from bench.faults.followers import Arrivals, FakeFollower
from server.database import EmbeddedPostgres, with_database

READY_TIMEOUT = 90.0
ADMIN_PASSWORD = "x" * 16  # what bench.common.create_node_in gives the administrator
EVENT = {
    "name": "Atelier",
    "start_time": "2030-06-01T18:00:00",
    "end_time": "2030-06-01T20:00:00",
    "timezone": "Europe/Paris",
}


class StoppableCluster:
    """The suite's own embedded PostgreSQL, which a scenario may stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.server: EmbeddedPostgres | None = None
        self.dsn = ""

    async def start(self) -> str:
        self.server = EmbeddedPostgres(self.folder)
        self.dsn = (await asyncio.to_thread(self.server.start)).dsn
        return self.dsn

    async def stop(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            await asyncio.to_thread(server.stop)

    async def new_database(self) -> str:
        name = f"faults_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(self.dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return with_database(self.dsn, name)


@contextlib.asynccontextmanager
async def cluster(workdir: Path) -> AsyncIterator[StoppableCluster]:
    # Under root, pgserver runs PostgreSQL as a `pgserver` user that must enter the folders.
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    for folder in (workdir, workdir.parent):
        await asyncio.to_thread(folder.chmod, 0o711)
    made = StoppableCluster(workdir)
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


@dataclass
class Node:
    """A node served by `maillage serve` in its own process."""

    workdir: Path
    dsn: str
    followers: Sequence[FakeFollower]
    settings: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def domain(self) -> str:
        return f"node.test:{self.port}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def create(self) -> None:
        """Schema, keys, actors, and the followers' accepted follows of the place."""
        await create_node_in(self.dsn, self.domain)
        place = f"http://{self.domain}/actors/place"
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.executemany(
                "INSERT INTO remote_actors (uri, host, kind, inbox, shared_inbox, document) "
                "VALUES ($1, $2, 'Group', $3, $3, $4::jsonb)",
                [(f.uri, f.host, f.inbox, json.dumps({"id": f.uri})) for f in self.followers],
            )
            await connection.executemany(
                "INSERT INTO follows (follower, followed, follow_activity_id, state) "
                "VALUES ($1, $2, $3, 'accepted')",
                [(f.uri, place, f"{f.uri}#follow") for f in self.followers],
            )
        finally:
            await connection.close()

    def environment(self) -> dict[str, str]:
        hosts = {"node.test": "127.0.0.1"} | {f.name + ".test": "127.0.0.1" for f in self.followers}
        return {
            **os.environ,
            "MAILLAGE_DATA_DIR": str(self.workdir / "node"),
            "DATABASE_URL": self.dsn,
            "MAILLAGE_DOMAIN": self.domain,
            "MAILLAGE_PLACE_NAME": "Faults",
            "MAILLAGE_DEVELOPMENT": "true",
            "MAILLAGE_DEV_HOSTS": json.dumps(hosts),
            "MAILLAGE_LOG_FORMAT": "json",
            "MAILLAGE_LOG_LEVEL": "warning",
            **self.settings,
        }

    async def start(self) -> None:
        self.starts += 1
        self.process = await asyncio.to_thread(self.spawn)
        await self.wait_ready()

    def spawn(self) -> subprocess.Popen[bytes]:
        with (self.workdir / f"node-{self.starts}.log").open("wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "maillage", "serve", "--port", str(self.port)],
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"the node exited; see {self.workdir}/node-*.log")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(f"{self.base}/readyz") as answer:
                        if answer.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError("the node did not become ready")

    def signal(self, number: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(number)

    async def wait_exit(self, seconds: float = 30.0) -> None:
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(self.process.wait, seconds)
            if self.process.poll() is None:
                self.process.kill()
                await asyncio.to_thread(self.process.wait)

    async def stop(self) -> None:
        self.signal(signal.SIGTERM)
        await self.wait_exit()

    async def still_pending(self) -> int:
        """Deliveries the node has not finished: late, not lost."""
        return len(await self.pending_deliveries())

    async def pending_deliveries(self) -> set[tuple[str, str]]:
        """(object id, follower host) of every delivery still pending at the node."""
        hosts = {follower.inbox: follower.host for follower in self.followers}
        connection = await asyncpg.connect(self.dsn)
        try:
            rows = await connection.fetch(
                "SELECT coalesce(o.payload->'object'->>'id', o.payload->>'object') AS object_id, "
                "d.inbox_url FROM deliveries d JOIN outbox_activities o ON o.id = d.outbox_id "
                "WHERE d.state = 'pending'"
            )
        finally:
            await connection.close()
        return {(row["object_id"], hosts.get(row["inbox_url"], row["inbox_url"])) for row in rows}

    async def deliveries_to(self, follower: FakeFollower, state: str | None = None) -> int:
        """How many delivery rows the node holds for `follower` (in `state`, or any)."""
        connection = await asyncpg.connect(self.dsn)
        try:
            count: int = await connection.fetchval(
                "SELECT count(*) FROM deliveries WHERE inbox_url = $1 "
                "AND ($2::text IS NULL OR state = $2)",
                follower.inbox,
                state,
            )
            return count
        finally:
            await connection.close()

    async def leased(self) -> int:
        """Pending deliveries whose lease still runs: with the node stopped, what its successor
        would have to wait for."""
        connection = await asyncpg.connect(self.dsn)
        try:
            count: int = await connection.fetchval(
                "SELECT count(*) FROM deliveries WHERE state = 'pending' "
                "AND lease_until IS NOT NULL AND lease_until > now()"
            )
            return count
        finally:
            await connection.close()


@dataclass
class Publisher:
    """Publishes events through the API; an event counts as acknowledged once answered 201."""

    node: Node
    session: aiohttp.ClientSession
    token: str = ""
    sent: int = 0
    acknowledged: dict[str, float] = field(default_factory=dict)  # event id -> when answered
    progress: asyncio.Event = field(default_factory=asyncio.Event)  # set at each answer

    async def until_acknowledged(self, count: int, within: float = 120.0) -> None:
        deadline = time.monotonic() + within
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            self.progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.progress.wait(), deadline - time.monotonic())

    async def log_in(self) -> None:
        async with self.session.post(
            f"{self.node.base}/api/v1/auth/login",
            json={"username": "admin", "password": ADMIN_PASSWORD},
        ) as answer:
            self.token = (await answer.json())["token"]

    async def publish(
        self, name: str, give_up_after: float = 60.0, key: str | None = None
    ) -> str | None:
        """One event, retried with the same key through refusals and outages; its id or None."""
        self.sent += 1
        key = key or str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        deadline = time.monotonic() + give_up_after
        while time.monotonic() < deadline:
            try:
                async with self.session.post(
                    f"{self.node.base}/api/v1/events",
                    json=EVENT | {"name": name},
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as answer:
                    if answer.status == 201:
                        event_id: str = (await answer.json())["ap_id"]
                        self.acknowledged.setdefault(event_id, time.monotonic())
                        self.progress.set()
                        return event_id
                    retry_after = answer.headers.get("Retry-After", "")
                    wait = min(float(retry_after), 2.0) if retry_after.isdigit() else 0.2
            except (aiohttp.ClientError, TimeoutError):
                wait = 0.2
            await asyncio.sleep(wait)
        return None

    async def publish_many(
        self, count: int, prefix: str, concurrency: int = 4, give_up_after: float = 60.0
    ) -> None:
        names = iter(range(count))

        async def lane() -> None:
            for index in names:
                await self.publish(f"{prefix} {index}", give_up_after)

        await asyncio.gather(*(lane() for _ in range(concurrency)))


def tally(
    scenario: str,
    publisher: Publisher,
    arrivals: Arrivals,
    hosts: Sequence[str],
    recovery_seconds: float | None,
    bound_seconds: float | None,
    pending: set[tuple[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The scenario's JSON line: whether every acknowledged event reached every host once.

    `missing` counts what was acknowledged and is lost: not arrived, and no longer pending at
    the node (given up, or never stored). What has not arrived but is still pending (`pending`,
    from `Node.pending_deliveries`) is `late`: the recovery bound says whether it is too late."""
    expected = {(event, host) for event in publisher.acknowledged for host in hosts}
    delivered = sum(1 for pair in expected if arrivals.counts[pair])
    duplicated = sum(count - 1 for count in arrivals.counts.values() if count > 1)
    not_arrived = {pair for pair in expected if not arrivals.counts[pair]}
    late = len(not_arrived & (pending or set()))
    missing = len(not_arrived) - late
    within = bound_seconds is None or (
        recovery_seconds is not None and recovery_seconds <= bound_seconds
    )
    return {
        "scenario": scenario,
        "sent": publisher.sent,
        "acknowledged": len(publisher.acknowledged),
        "deliveries_expected": len(expected),
        "delivered": delivered,
        "missing": missing,
        "late": late,
        "duplicated": duplicated,
        "recovery_seconds": None if recovery_seconds is None else round(recovery_seconds, 2),
        "bound_seconds": bound_seconds,
        "ok": missing == 0 and late == 0 and within,
        **extra,
    }


async def wait_all_delivered(
    publisher: Publisher, arrivals: Arrivals, hosts: Sequence[str], deadline_seconds: float
) -> float | None:
    """When (monotonic) every acknowledged event had reached every host, or None at the deadline."""
    give_up_at = time.monotonic() + deadline_seconds
    while time.monotonic() < give_up_at:
        pairs = [(event, host) for event in publisher.acknowledged for host in hosts]
        if all(arrivals.counts[pair] for pair in pairs):
            return max((arrivals.first_at[pair] for pair in pairs), default=time.monotonic())
        await asyncio.sleep(0.05)
    return None
