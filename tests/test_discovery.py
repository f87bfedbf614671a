"""What a remote server finds on a node: actors, WebFinger, host-meta, NodeInfo, collections."""

from __future__ import annotations

from typing import Any

import aiohttp

from federation.keys import ed25519_public_key_from_multibase, public_key_from_pem
from schemas.parse import parse_actor
from tests.network import LoopbackNetwork, NetworkNode


async def fetch(
    node: NetworkNode, path: str, accept: str = "application/activity+json"
) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{node.port}{path}", headers={"Accept": accept}) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_actor_documents_carry_keys_and_endpoints(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    document: dict[str, Any] = await mende.get_json("/actors/place")
    actor = parse_actor(document)
    assert actor.id == mende.place
    assert actor.type == "Group"
    assert actor.inbox == f"{mende.place}/inbox"
    assert actor.shared_inbox == f"{mende.base}/inbox"
    assert actor.manually_approves_followers is False
    key = actor.key(f"{mende.place}#main-key")
    assert key is not None
    public_key_from_pem(document["publicKey"]["publicKeyPem"])
    multikey = document["assertionMethod"][0]
    assert multikey["type"] == "Multikey"
    assert multikey["controller"] == mende.place
    ed25519_public_key_from_multibase(multikey["publicKeyMultibase"])
    assert "PRIVATE" not in str(document)

    application = await mende.get_json("/actors/application")
    assert application["type"] == "Application"


async def test_content_negotiation(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    for accept in (
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    ):
        status, content_type, _ = await fetch(mende, "/actors/place", accept)
        assert (status, content_type.split(";")[0]) == (200, "application/activity+json")
    status, content_type, body = await fetch(mende, "/actors/place", "text/html")
    assert (status, content_type.split(";")[0]) == (200, "text/html")
    assert "<h1>Mende</h1>" in body
    status, _, _ = await fetch(mende, "/actors/nobody")
    assert status == 404


async def test_webfinger_by_handle_and_by_url(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    domain = mende.settings.domain
    for resource in (f"acct:place@{domain}", f"acct:PLACE@{domain.upper()}", mende.place):
        status, content_type, _ = await fetch(
            mende, f"/.well-known/webfinger?resource={resource}", "application/jrd+json"
        )
        assert status == 200, resource
        assert content_type.startswith("application/jrd+json")
    jrd = await mende.get_json(f"/.well-known/webfinger?resource=acct:place@{domain}")
    assert jrd["subject"] == f"acct:place@{domain}"
    assert {"rel": "self", "type": "application/activity+json", "href": mende.place} in jrd["links"]
    for resource, expected in (
        ("acct:place@elsewhere.example", 404),
        ("acct:nobody@" + str(domain), 404),
        ("", 400),
        ("acct:@@", 404),
    ):
        status, _, _ = await fetch(mende, f"/.well-known/webfinger?resource={resource}")
        assert status == expected, resource


async def test_host_meta_and_nodeinfo(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    status, content_type, body = await fetch(mende, "/.well-known/host-meta", "*/*")
    assert status == 200
    assert content_type.startswith("application/xrd+xml")
    assert f'template="{mende.base}/.well-known/webfinger?resource={{uri}}"' in body

    links = await mende.get_json("/.well-known/nodeinfo", "application/json")
    rels = {link["rel"]: link["href"] for link in links["links"]}
    assert rels["http://nodeinfo.diaspora.software/ns/schema/2.1"] == f"{mende.base}/nodeinfo/2.1"
    assert rels["https://www.w3.org/ns/activitystreams#Application"] == (
        f"{mende.base}/actors/application"
    )
    info = await mende.get_json("/nodeinfo/2.1", "application/json")
    assert info["version"] == "2.1"
    assert info["software"]["name"] == "maillage"
    assert info["protocols"] == ["activitypub"]
    assert info["metadata"]["nodeName"] == "Mende"
    assert info["usage"]["users"]["total"] == 1


async def test_context_document_is_served(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    status, content_type, body = await fetch(mende, "/ns/v1", "application/ld+json")
    assert status == 200
    assert content_type.startswith("application/ld+json")
    assert '"@context"' in body


async def test_collections_are_paged(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    followers_uri = f"{mende.place}/followers"
    connection_values = [
        (f"https://f{index:02d}.example/actor", followers_uri.removesuffix("/followers"))
        for index in range(25)
    ]
    for follower, followed in connection_values:
        await mende.fetchval(
            "INSERT INTO follows (follower, followed, follow_activity_id, state) "
            "VALUES ($1, $2, $1 || '#f', 'accepted') RETURNING id",
            follower,
            followed,
        )
    collection = await mende.get_json("/actors/place/followers")
    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == 25
    first = await mende.get_json("/actors/place/followers?page=1")
    second = await mende.get_json("/actors/place/followers?page=2")
    assert first["type"] == "OrderedCollectionPage"
    assert len(first["orderedItems"]) == 20
    assert first["next"] == f"{followers_uri}?page=2"
    assert len(second["orderedItems"]) == 5
    assert "next" not in second
    assert set(first["orderedItems"]) | set(second["orderedItems"]) == {
        follower for follower, _ in connection_values
    }
    status, _, _ = await fetch(mende, "/actors/place/followers?page=0")
    assert status == 400
    status, _, _ = await fetch(mende, "/actors/place/followers?page=abc")
    assert status == 400
