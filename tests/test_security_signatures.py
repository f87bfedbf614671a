"""SECURITY.md rows 1-5, 12 and 19 played against a running node by a hostile peer.

Every refusal is checked three ways: the status, the reason in the JSON body, and the tables an
attack must not touch (`snapshot`). Where the rule needs no key, the node must not even have
fetched the claimed key: the hostile server records every request that reaches it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from federation.digests import make_digest
from federation.keys import public_key_to_pem
from federation.signatures import Scheme
from tests.hostile import (
    EVIL,
    LIAR,
    HostileActor,
    HostileServer,
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
    eve: HostileActor  # the attacker, on evil.test
    mallory: HostileActor  # another actor of evil.test
    vera: HostileActor  # the victim, on liar.test

    async def know(self, *actors: HostileActor) -> None:
        """Have the node cache these actors (as after an earlier exchange)."""
        for actor in actors:
            await self.node.services.actors.refresh_actor(actor.uri)
        self.server.hits.clear()


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Scene]:
    async with hostile_server() as server:
        node = await start_node(network)
        made = Scene(
            node,
            server,
            HostileActor(server, EVIL, "eve", rsa_key(0)),
            HostileActor(server, EVIL, "mallory", rsa_key(1)),
            HostileActor(server, LIAR, "vera", rsa_key(2)),
        )
        for actor in (made.eve, made.mallory, made.vera):
            actor.publish()
        yield made


def inbox_url(scene: Scene, path: str = "/inbox") -> str:
    return f"{scene.node.base}{path}"


async def test_the_harness_delivers_an_honest_activity(scene: Scene) -> None:
    """The control for every refusal below: the same peer, signing honestly, is accepted."""
    for scheme in Scheme:
        follow = scene.eve.activity("Follow", scene.node.place)
        answer = await deliver(scene.node, scene.eve, follow, scheme=scheme)
        assert (answer.status, answer.error) == (202, None)
        assert await processed(scene.node, follow["id"]) == "done"


# --- Row 1: body changed after signing, or digest not signed -----------------------------------


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_body_changed_after_signing(scene: Scene, scheme: Scheme) -> None:
    before = await snapshot(scene.node)
    signed_body = encode(scene.eve.activity("Like", f"{scene.eve.origin}/notes/1"))
    sent_body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), signed_body, scheme=scheme)

    answer = await post_raw(scene.node, "/inbox", sent_body, headers)

    assert (answer.status, answer.error) == (401, "digest mismatch")
    assert scene.server.hits == []  # refused before any key was fetched
    assert await snapshot(scene.node) == before


async def test_body_changed_and_digest_recomputed(scene: Scene) -> None:
    await scene.know(scene.eve)
    before = await snapshot(scene.node)
    signed_body = encode(scene.eve.activity("Like", f"{scene.eve.origin}/notes/1"))
    sent_body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), signed_body)
    headers["Digest"] = make_digest(sent_body)

    answer = await post_raw(scene.node, "/inbox", sent_body, headers)

    assert (answer.status, answer.error) == (401, "bad signature")
    assert await snapshot(scene.node) == before


@pytest.mark.parametrize(
    ("scheme", "covered"),
    [
        (Scheme.CAVAGE, ("(request-target)", "host", "date")),
        (Scheme.RFC9421, ("@method", "@target-uri", "@authority")),
    ],
)
async def test_digest_not_signed(scene: Scene, scheme: Scheme, covered: tuple[str, ...]) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body, scheme=scheme, covered=covered)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (401, "digest not signed")
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_digest_header_removed_after_signing(scene: Scene) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body)
    del headers["Digest"]

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (401, "missing header: digest")
    assert await snapshot(scene.node) == before


# --- Row 2: replay to another path, query or host -----------------------------------------------


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize("replayed_to", ["/actors/place/inbox", "/inbox?page=2"])
async def test_replay_to_another_path_or_query(
    scene: Scene, scheme: Scheme, replayed_to: str
) -> None:
    await scene.know(scene.eve)
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene, "/inbox"), body, scheme=scheme)

    answer = await post_raw(scene.node, replayed_to, body, headers)

    assert (answer.status, answer.error) == (401, "bad signature")
    assert await snapshot(scene.node) == before


async def test_replay_from_another_host(scene: Scene) -> None:
    """Signed for florac.test, sent to mende.test: the signed Host is not this request's."""
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(f"http://florac.test:{scene.node.port}/inbox", body)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (401, "host mismatch")
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


@pytest.mark.parametrize(
    ("covered", "reason"),
    [
        (("host", "date", "digest"), "request target not signed"),
        (("(request-target)", "date", "digest"), "host not signed"),
    ],
)
async def test_target_and_host_must_be_signed(
    scene: Scene, covered: tuple[str, ...], reason: str
) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body, covered=covered)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (401, reason)
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_rfc9421_without_target_is_refused(scene: Scene) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(
        inbox_url(scene), body, scheme=Scheme.RFC9421, covered=("@method", "content-digest")
    )

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (401, "request target not signed")
    assert await snapshot(scene.node) == before


# --- Row 3: stale, future or garbage dates ----------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "shift", "reason"),
    [
        (Scheme.CAVAGE, timedelta(hours=-2), "date too old"),
        (Scheme.CAVAGE, timedelta(hours=2), "date in the future"),
        (Scheme.RFC9421, timedelta(hours=-2), "created too old"),
        (Scheme.RFC9421, timedelta(hours=2), "created in the future"),
    ],
)
async def test_signature_outside_the_time_window(
    scene: Scene, scheme: Scheme, shift: timedelta, reason: str
) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body, scheme=scheme, now=datetime.now(UTC) + shift)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (401, reason)
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


@pytest.mark.parametrize("garbage", ["yesterday", "Mon, 99 Foo 2024 25:61:61 GMT", ""])
async def test_garbage_date(scene: Scene, garbage: str) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body)
    headers["Date"] = garbage

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert answer.status == 401
    assert answer.error in ("malformed date", "missing header: date")
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_date_not_signed(scene: Scene) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body, covered=("(request-target)", "host", "digest"))

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (401, "date not signed")
    assert await snapshot(scene.node) == before


# --- Unsupported or missing signatures: 401, never 500 ------------------------------------------


async def test_unsupported_cavage_algorithm(scene: Scene) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body)
    headers["Signature"] = headers["Signature"].replace('"rsa-sha256"', '"hmac-sha256"')

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (401, "unsupported algorithm")
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_unsupported_rfc9421_algorithm(scene: Scene) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body, scheme=Scheme.RFC9421)
    headers["Signature-Input"] += ';alg="hmac-sha256"'

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (401, "unsupported algorithm")
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_unsigned_request(scene: Scene) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))

    answer = await post_raw(scene.node, "/inbox", body, {})

    assert (answer.status, answer.error) == (401, "missing signature")
    assert await snapshot(scene.node) == before


# --- Row 4: signed by one actor, `actor` says another ---------------------------------------------


@pytest.mark.parametrize("claimed", ["mallory", "vera"])
async def test_key_owner_is_not_the_activity_actor(scene: Scene, claimed: str) -> None:
    await scene.know(scene.eve)
    before = await snapshot(scene.node)
    victim = scene.mallory if claimed == "mallory" else scene.vera
    follow = victim.activity("Follow", scene.node.place)  # actor and id on the victim's origin
    body = encode(follow)
    headers = scene.eve.sign(inbox_url(scene), body)  # but signed with eve's key

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert (answer.status, answer.error) == (
        401,
        "the signing key does not belong to the activity's actor",
    )
    assert scene.server.hits == []  # eve's key was cached; the victim was never even fetched
    assert await snapshot(scene.node) == before


# --- Row 5: the key document lies about its owner -----------------------------------------------


async def test_key_document_claims_an_owner_that_does_not_list_it(scene: Scene) -> None:
    await scene.know(scene.mallory)
    before = await snapshot(scene.node)
    key_id = scene.server.serve_json(
        EVIL,
        "/keys/1",
        {
            "id": scene.server.url(EVIL, "/keys/1"),
            "type": "Key",
            "owner": scene.mallory.uri,
            "publicKeyPem": public_key_to_pem(scene.eve.key),
        },
    )
    body = encode(scene.mallory.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body, key_id=key_id)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert answer.status == 401
    assert answer.error == (
        f"cannot obtain key {key_id}: actor {scene.mallory.uri} does not publish key {key_id}"
    )
    assert await snapshot(scene.node) == before


async def test_key_document_claims_an_owner_on_another_origin(scene: Scene) -> None:
    before = await snapshot(scene.node)
    key_id = scene.server.serve_json(
        EVIL,
        "/keys/2",
        {
            "id": scene.server.url(EVIL, "/keys/2"),
            "type": "Key",
            "owner": scene.vera.uri,
            "publicKeyPem": public_key_to_pem(scene.eve.key),
        },
    )
    body = encode(scene.vera.activity("Follow", scene.node.place))
    headers = scene.eve.sign(inbox_url(scene), body, key_id=key_id)

    answer = await post_raw(scene.node, "/inbox", body, headers)

    assert answer.status == 401
    assert answer.error == (
        f"cannot obtain key {key_id}: key {key_id} claims an owner on another origin"
    )
    assert scene.server.fetched(LIAR) == []
    assert await snapshot(scene.node) == before


async def test_actor_lists_a_key_it_says_someone_else_owns(scene: Scene) -> None:
    """Eve's document lists her key but names mallory as its owner: the key is not eve's."""
    await scene.know(scene.mallory)
    scene.eve.publish(
        publicKey={
            "id": scene.eve.key_id,
            "owner": scene.mallory.uri,
            "publicKeyPem": public_key_to_pem(scene.eve.key),
        }
    )
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))

    answer = await post_raw(scene.node, "/inbox", body, scene.eve.sign(inbox_url(scene), body))

    assert answer.status == 401
    assert answer.error == (
        f"cannot obtain key {scene.eve.key_id}: "
        f"actor {scene.eve.uri} does not publish key {scene.eve.key_id}"
    )
    assert await snapshot(scene.node) == before


# --- Row 12: pre-sending a victim's activity id ---------------------------------------------------


async def test_forged_copy_does_not_poison_deduplication(scene: Scene) -> None:
    await scene.know(scene.eve)
    before = await snapshot(scene.node)
    genuine = scene.vera.activity("Follow", scene.node.place)
    body = encode(genuine)

    # 1. the attacker's own key: refused, the key is not vera's
    forged = await post_raw(scene.node, "/inbox", body, scene.eve.sign(inbox_url(scene), body))
    assert (forged.status, forged.error) == (
        401,
        "the signing key does not belong to the activity's actor",
    )
    # 2. a key of vera's id but the wrong private key: refused, bad signature
    wrong = scene.vera.sign(inbox_url(scene), body, key=scene.eve.key)
    forged = await post_raw(scene.node, "/inbox", body, wrong)
    assert (forged.status, forged.error) == (401, "bad signature")
    # 3. eve, signing as herself, reuses vera's activity id: refused on origin
    stolen = {**scene.eve.activity("Follow", scene.node.place), "id": genuine["id"]}
    forged = await deliver(scene.node, scene.eve, stolen)
    assert (forged.status, forged.error) == (400, "the activity id is not on the actor's origin")
    assert (await snapshot(scene.node))["inbox_activities"] == before["inbox_activities"]

    # The genuine activity still goes through, once, with vera's payload.
    answer = await deliver(scene.node, scene.vera, genuine)
    assert (answer.status, answer.error) == (202, None)
    assert await processed(scene.node, genuine["id"]) == "done"
    stored = await scene.node.fetchval(
        "SELECT actor_uri FROM inbox_activities WHERE activity_id = $1", genuine["id"]
    )
    assert stored == scene.vera.uri


# --- Row 19: Delete floods from unknown actors, key churn ----------------------------------------


async def test_self_delete_of_an_unknown_actor_fetches_nothing(scene: Scene) -> None:
    before = await snapshot(scene.node)
    delete = scene.eve.activity("Delete", scene.eve.uri)

    answer = await deliver(scene.node, scene.eve, delete)

    assert (answer.status, answer.error) == (202, None)
    assert scene.server.hits == []
    assert await snapshot(scene.node) == before


async def test_unknown_key_ids_of_a_known_actor_cause_no_refetch_storm(scene: Scene) -> None:
    await scene.know(scene.eve)  # fetched just now
    before = await snapshot(scene.node)
    for index in range(5):
        key_id = f"{scene.eve.uri}#churn-{index}"
        body = encode(scene.eve.activity("Follow", scene.node.place))
        headers = scene.eve.sign(inbox_url(scene), body, key_id=key_id, key=rsa_key(3))

        answer = await post_raw(scene.node, "/inbox", body, headers)

        assert answer.status == 401
        assert answer.error == (
            f"cannot obtain key {key_id}: actor {scene.eve.uri} does not publish key {key_id}"
        )
    # The actor was fetched less than a window ago: the first unknown key id may refetch it
    # once (a genuine new key is found so), the others cost nothing.
    assert scene.server.fetched() == ["/actors/eve"]
    assert await snapshot(scene.node) == before


async def test_rotated_key_is_accepted_only_if_the_actor_publishes_it(scene: Scene) -> None:
    await scene.know(scene.eve)
    before = await snapshot(scene.node)
    directory = scene.node.services.actors
    directory.key_fetches.clear()  # the last fetch is older than the refresh window

    # A key the actor does not publish, under the known key id: one refetch, then refused.
    body = encode(scene.eve.activity("Follow", scene.node.place))
    answer = await post_raw(
        scene.node, "/inbox", body, scene.eve.sign(inbox_url(scene), body, key=rsa_key(3))
    )
    assert (answer.status, answer.error) == (401, "bad signature")
    assert scene.server.fetched() == ["/actors/eve"]
    # A second try within the window: no refetch at all.
    body = encode(scene.eve.activity("Follow", scene.node.place))
    answer = await post_raw(
        scene.node, "/inbox", body, scene.eve.sign(inbox_url(scene), body, key=rsa_key(3))
    )
    assert (answer.status, answer.error) == (401, "bad signature")
    assert scene.server.fetched() == ["/actors/eve"]
    assert await snapshot(scene.node) == before

    # A genuine rotation, once the window has passed: the refetched actor publishes the new key.
    directory.key_fetches.clear()
    scene.eve.key = rsa_key(3)
    scene.eve.publish()
    follow = scene.eve.activity("Follow", scene.node.place)
    answer = await deliver(scene.node, scene.eve, follow)
    assert (answer.status, answer.error) == (202, None)
    stored_pem = await scene.node.fetchval(
        "SELECT public_pem FROM remote_keys WHERE key_id = $1", scene.eve.key_id
    )
    assert stored_pem == public_key_to_pem(rsa_key(3))
