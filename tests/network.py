"""A test network: several real nodes in this process, each on its own loopback port and database.

Nodes are reached under stable host names (`mende.test`, `florac.test`, ...) that the nodes' own
fetchers map to 127.0.0.1, the way the design asks; the port is part of each node's domain.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from aiohttp.typedefs import Middleware

from server.app import create_app
from server.appkeys import SERVICES
from server.config import Settings, load_settings
from server.node_setup import create_node_records, new_key_pairs, validate_setup
from server.passwords import hash_password
from server.services import NodeServices

CreateDatabase = Callable[[], Awaitable[str]]


def reserve_port(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:`port` (0: any free port), as aiohttp's TCPSite makes."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", port))
        listening.listen(128)
        listening.setblocking(False)
    except BaseException:
        listening.close()
        raise
    return listening


@dataclass
class NetworkNode:
    name: str
    settings: Settings
    database_url: str
    runner: web.AppRunner | None = None
    port: int = 0
    # Bound when the node is added and held until it starts, so that no other process of the
    # machine can take the port in between (a port only looked up would be free for anyone).
    reserved: socket.socket | None = None

    @property
    def base(self) -> str:
        return self.settings.public_url

    @property
    def place(self) -> str:
        return f"{self.base}/actors/place"

    @property
    def handle(self) -> str:
        return f"acct:place@{self.settings.domain}"

    @property
    def services(self) -> NodeServices:
        assert self.runner is not None, f"node {self.name} is not running"
        return self.runner.app[SERVICES]

    @property
    def pool(self) -> asyncpg.Pool:
        return self.services.pool

    async def start(self, middlewares: Sequence[Middleware] = ()) -> None:
        """Serve the node on its port; `middlewares` go after the node's own."""
        app = create_app(self.settings)
        app.middlewares.extend(middlewares)
        self.runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
        await self.runner.setup()
        listening, self.reserved = self.reserved or reserve_port(self.port), None
        await web.SockSite(self.runner, listening).start()

    async def stop(self) -> None:
        if self.reserved is not None:  # added, never started
            self.reserved.close()
            self.reserved = None
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def fetchval(self, query: str, *args: Any) -> Any:
        connection = await asyncpg.connect(self.database_url)
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()

    async def get_json(self, path: str, accept: str = "application/activity+json") -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"http://127.0.0.1:{self.port}{path}", headers={"Accept": accept}
            ) as response,
        ):
            response.raise_for_status()
            return await response.json(content_type=None)


@dataclass
class LoopbackNetwork:
    tmp_path: Path
    create_database: CreateDatabase
    nodes: dict[str, NetworkNode] = field(default_factory=dict)

    def host_map(self) -> dict[str, str]:
        return {f"{name}.test": "127.0.0.1" for name in self.nodes}

    async def add(
        self, name: str, *, host: str | None = None, manually_approves: bool = False
    ) -> NetworkNode:
        """A node named `name`, under the domain `HOST:PORT` (`host` by default `NAME.test`),
        PORT being the one it holds from now on and listens on once started."""
        reserved = reserve_port(0)
        port = reserved.getsockname()[1]
        try:
            domain = f"{host or name + '.test'}:{port}"
            database_url = await self.create_node_database(domain, name, manually_approves)
        except BaseException:
            reserved.close()
            raise
        node = NetworkNode(name, Settings(), database_url, port=port, reserved=reserved)
        self.nodes[name] = node
        node.settings = load_settings(
            self.tmp_path / name,
            domain=domain,
            place_name=name.capitalize(),
            database_url=database_url,
            development=True,
            dev_hosts=self.host_map(),
            worker_poll_seconds=0.5,
            delivery_first_retry_seconds=0.5,
            delivery_lease_seconds=5,
        )
        return node

    async def create_node_database(self, domain: str, name: str, manually_approves: bool) -> str:
        """A new database holding a node's records (schema, keys, administrator, place)."""
        database_url = await self.create_database()
        setup = validate_setup(domain, name.capitalize(), "admin", "admin@example.org", "x" * 12)
        connection = await asyncpg.connect(database_url)
        try:
            await create_node_records(
                connection, setup, hash_password(setup.admin_password), new_key_pairs(), force=False
            )
            if manually_approves:
                await connection.execute(
                    "UPDATE local_actors SET manually_approves_followers = true "
                    "WHERE name = 'place'"
                )
        finally:
            await connection.close()
        return database_url

    async def start_all(self) -> None:
        hosts = self.host_map()
        for node in self.nodes.values():
            node.settings = node.settings.model_copy(update={"dev_hosts": hosts})
            await node.start()

    async def stop_all(self) -> None:
        for node in self.nodes.values():
            await node.stop()


@contextlib.asynccontextmanager
async def loopback_network(
    tmp_path: Path, create_database: CreateDatabase
) -> AsyncIterator[LoopbackNetwork]:
    network = LoopbackNetwork(tmp_path, create_database)
    try:
        yield network
    finally:
        await network.stop_all()
