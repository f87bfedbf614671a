"""A hostile peer for the SECURITY.md tests: a loopback server under attacker host names.

`HostileServer` answers for several host names at once (`evil.test`, `liar.test`), which a node
reaches through its `dev_hosts`; every request that reaches it is recorded, so a test can prove
that a node fetched nothing. `HostileActor` holds a real RSA key and signs like a peer would;
the test then tampers with what it likes. `snapshot` reads the tables an attack must not touch.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.keys import generate_rsa_key, public_key_to_pem
from federation.signatures import Scheme, signed_request_headers
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import free_port, wait_until

AP_TYPE = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
EVIL = "evil.test"
LIAR = "liar.test"
HOSTILE_HOSTS = (EVIL, LIAR)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@functools.cache
def rsa_key(index: int) -> rsa.RSAPrivateKey:
    """RSA-2048 keys shared by the tests of one session (generating one takes a while)."""
    return generate_rsa_key()


@dataclass
class HostileServer:
    """One loopback server answering for every hostile host name, by the Host header."""

    port: int = 0
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    hits: list[tuple[str, str]] = field(default_factory=list)
    runner: web.AppRunner | None = None

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, host: str, path: str, handler: Handler) -> str:
        self.routes[(host, path)] = handler
        return self.url(host, path)

    def serve_json(
        self, host: str, path: str, document: Mapping[str, Any], content_type: str = AP_TYPE
    ) -> str:
        body = json.dumps(document).encode()

        async def answer(request: web.Request) -> web.StreamResponse:
            return web.Response(body=body, headers={"Content-Type": content_type})

        return self.route(host, path, answer)

    def redirect(self, host: str, path: str, location: str, status: int = 302) -> str:
        async def answer(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": location})

        return self.route(host, path, answer)

    def fetched(self, host: str | None = None) -> list[str]:
        return [path for seen_host, path in self.hits if host is None or seen_host == host]

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        host = request.host.rsplit(":", 1)[0].lower()
        self.hits.append((host, request.path_qs))
        handler = self.routes.get((host, request.path_qs))
        if handler is None:
            return web.json_response({"error": "not here"}, status=404)
        return await handler(request)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        self.runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self.runner.setup()
        self.port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@contextlib.asynccontextmanager
async def hostile_server() -> AsyncIterator[HostileServer]:
    server = HostileServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class ConnectionCounter:
    """A bare TCP listener that only counts connections: proof that nobody knocked."""

    port: int = 0
    connections: int = 0
    server: asyncio.Server | None = None

    async def start(self) -> None:
        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            writer.close()

        self.server = await asyncio.start_server(accepted, "127.0.0.1", 0, family=socket.AF_INET)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@contextlib.asynccontextmanager
async def connection_counter() -> AsyncIterator[ConnectionCounter]:
    counter = ConnectionCounter()
    await counter.start()
    try:
        yield counter
    finally:
        await counter.stop()


@dataclass
class HostileActor:
    server: HostileServer
    host: str
    name: str
    key: rsa.RSAPrivateKey
    published_keys: list[tuple[str, rsa.RSAPrivateKey]] = field(default_factory=list)
    _counter: int = 0

    @property
    def uri(self) -> str:
        return self.server.url(self.host, f"/actors/{self.name}")

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def origin(self) -> str:
        return self.server.url(self.host, "")

    def document(self, **changes: Any) -> dict[str, Any]:
        keys = self.published_keys or [(self.key_id, self.key)]
        document: dict[str, Any] = {
            "@context": [AS_CONTEXT, SECURITY_CONTEXT],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.capitalize(),
            "inbox": f"{self.uri}/inbox",
            "outbox": f"{self.uri}/outbox",
            "followers": f"{self.uri}/followers",
            "publicKey": [
                {"id": key_id, "owner": self.uri, "publicKeyPem": public_key_to_pem(key)}
                for key_id, key in keys
            ],
        }
        document.update(changes)
        return document

    def publish(self, **changes: Any) -> str:
        """Serve this actor's document at its id."""
        return self.server.serve_json(self.host, f"/actors/{self.name}", self.document(**changes))

    def next_id(self, kind: str = "activities") -> str:
        self._counter += 1
        return f"{self.origin}/{kind}/{self.name}-{self._counter}"

    def activity(self, kind: str, target: Any, **extra: Any) -> dict[str, Any]:
        return {
            "@context": AS_CONTEXT,
            "id": self.next_id(),
            "type": kind,
            "actor": self.uri,
            "object": target,
            **extra,
        }

    def note(self, **changes: Any) -> dict[str, Any]:
        return {
            "id": self.next_id("notes"),
            "type": "Note",
            "attributedTo": self.uri,
            "content": "hello",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            **changes,
        }

    def sign(
        self,
        url: str,
        body: bytes,
        *,
        scheme: Scheme = Scheme.CAVAGE,
        key_id: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        now: datetime | None = None,
        covered: tuple[str, ...] | None = None,
    ) -> dict[str, str]:
        return signed_request_headers(
            scheme,
            "POST",
            url,
            body,
            key=key or self.key,
            key_id=key_id or self.key_id,
            now=now,
            covered=covered,
        )


@dataclass(frozen=True)
class Answer:
    status: int
    error: str | None
    headers: Mapping[str, str]


def encode(activity: Mapping[str, Any]) -> bytes:
    return json.dumps(activity).encode()


async def post_raw(node: NetworkNode, path: str, body: bytes, headers: Mapping[str, str]) -> Answer:
    """POST exactly these bytes and headers to the node (on loopback, with its own Host)."""
    sent = {"Content-Type": AP_TYPE, "Host": node.settings.domain or "", **headers}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{node.port}{path}", data=io.BytesIO(body), headers=sent
        ) as response,
    ):
        text = await response.text()
        error: str | None = None
        if response.content_type == "application/json":
            error = json.loads(text).get("error")
        return Answer(response.status, error, response.headers)


async def deliver(
    node: NetworkNode,
    actor: HostileActor,
    activity: Mapping[str, Any],
    *,
    path: str = "/inbox",
    scheme: Scheme = Scheme.CAVAGE,
) -> Answer:
    """Sign and post an activity the honest way."""
    body = encode(activity)
    return await post_raw(node, path, body, actor.sign(f"{node.base}{path}", body, scheme=scheme))


# Columns that an attack must leave alone; timestamps are left out so that re-reading the same
# genuine document is not mistaken for a change.
WATCHED = {
    "inbox_activities": "origin, activity_id, actor_uri, payload::text, state",
    "remote_actors": "uri, document::text, gone",
    "remote_keys": "key_id, actor_uri, public_pem",
    "follows": "follower, followed, state",
    "deliveries": "inbox_url, state",
    "outbox_activities": "activity_id",
}


async def snapshot(node: NetworkNode) -> dict[str, str]:
    taken: dict[str, str] = {}
    for table, columns in WATCHED.items():
        taken[table] = await node.fetchval(
            f"SELECT coalesce(json_agg(t ORDER BY t::text), '[]')::text "
            f"FROM (SELECT {columns} FROM {table}) t"
        )
    return taken


async def start_node(
    network: LoopbackNetwork,
    name: str = "mende",
    *,
    development: bool = True,
    middlewares: tuple[Any, ...] = (),
) -> NetworkNode:
    """A running node that resolves the hostile host names (and the network's) to loopback."""
    node = await network.add(name)
    hosts = {**network.host_map(), **dict.fromkeys(HOSTILE_HOSTS, "127.0.0.1")}
    node.settings = node.settings.model_copy(
        update={"dev_hosts": hosts, "development": development}
    )
    await node.start(middlewares)
    return node


async def inbox_row_state(node: NetworkNode, activity_id: str) -> str | None:
    state: str | None = await node.fetchval(
        "SELECT state FROM inbox_activities WHERE activity_id = $1", activity_id
    )
    return state


async def processed(node: NetworkNode, activity_id: str, within: float = 20.0) -> str:
    """Wait until the node's worker has processed the stored activity; its final state."""

    async def finished() -> str | None:
        state = await inbox_row_state(node, activity_id)
        return state if state in ("done", "failed") else None

    return await wait_until(finished, within=within, what=f"{activity_id} to be processed")
