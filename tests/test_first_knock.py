"""RFC 9421 offered on first contact, draft-cavage when refused, the answer remembered per host."""

from __future__ import annotations

from aiohttp import web

from federation.hosts import canonical_host
from tests.hostile import EVIL, HostileActor, deliver, hostile_server, rsa_key, start_node
from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_federation_network import accepted, follow


async def test_a_host_that_refuses_rfc9421_gets_cavage_at_once_and_ever_after(
    network: LoopbackNetwork,
) -> None:
    seen: list[str] = []

    async def cavage_only(request: web.Request) -> web.StreamResponse:
        """Like a server that knows only draft-cavage (Mastodon before 4.5): 401 otherwise."""
        await request.read()
        scheme = "rfc9421" if "Signature-Input" in request.headers else "cavage"
        seen.append(scheme)
        return web.Response(status=202 if scheme == "cavage" else 401)

    async def delivered(count: int) -> bool:
        done = await node.fetchval("SELECT count(*) FROM deliveries WHERE state = 'done'")
        return bool(done == count)

    async with hostile_server() as server:
        node = await start_node(network)
        followers = [HostileActor(server, EVIL, name, rsa_key(0)) for name in ("ana", "ben")]
        for actor in followers:
            actor.publish()
            server.route(EVIL, f"/actors/{actor.name}/inbox", cavage_only)
        host = canonical_host(followers[0].uri)

        answer = await deliver(node, followers[0], followers[0].activity("Follow", node.place))
        assert answer.status == 202, answer.error
        await wait_until(lambda: delivered(1), what="the Accept to be delivered")
        assert seen == ["rfc9421", "cavage"]
        remembered = await node.fetchval(
            "SELECT signature_scheme FROM remote_hosts WHERE host = $1", host
        )
        assert remembered == "draft-cavage-http-signatures-12"

        answer = await deliver(node, followers[1], followers[1].activity("Follow", node.place))
        assert answer.status == 202, answer.error
        await wait_until(lambda: delivered(2), what="the second Accept to be delivered")
        assert seen == ["rfc9421", "cavage", "cavage"]


async def test_two_nodes_settle_on_rfc9421(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(mende, florac)
    await wait_until(lambda: accepted(mende, mende.place, florac.place), what="the Accept")

    for node, other in ((mende, florac), (florac, mende)):
        scheme = await node.fetchval(
            "SELECT signature_scheme FROM remote_hosts WHERE host = $1",
            canonical_host(other.place),
        )
        assert scheme == "rfc9421", node.name
