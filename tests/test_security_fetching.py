"""SECURITY.md rows 6-8, 13, 14 and 16: what a node fetches when a stranger names a URL.

The node fetches a key when an unknown keyId signs a request; these tests make that key's
document lie, redirect, drip, or point at private addresses, and check that the request is
refused with the fetcher's reason, that nothing is stored, and that no connection reached a
forbidden address. Row 13 runs a node with `development=False`, whose fetcher applies the
production rules (https only, no private address) to the same inbox requests.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from federation.fetcher import (
    ACTIVITYPUB_MEDIA_TYPES,
    FetchPolicy,
    ForbiddenAddress,
    SafeFetcher,
)
from server.processing.remote_actors import ActorUnavailable, RemoteActorDirectory
from tests.hostile import (
    EVIL,
    HOSTILE_HOSTS,
    LIAR,
    ConnectionCounter,
    HostileActor,
    HostileServer,
    connection_counter,
    deliver,
    encode,
    hostile_server,
    post_raw,
    processed,
    rsa_key,
    snapshot,
    start_node,
)
from tests.network import LoopbackNetwork, NetworkNode


@dataclass
class Scene:
    node: NetworkNode
    server: HostileServer
    eve: HostileActor
    vera: HostileActor
    private: ConnectionCounter  # a loopback service the node must never reach in production

    def key_error(self, key_id: str, reason: str) -> str:
        return f"cannot obtain key {key_id}: {reason}"


async def make_scene(network: LoopbackNetwork, *, development: bool) -> AsyncIterator[Scene]:
    async with hostile_server() as server, connection_counter() as private:
        node = await start_node(network, development=development)
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        vera = HostileActor(server, LIAR, "vera", rsa_key(2))
        vera.publish()
        yield Scene(node, server, eve, vera, private)


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async for made in make_scene(network, development=True):
        yield made


@pytest.fixture
async def production(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async for made in make_scene(network, development=False):
        yield made


async def send_from_eve(scene: Scene) -> tuple[int, str | None]:
    follow = scene.eve.activity("Follow", scene.node.place)
    answer = await deliver(scene.node, scene.eve, follow)
    return answer.status, answer.error


def fetch_failure(url: str, hop: str, reason: str) -> str:
    return f"cannot fetch {url}: {hop}: {reason}"


# --- Row 6: the fetched document claims another id ----------------------------------------------


async def test_actor_whose_id_ping_pongs_is_refused(scene: Scene) -> None:
    ghost = scene.server.url(EVIL, "/actors/ghost")
    scene.eve.publish(id=ghost)
    scene.server.serve_json(EVIL, "/actors/ghost", scene.eve.document())  # says it is eve
    before = await snapshot(scene.node)

    status, error = await send_from_eve(scene)

    assert status == 401
    assert error == scene.key_error(
        scene.eve.key_id,
        fetch_failure(
            scene.eve.uri,
            ghost,
            f"document id {scene.eve.uri!r} is not the URL it was fetched from",
        ),
    )
    assert await snapshot(scene.node) == before


async def test_actor_url_serving_someone_elses_document(scene: Scene) -> None:
    """evil.test serves vera's document as eve's: refetched by its id, it is vera's, not eve's."""
    scene.server.serve_json(EVIL, "/actors/eve", scene.vera.document())
    before = await snapshot(scene.node)

    status, error = await send_from_eve(scene)

    assert status == 401
    assert error == scene.key_error(
        scene.eve.key_id, f"actor {scene.vera.uri} does not publish key {scene.eve.key_id}"
    )
    assert await snapshot(scene.node) == before


# --- Row 7: actor served with a non-ActivityPub media type --------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/html; charset=utf-8", "application/json", "application/ld+json"]
)
async def test_actor_served_with_another_media_type(scene: Scene, content_type: str) -> None:
    scene.server.serve_json(EVIL, "/actors/eve", scene.eve.document(), content_type)
    before = await snapshot(scene.node)

    status, error = await send_from_eve(scene)

    assert status == 401
    assert error == scene.key_error(
        scene.eve.key_id,
        fetch_failure(
            scene.eve.uri,
            scene.eve.uri,
            f"Content-Type {content_type!r} is not one of {', '.join(ACTIVITYPUB_MEDIA_TYPES)}",
        ),
    )
    assert await snapshot(scene.node) == before


async def test_actor_served_as_json_ld_with_the_profile_is_accepted(scene: Scene) -> None:
    """The control for the test above."""
    scene.server.serve_json(EVIL, "/actors/eve", scene.eve.document(), ACTIVITYPUB_MEDIA_TYPES[1])
    assert await send_from_eve(scene) == (202, None)


# --- Row 8: redirects ---------------------------------------------------------------------------


async def test_redirect_to_another_origin_checks_the_final_document(scene: Scene) -> None:
    copy = HostileActor(scene.server, LIAR, "eve", scene.eve.key)
    copy.published_keys = [(scene.eve.key_id, scene.eve.key)]  # lists eve's key id as its own
    copy.publish()
    scene.server.redirect(EVIL, "/actors/eve", copy.uri)
    before = await snapshot(scene.node)

    status, error = await send_from_eve(scene)

    assert status == 401
    assert error == scene.key_error(
        scene.eve.key_id, f"actor {copy.uri} does not publish key {scene.eve.key_id}"
    )
    assert await snapshot(scene.node) == before


async def test_redirect_loop(scene: Scene) -> None:
    first = scene.server.redirect(EVIL, "/actors/eve", scene.server.url(EVIL, "/loop/a"))
    scene.server.redirect(EVIL, "/loop/a", scene.server.url(EVIL, "/loop/b"))
    last = scene.server.redirect(EVIL, "/loop/b", first)
    before = await snapshot(scene.node)

    status, error = await send_from_eve(scene)

    assert status == 401
    assert error == scene.key_error(
        scene.eve.key_id, fetch_failure(first, last, f"redirects back to {first}")
    )
    assert scene.server.fetched() == ["/actors/eve", "/loop/a", "/loop/b"]
    assert await snapshot(scene.node) == before


async def test_long_redirect_chain(scene: Scene) -> None:
    hops = [scene.eve.uri] + [scene.server.url(EVIL, f"/hop/{index}") for index in range(1, 10)]
    for here, there in itertools.pairwise(hops):
        scene.server.redirect(EVIL, here.removeprefix(scene.eve.origin), there)
    before = await snapshot(scene.node)

    status, error = await send_from_eve(scene)

    assert status == 401
    assert error == scene.key_error(
        scene.eve.key_id,
        fetch_failure(scene.eve.uri, hops[3], f"more than 3 redirects (next: {hops[4]})"),
    )
    assert len(scene.server.fetched()) == 4
    assert await snapshot(scene.node) == before


async def test_redirect_to_our_own_origin(scene: Scene) -> None:
    scene.server.redirect(EVIL, "/actors/eve", scene.node.place)
    before = await snapshot(scene.node)

    status, error = await send_from_eve(scene)

    assert status == 401
    assert error == scene.key_error(
        scene.eve.key_id,
        fetch_failure(
            scene.eve.uri,
            scene.node.place,
            "this is our own origin; it is never fetched remotely",
        ),
    )
    assert await snapshot(scene.node) == before


async def test_key_id_on_our_own_origin_is_never_fetched(scene: Scene) -> None:
    before = await snapshot(scene.node)
    key_id = f"{scene.node.place}#main-key"
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(f"{scene.node.base}/inbox", body, key_id=key_id)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert answer.status == 401
    assert answer.error == scene.key_error(
        key_id,
        fetch_failure(
            scene.node.place,
            scene.node.place,
            "this is our own origin; it is never fetched remotely",
        ),
    )
    assert await snapshot(scene.node) == before


# --- Row 13: SSRF, on a node running with the production rules -----------------------------------


def private_targets(port: int) -> list[tuple[str, str]]:
    """keyIds naming a private service, and the reason the production fetcher gives."""
    forbidden = "is a private or special-purpose address"
    return [
        (f"https://127.0.0.1:{port}", f"127.0.0.1 {forbidden}"),
        (f"https://[::1]:{port}", f"::1 {forbidden}"),
        (f"https://[::ffff:127.0.0.1]:{port}", f"::ffff:7f00:1 {forbidden}"),
        (f"https://[::ffff:7f00:1]:{port}", f"::ffff:7f00:1 {forbidden}"),
        (f"https://[64:ff9b::7f00:1]:{port}", f"64:ff9b::7f00:1 {forbidden}"),
        (f"https://[2002:7f00:1::]:{port}", f"2002:7f00:1:: {forbidden}"),
        (f"https://100.64.0.1:{port}", f"100.64.0.1 {forbidden}"),
        (f"https://169.254.169.254:{port}", f"169.254.169.254 {forbidden}"),
        (f"https://[::]:{port}", f":: {forbidden}"),
        (f"https://0.0.0.0:{port}", f"0.0.0.0 {forbidden}"),
    ]


async def test_production_node_never_connects_to_private_addresses(production: Scene) -> None:
    scene = production
    before = await snapshot(scene.node)
    for origin, reason in private_targets(scene.private.port):
        actor = f"{origin}/actors/x"
        key_id = f"{actor}#main-key"
        activity = {
            "id": f"{origin}/activities/1",
            "type": "Follow",
            "actor": actor,
            "object": scene.node.place,
        }
        body = encode(activity)
        headers = scene.eve.sign(f"{scene.node.base}/inbox", body, key_id=key_id)

        answer = await post_raw(scene.node, "/inbox", body, headers)

        assert answer.status == 401, origin
        assert answer.error is not None
        assert answer.error.startswith(f"cannot obtain key {key_id}: cannot fetch "), origin
        assert answer.error.endswith(reason), (origin, answer.error)
    assert scene.private.connections == 0
    assert await snapshot(scene.node) == before


GUARD = "refused by Maillage's address guard"


@pytest.mark.parametrize(
    ("spelling", "status", "hop", "reason"),
    [
        (
            "https://localhost:{port}",
            401,
            "https://localhost:{port}",
            f"{GUARD}: localhost resolves only to forbidden addresses (127.0.0.1)",
        ),
        (
            "https://LOCALHOST.:{port}",
            401,
            "https://localhost:{port}",
            f"{GUARD}: localhost resolves only to forbidden addresses (127.0.0.1)",
        ),
        (
            "http://evil.test:{port}",
            401,
            "http://evil.test:{port}",
            "plain http is only allowed in development",
        ),
        ("https://0x7f000001:{port}", 400, None, None),
        ("https://127.1:{port}", 400, None, None),
        ("https://2130706433:{port}", 400, None, None),
    ],
)
async def test_production_node_refuses_disguised_private_hosts(
    production: Scene, spelling: str, status: int, hop: str | None, reason: str | None
) -> None:
    scene = production
    before = await snapshot(scene.node)
    port = scene.private.port
    origin = spelling.format(port=port)
    actor = f"{origin}/actors/x"
    key_id = f"{actor}#main-key"
    body = encode(
        {"id": f"{origin}/a/1", "type": "Follow", "actor": actor, "object": scene.node.place}
    )
    headers = scene.eve.sign(f"{scene.node.base}/inbox", body, key_id=key_id)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    if hop is None or reason is None:  # numeric look-alikes of 127.0.0.1 are not even URLs to us
        expected = f"not a valid URL: {actor!r}"
    else:
        failed_hop = f"{hop.format(port=port)}/actors/x"
        expected = scene.key_error(key_id, fetch_failure(actor, failed_hop, reason))
    assert (answer.status, answer.error) == (status, expected)
    assert scene.private.connections == 0
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_production_directory_refuses_private_actor_and_inbox_urls(
    production: Scene,
) -> None:
    """The node's own directory and fetcher, asked directly (inbox and delivery URLs too)."""
    scene = production
    port = scene.private.port
    directory = scene.node.services.actors
    assert not directory.fetcher.policy.allow_private_network
    before = await snapshot(scene.node)

    with pytest.raises(ActorUnavailable, match="private or special-purpose address"):
        await directory.refresh_actor(f"https://127.0.0.1:{port}/actors/x")
    with pytest.raises(ActorUnavailable, match="resolves only to forbidden addresses"):
        await directory.actor(f"https://localhost:{port}/actors/x")
    with pytest.raises(ForbiddenAddress, match="private or special-purpose address"):
        await scene.node.services.fetcher.post(
            f"https://[::ffff:127.0.0.1]:{port}/inbox", b"{}", {}
        )

    assert scene.private.connections == 0
    assert await snapshot(scene.node) == before


async def test_inbox_and_icon_on_private_addresses_are_never_used(scene: Scene) -> None:
    """Development node: an actor whose inbox is elsewhere is refused; its icon is never fetched."""
    private = f"http://127.0.0.1:{scene.private.port}"
    scene.eve.publish(inbox=f"{private}/inbox")
    before = await snapshot(scene.node)

    status, error = await send_from_eve(scene)

    assert status == 401
    assert error == scene.key_error(
        scene.eve.key_id, f"{scene.eve.uri} has no inbox on its own origin"
    )
    assert await snapshot(scene.node) == before

    scene.node.services.actors.key_fetches.clear()
    scene.eve.publish(
        icon={"type": "Image", "url": f"{private}/../../etc/passwd.png"},
        image={"type": "Image", "url": f"{private}/header.png"},
    )
    follow = scene.eve.activity("Follow", scene.node.place)
    answer = await deliver(scene.node, scene.eve, follow)
    assert (answer.status, answer.error) == (202, None)
    assert await processed(scene.node, follow["id"]) == "done"
    assert scene.private.connections == 0


# --- Row 14: domain tricks in origin checks -------------------------------------------------------


def tricky_targets(scene: Scene) -> list[tuple[str, str]]:
    node_port = scene.node.port
    evil_port = scene.server.port
    other_origin = "an actor may only delete objects of its own origin"
    userinfo = f"http://evil.test:{evil_port}@mende.test:{node_port}/actors/place"
    backslash = f"http://evil.test:{evil_port}\\@mende.test:{node_port}/actors/place"
    return [
        (f"http://MENDE.Test.:{node_port}/actors/place", other_origin),
        (f"http://evil.test:{evil_port + 1}/notes/1", other_origin),
        (f"http://\u0435vil.test:{evil_port}/notes/1", other_origin),  # Cyrillic e
        (f"https://evil.test:{evil_port}/notes/1", other_origin),
        (userinfo, f"not a valid URL: {userinfo!r}"),
        (backslash, f"not a valid URL: {backslash!r}"),
    ]


async def test_delete_of_objects_spelled_to_look_local(scene: Scene) -> None:
    scene.eve.publish()
    before = await snapshot(scene.node)
    for target, reason in tricky_targets(scene):
        answer = await deliver(scene.node, scene.eve, scene.eve.activity("Delete", target))
        assert (answer.status, answer.error) == (400, reason), target
    assert scene.server.hits == []  # refused before the key was even fetched
    assert await snapshot(scene.node) == before


async def test_actor_spelled_differently_from_its_key_owner(scene: Scene) -> None:
    """`EVIL.test.` is evil.test, but the actor URI must be exactly the key owner's."""
    scene.eve.publish()
    before_actors = (await snapshot(scene.node))["inbox_activities"]
    spelled = scene.eve.uri.replace("evil.test", "EVIL.test.")
    follow = {**scene.eve.activity("Follow", scene.node.place), "actor": spelled}

    answer = await deliver(scene.node, scene.eve, follow)

    assert (answer.status, answer.error) == (
        401,
        "the signing key does not belong to the activity's actor",
    )
    assert (await snapshot(scene.node))["inbox_activities"] == before_actors


# --- Row 16: slow drip responses --------------------------------------------------------------


async def test_slow_drip_key_document_hits_the_total_deadline(scene: Scene) -> None:
    document = encode(scene.eve.document())

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/activity+json"})
        await response.prepare(request)
        try:
            for byte in document:
                await response.write(bytes([byte]))
                await asyncio.sleep(0.1)
        except (ConnectionError, RuntimeError):
            pass
        return response

    scene.server.route(EVIL, "/actors/eve", drip)
    policy = FetchPolicy(
        allow_private_network=True,
        total_timeout=1.0,
        read_timeout=0.5,
        host_resolver_overrides=dict.fromkeys(HOSTILE_HOSTS, "127.0.0.1"),
    )
    before = await snapshot(scene.node)
    async with SafeFetcher(policy) as fetcher:
        directory = RemoteActorDirectory(scene.node.pool, fetcher, scene.node.services.signer)
        with pytest.raises(ActorUnavailable) as refused:
            await directory.key(scene.eve.key_id)
    assert str(refused.value) == fetch_failure(
        scene.eve.uri, scene.eve.uri, "not done within the total deadline of 1.0 s"
    )
    assert await snapshot(scene.node) == before
    # And the running node's own fetcher has Mastodon's 30 s total, not aiohttp's 300 s.
    assert scene.node.services.fetcher.policy.total_timeout == 30.0
