"""FEP-8b32 proofs and the RFC 9421 first knock, between real nodes and a peer on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.keys import ed25519_public_key_from_multibase, ed25519_public_key_to_multibase
from federation.proofs import sign_document, verify_proof
from tests.hostile import (
    EVIL,
    LIAR,
    HostileActor,
    HostileServer,
    deliver,
    hostile_server,
    inbox_row_state,
    processed,
    rsa_key,
    snapshot,
    start_node,
)
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_federation_network import accepted, follow, publish_note, received

DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v1"
MULTIKEY = "https://w3id.org/security/multikey/v1"


@dataclass
class Author(HostileActor):
    """A peer's actor that also publishes an Ed25519 Multikey and signs integrity proofs."""

    ed25519: ed25519.Ed25519PrivateKey = field(default_factory=ed25519.Ed25519PrivateKey.generate)

    @property
    def proof_key_id(self) -> str:
        return f"{self.uri}#ed25519-key"

    def document(self, **changes: Any) -> dict[str, Any]:
        multikey = {
            "id": self.proof_key_id,
            "type": "Multikey",
            "controller": self.uri,
            "publicKeyMultibase": ed25519_public_key_to_multibase(self.ed25519),
        }
        document = super().document(assertionMethod=[multikey])
        document["@context"] = [*document["@context"], MULTIKEY]
        document.update(changes)
        return document

    def prove(self, activity: dict[str, Any]) -> dict[str, Any]:
        return sign_document(
            {**activity, "@context": [activity["@context"], DATA_INTEGRITY]},
            self.ed25519,
            self.proof_key_id,
        )


@dataclass
class Scene:
    node: NetworkNode
    server: HostileServer
    alice: Author  # the author, on evil.test
    bob: HostileActor  # a server that forwards, on liar.test


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async with hostile_server() as server:
        node = await start_node(network)
        made = Scene(
            node,
            server,
            Author(server, EVIL, "alice", rsa_key(0)),
            HostileActor(server, LIAR, "bob", rsa_key(1)),
        )
        made.alice.publish()
        made.bob.publish()
        # Both inboxes answer 202, like a server that takes what it is sent.
        for actor in (made.alice, made.bob):
            server.route(actor.host, f"/actors/{actor.name}/inbox", accept_anything)
        yield made


async def accept_anything(request: web.Request) -> web.StreamResponse:
    await request.read()
    return web.Response(status=202)


def forged(activity: dict[str, Any]) -> dict[str, Any]:
    changed = json.loads(json.dumps(activity))
    changed["object"]["content"] = "something the author never wrote"
    return changed


async def test_our_activities_carry_a_proof_that_the_receiver_verifies(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(mende, florac)
    await wait_until(
        lambda: accepted(florac, mende.place, florac.place), what="the follow to be accepted"
    )

    note_id = await publish_note(florac, "proved")
    await wait_until(lambda: received(mende, note_id), what="the note on the follower")

    stored = json.loads(
        await mende.fetchval(
            "SELECT payload::text FROM inbox_activities WHERE payload->'object'->>'id' = $1",
            note_id,
        )
    )
    assert DATA_INTEGRITY in stored["@context"]
    proof = stored["proof"]
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["verificationMethod"] == f"{florac.place}#ed25519-key"
    actor = await florac.get_json("/actors/place")
    [multikey] = [k for k in actor["assertionMethod"] if k["id"] == proof["verificationMethod"]]
    verify_proof(stored, proof, ed25519_public_key_from_multibase(multikey["publicKeyMultibase"]))


async def test_a_direct_activity_with_a_valid_proof_is_accepted(scene: Scene) -> None:
    activity = scene.alice.prove(scene.alice.activity("Create", scene.alice.note()))
    answer = await deliver(scene.node, scene.alice, activity)
    assert answer.status == 202, answer.error
    assert await processed(scene.node, activity["id"]) == "done"


async def test_a_direct_activity_with_a_broken_proof_is_refused(scene: Scene) -> None:
    activity = forged(scene.alice.prove(scene.alice.activity("Create", scene.alice.note())))
    before = await snapshot(scene.node)
    answer = await deliver(scene.node, scene.alice, activity)
    assert (answer.status, answer.error) == (
        401,
        "integrity proof: the integrity proof does not verify",
    )
    # The author was fetched to find its key; nothing about the activity was written.
    after = await snapshot(scene.node)
    assert after["inbox_activities"] == before["inbox_activities"]


async def test_a_forwarded_activity_is_accepted_when_the_authors_proof_verifies(
    scene: Scene,
) -> None:
    activity = scene.alice.prove(scene.alice.activity("Create", scene.alice.note()))
    answer = await deliver(scene.node, scene.bob, activity)  # signed by bob, written by alice
    assert answer.status == 202, answer.error
    assert await processed(scene.node, activity["id"]) == "done"
    actor = await scene.node.fetchval(
        "SELECT actor_uri FROM inbox_activities WHERE activity_id = $1", activity["id"]
    )
    assert actor == scene.alice.uri


@pytest.mark.parametrize(
    "proof", ["broken", "absent", "by the forwarder", "by another actor of the author's server"]
)
async def test_a_forwarded_activity_is_refused_without_the_authors_valid_proof(
    scene: Scene, proof: str
) -> None:
    activity = scene.alice.activity("Create", scene.alice.note())
    if proof == "broken":
        activity = forged(scene.alice.prove(activity))
    elif proof == "by the forwarder":
        # A valid proof, but made with a key that the author does not publish.
        forger = Author(scene.server, LIAR, "bob", rsa_key(1))
        activity = sign_document(
            {**activity, "@context": [activity["@context"], DATA_INTEGRITY]},
            forger.ed25519,
            forger.proof_key_id,
        )
    elif proof == "by another actor of the author's server":
        # Mallory's key, published by Mallory: a valid proof, but not by the activity's actor.
        mallory = Author(scene.server, EVIL, "mallory", rsa_key(2))
        mallory.publish()
        activity = mallory.prove(activity)
    before = await snapshot(scene.node)
    answer = await deliver(scene.node, scene.bob, activity)
    assert answer.status == 401, answer.error
    if proof == "by another actor of the author's server":
        assert (
            answer.error
            == f"integrity proof: the author does not publish the key {mallory.proof_key_id}"
        )
    assert await inbox_row_state(scene.node, activity["id"]) is None
    after = await snapshot(scene.node)
    assert after["inbox_activities"] == before["inbox_activities"]
