"""Backfill of actors that are not Maillage places: one without an `outbox` needs no retry, and a
job still waiting ends with the follow. The followed actor is hand-made on the loopback hostile
server; it answers our Follow with a signed Accept, as a real server would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from server.processing.neighbours import follow_neighbour, unfollow_neighbour
from tests.foreign import Mailbox, mailbox_of
from tests.hostile import (
    EVIL,
    HostileActor,
    HostileServer,
    deliver,
    hostile_server,
    processed,
    rsa_key,
    start_node,
)
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until


@dataclass
class Scene:
    node: NetworkNode
    server: HostileServer
    ana: HostileActor
    mailbox: Mailbox

    async def followed_and_accepted(self) -> None:
        services = self.node.services
        await follow_neighbour(
            services.pool,
            services.node,
            services.actors,
            services.fetcher,
            self.ana.uri,
            development=True,
        )
        [follow] = await self.mailbox.wait_for("Follow")
        accept = self.ana.activity("Accept", follow)
        answer = await deliver(self.node, self.ana, accept)
        assert (answer.status, answer.error) == (202, None)
        assert await processed(self.node, accept["id"]) == "done"

    async def job(self) -> tuple[str, int, str | None] | None:
        row = await self.node.fetchval(
            "SELECT row(state, attempts, last_error)::text FROM backfill_jobs WHERE followed = $1",
            self.ana.uri,
        )
        return row  # type: ignore[no-any-return]


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async with hostile_server() as server:
        node = await start_node(network)
        ana = HostileActor(server, EVIL, "ana", rsa_key(0))
        yield Scene(node, server, ana, mailbox_of(ana))


@pytest.mark.parametrize("outbox", ["absent", "null"])
async def test_an_actor_without_outbox_is_backfilled_with_nothing_and_no_retry(
    scene: Scene, outbox: str
) -> None:
    document = scene.ana.document(outbox=None)
    if outbox == "absent":
        del document["outbox"]
    scene.server.serve_json(EVIL, "/actors/ana", document)

    await scene.followed_and_accepted()

    async def finished() -> str | None:
        state = await scene.node.fetchval(
            "SELECT state FROM backfill_jobs WHERE followed = $1", scene.ana.uri
        )
        return state if state != "pending" else None

    assert await wait_until(finished, what="the backfill job to end") == "done"
    assert await scene.job() == "(done,1,)"


async def test_a_waiting_backfill_ends_with_the_follow(scene: Scene) -> None:
    scene.ana.publish()
    fetched_outbox = 0

    async def busy(request: web.Request) -> web.StreamResponse:
        nonlocal fetched_outbox
        fetched_outbox += 1
        return web.Response(status=503)

    scene.server.route(EVIL, "/actors/ana/outbox", busy)
    await scene.followed_and_accepted()

    async def retrying() -> str | None:
        job = await scene.job()
        return job if job is not None and job.startswith("(pending,1,") else None

    await wait_until(retrying, what="the backfill to wait for a retry")
    services = scene.node.services
    await unfollow_neighbour(
        services.pool, services.node, services.fetcher, scene.ana.uri, development=True
    )

    assert await scene.job() is None
    assert fetched_outbox == 1
