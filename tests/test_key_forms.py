"""Keys in every form real servers use, and key rotation without locking out the real key.

Each actor is hand-made on the loopback hostile server in the shape a real server publishes
(GoToSocial's docs/federation/federating_with_gotosocial/http_signatures.md for `/main-key`,
activitypub-express signing with its actor id, FEP-521a Multikeys as Fedify publishes them); a
real node on loopback verifies its signed requests. The refusals of SECURITY.md rows 5 and 19
are in tests/test_security_signatures.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.keys import PrivateKey, ed25519_public_key_to_multibase, public_key_to_pem
from federation.signatures import Scheme, signed_request_headers
from server.processing.actor_keys import FetchedActor, KeyFetchMemory
from tests.hostile import (
    AP_TYPE,
    EVIL,
    Answer,
    HostileActor,
    HostileServer,
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
    ana: HostileActor

    async def send(
        self, key_id: str, key: PrivateKey, scheme: Scheme = Scheme.CAVAGE
    ) -> tuple[Answer, dict[str, Any]]:
        """A Follow from ana, signed with `key` under `key_id`; the answer and the activity."""
        follow = self.ana.activity("Follow", self.node.place)
        body = encode(follow)
        headers = signed_request_headers(
            scheme, "POST", f"{self.node.base}/inbox", body, key=key, key_id=key_id
        )
        return await post_raw(self.node, "/inbox", body, headers), follow

    async def accepted(self, key_id: str, key: PrivateKey, scheme: Scheme = Scheme.CAVAGE) -> None:
        answer, follow = await self.send(key_id, key, scheme)
        assert (answer.status, answer.error) == (202, None), key_id
        assert await processed(self.node, follow["id"]) == "done"

    def fetches(self) -> list[str]:
        """What the node fetched (not the Accepts it delivered to ana's inbox)."""
        return [path for path in self.server.fetched(EVIL) if not path.endswith("/inbox")]


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async with hostile_server() as server:
        node = await start_node(network)
        yield Scene(node, server, HostileActor(server, EVIL, "ana", rsa_key(0)))


def pem_key(key_id: str, owner: str, key: PrivateKey) -> dict[str, Any]:
    return {"id": key_id, "owner": owner, "publicKeyPem": public_key_to_pem(key)}


def multikey(key_id: str, controller: str, key: ed25519.Ed25519PrivateKey) -> dict[str, Any]:
    return {
        "id": key_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": ed25519_public_key_to_multibase(key),
    }


async def test_fragment_key_id(scene: Scene) -> None:
    scene.ana.publish()
    await scene.accepted(f"{scene.ana.uri}#main-key", scene.ana.key)
    assert scene.fetches() == ["/actors/ana"]


async def test_key_id_that_is_the_actor_id(scene: Scene) -> None:
    """activitypub-express signs with its actor id; its actor publishes `<id>#main-key`."""
    scene.ana.publish()
    await scene.accepted(scene.ana.uri, scene.ana.key)
    # The next request finds the key without fetching again.
    await scene.accepted(scene.ana.uri, scene.ana.key)
    assert scene.fetches() == ["/actors/ana"]


async def test_key_at_its_own_path_answering_an_actor_stub(scene: Scene) -> None:
    """GoToSocial: keyId `<actor>/main-key`, whose URL answers a stub of the actor."""
    ana = scene.ana
    key_id = f"{ana.uri}/main-key"
    ana.publish(publicKey=pem_key(key_id, ana.uri, ana.key))
    stub = {
        "@context": ["https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams"],
        "id": ana.uri,
        "type": "Person",
        "preferredUsername": ana.name,
        "publicKey": pem_key(key_id, ana.uri, ana.key),
    }
    scene.server.serve_json(EVIL, "/actors/ana/main-key", stub)

    await scene.accepted(key_id, ana.key)

    # The stub names the actor as its id: fetched again by that id, once, and that is the
    # actor's own document, so the owner needs no third fetch.
    assert scene.fetches() == ["/actors/ana/main-key", "/actors/ana"]


@pytest.mark.parametrize("owner_term", ["owner", "controller"])
async def test_separate_key_document(scene: Scene, owner_term: str) -> None:
    ana = scene.ana
    key_id = scene.server.url(EVIL, "/keys/ana")
    ana.publish(publicKey=pem_key(key_id, ana.uri, ana.key))
    scene.server.serve_json(
        EVIL,
        "/keys/ana",
        {
            "@context": "https://w3id.org/security/v1",
            "id": key_id,
            "type": "CryptographicKey",
            owner_term: ana.uri,
            "publicKeyPem": public_key_to_pem(ana.key),
        },
    )

    await scene.accepted(key_id, ana.key)

    assert scene.fetches() == ["/keys/ana", "/actors/ana"]


@pytest.mark.parametrize("scheme", [Scheme.CAVAGE, Scheme.RFC9421])
async def test_multikey_in_assertion_method(scene: Scene, scheme: Scheme) -> None:
    ana = scene.ana
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_key_id = f"{ana.uri}#ed25519-key"
    ana.publish(assertionMethod=[multikey(ed_key_id, ana.uri, ed_key)])

    await scene.accepted(ed_key_id, ed_key, scheme)


async def test_several_keys_on_one_actor(scene: Scene) -> None:
    ana = scene.ana
    second = rsa_key(1)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ana.publish(
        publicKey=[
            pem_key(f"{ana.uri}#main-key", ana.uri, ana.key),
            pem_key(f"{ana.uri}#second-key", ana.uri, second),
        ],
        assertionMethod=[
            # A reference by id, and a key of a kind we do not read: both skipped.
            f"{ana.uri}#main-key",
            {"id": f"{ana.uri}#jwk", "type": "JsonWebKey", "controller": ana.uri},
            multikey(f"{ana.uri}#ed25519-key", ana.uri, ed_key),
        ],
    )

    await scene.accepted(f"{ana.uri}#second-key", second)
    await scene.accepted(f"{ana.uri}#main-key", ana.key)
    await scene.accepted(f"{ana.uri}#ed25519-key", ed_key)
    await scene.accepted(ana.uri, ana.key)  # the actor id stands for its first publicKey

    assert scene.fetches() == ["/actors/ana"]


async def test_a_refused_key_id_does_not_lock_out_the_real_key(scene: Scene) -> None:
    ana = scene.ana
    ana.publish()
    before = await snapshot(scene.node)

    answer, _ = await scene.send(f"{ana.uri}#no-such-key", rsa_key(3))

    assert answer.status == 401
    assert await snapshot(scene.node) == before  # nothing stored for a key nobody publishes
    # The real key, a moment later: found in the document fetched for the refused one.
    await scene.accepted(f"{ana.uri}#main-key", ana.key)
    assert scene.fetches() == ["/actors/ana"]


async def test_rotation_under_the_same_key_id(scene: Scene) -> None:
    ana = scene.ana
    ana.publish()
    await scene.accepted(ana.key_id, ana.key)  # known, fetched just now
    ana.key = rsa_key(3)
    ana.publish()

    # The new key fails against the stored one: one refetch, even right after a fetch.
    await scene.accepted(ana.key_id, ana.key)
    assert scene.fetches() == ["/actors/ana", "/actors/ana"]

    # The old key now fails, and may not trigger another refetch within the window...
    answer, _ = await scene.send(ana.key_id, rsa_key(0))
    assert (answer.status, answer.error) == (401, "bad signature")
    assert scene.fetches() == ["/actors/ana", "/actors/ana"]
    # ...while the valid key goes on working.
    await scene.accepted(ana.key_id, ana.key)


async def test_rotation_while_another_write_of_the_actor_wins(scene: Scene) -> None:
    """The refetch after a failed signature races a write of the actor (an Update processed
    meanwhile): the stored row is the other write's, and the signature is checked against the
    document just fetched from the actor's id rather than refused."""
    ana = scene.ana
    ana.publish()
    await scene.accepted(ana.key_id, ana.key)
    ana.key = rsa_key(3)
    rotated = json.dumps(ana.document()).encode()

    async def written_meanwhile(request: web.Request) -> web.StreamResponse:
        await scene.node.fetchval(
            "UPDATE remote_actors SET fetched_at = now() WHERE uri = $1", ana.uri
        )
        return web.Response(body=rotated, headers={"Content-Type": AP_TYPE})

    scene.server.route(EVIL, "/actors/ana", written_meanwhile)

    await scene.accepted(ana.key_id, ana.key)
    assert scene.fetches() == ["/actors/ana", "/actors/ana"]
    # The other write won: the fetched document was used, not stored.
    stored = await scene.node.fetchval("SELECT public_pem FROM remote_keys")
    assert stored == public_key_to_pem(rsa_key(0))


async def test_rotation_to_a_new_key_id(scene: Scene) -> None:
    ana = scene.ana
    ana.publish()
    await scene.accepted(ana.key_id, ana.key)  # known, fetched just now
    new_id = f"{ana.uri}#key-2"
    ana.publish(publicKey=pem_key(new_id, ana.uri, rsa_key(3)))

    await scene.accepted(new_id, rsa_key(3))

    assert scene.fetches() == ["/actors/ana", "/actors/ana"]
    stored = await scene.node.fetchval(
        "SELECT string_agg(key_id, ' ' ORDER BY key_id) FROM remote_keys"
    )
    assert stored == f"{ana.uri} {new_id}"  # the old key is gone with the old document


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_refetch_per_window_then_again() -> None:
    clock = Clock()
    memory = KeyFetchMemory(window_seconds=600, clock=clock)
    url = "https://a.example/actors/ana"
    assert memory.may_fetch_for_unknown_key(url)  # first contact
    assert memory.may_fetch_for_unknown_key(url)  # the one refetch
    assert not memory.may_fetch_for_unknown_key(url)
    assert not memory.may_refetch_after_failure(url)
    clock.now += 601
    assert memory.may_refetch_after_failure(url)
    assert not memory.may_fetch_for_unknown_key(url)
    clock.now += 601
    assert memory.may_fetch_for_unknown_key(url)  # long after: one refetch again, not two
    assert not memory.may_fetch_for_unknown_key(url)


def test_remembered_keys_expire_with_the_window() -> None:
    clock = Clock()
    memory = KeyFetchMemory(window_seconds=600, clock=clock)
    ana = "https://a.example/actors/ana"
    memory.remember(FetchedActor(ana, {"id": ana}, {f"{ana}#main-key": "PEM"}))
    assert memory.actor_listing(f"{ana}#main-key") is not None
    assert memory.actor_listing(f"{ana}#other") is None
    clock.now += 600
    assert memory.actor_listing(f"{ana}#main-key") is None


def test_remembered_documents_are_bounded() -> None:
    memory = KeyFetchMemory(max_entries=2)
    for index in range(3):
        uri = f"https://a.example/actors/{index}"
        memory.remember(FetchedActor(uri, {"id": uri}, {f"{uri}#k": "PEM"}))
    assert memory.actor_listing("https://a.example/actors/0#k") is None
    assert memory.actor_listing("https://a.example/actors/2#k") is not None
