"""Open calls across real nodes: published, changed, closed (by hand and at the deadline),
withdrawn; and what the Fedify peer, standing in for Mastodon, receives."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.processing.open_calls import OpenCallHandlers, close_expired_calls
from server.storage import follows
from server.storage.inbox import ReceivedActivity
from tests import fedify_peer
from tests.fedify_peer import Entry, FedifyPeerFactory
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_federation_network import accepted, follow
from tests.test_fedify_interop import localhost_node, peer_follows_our_place

fedify_install = fedify_peer.fedify_install
fedify_peer_factory = fedify_peer.fedify_peer_factory


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


CALL: dict[str, Any] = {
    "kind": "skills",
    "title": "Soudure & électronique pour le repair café",
    "description": "Nous cherchons des bénévoles.\n\nUn samedi par mois, à Mende.",
    "deadline": in_days(30),
    "skills_wanted": ["soudure", "électronique"],
    "territory": "Lozère",
    "contact": "repair@mende.example",
    "documents": [{"name": "Règlement", "url": "https://mende.example/reglement.pdf"}],
}


async def copy_of(node: NetworkNode, uri: str) -> dict[str, Any] | None:
    raw = await node.fetchval("SELECT to_jsonb(c)::text FROM open_calls c WHERE uri = $1", uri)
    return None if raw is None else dict(json.loads(raw))


async def copy_with(node: NetworkNode, uri: str, **expected: Any) -> dict[str, Any] | None:
    found = await copy_of(node, uri)
    if found is None or any(found[key] != value for key, value in expected.items()):
        return None
    return found


async def outbox_count(node: NetworkNode) -> int:
    count: int = await node.fetchval("SELECT count(*) FROM outbox_activities")
    return count


async def neighbours(network: LoopbackNetwork) -> tuple[NetworkNode, NetworkNode, str]:
    """Mende publishes, florac follows it; returns both and mende's admin token."""
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(mende, florac.place, mende.place), what="the follow")
    return mende, florac, await log_in(mende)


async def test_a_call_reaches_the_neighbour_and_closes_everywhere(
    network: LoopbackNetwork,
) -> None:
    mende, florac, token = await neighbours(network)

    status, created = await call(mende, "POST", "/api/v1/calls", token=token, body=CALL)
    assert status == 201, created
    uri = created["uri"]
    assert created["status"] == "open"

    copy = await wait_until(lambda: copy_of(florac, uri), what="the call on florac")
    assert copy["local"] is False
    assert copy["actor_uri"] == mende.place
    assert copy["kind"] == "skills"
    assert copy["title"] == CALL["title"]
    assert copy["description"] == CALL["description"]
    assert copy["content_html"] == (
        "<p>Nous cherchons des bénévoles.</p><p>Un samedi par mois, à Mende.</p>"
    )
    assert datetime.fromisoformat(copy["deadline"]) == datetime.fromisoformat(CALL["deadline"])
    assert copy["skills_wanted"] == ["soudure", "électronique"]
    assert copy["territory"] == "Lozère"
    assert copy["contact"] == "repair@mende.example"
    assert copy["documents"] == CALL["documents"]
    assert copy["status"] == "open"
    # Florac's API lists it among the network's calls.
    status, listed = await call(florac, "GET", "/api/v1/calls")
    assert status == 200
    assert [item["uri"] for item in listed] == [uri]
    assert listed[0]["local"] is False

    # The document at its id: a Page that Mastodon shows as title, summary and link.
    document = await mende.get_json(uri.removeprefix(mende.base))
    assert document["type"] == "Page"
    assert document["name"] == CALL["title"]
    assert document["url"] == uri
    assert "Appel à compétences" in document["summary"]
    assert document["callKind"] == "skills"
    assert document["attachment"] == [
        {"type": "Link", "href": "https://mende.example/reglement.pdf", "name": "Règlement"}
    ]

    close = f"/api/v1/calls/{created['id']}/close"
    status, closed = await call(mende, "POST", close, token=token, body={"status": "filled"})
    assert status == 200, closed
    await wait_until(lambda: copy_with(florac, uri, status="filled"), what="filled on florac")

    # The deadline: a second call, its deadline passed (the API refuses a past one, so the test
    # moves it in the database); two sweepers at once close it once and florac's copy follows.
    status, second = await call(
        mende, "POST", "/api/v1/calls", token=token, body={**CALL, "title": "Bénévoles"}
    )
    assert status == 201
    await wait_until(lambda: copy_of(florac, second["uri"]), what="the second call on florac")
    await mende.fetchval(
        "UPDATE open_calls SET deadline = now() - interval '1 minute' WHERE uri = $1",
        second["uri"],
    )
    sweeps = await asyncio.gather(
        close_expired_calls(mende.pool, mende.services.urls),
        close_expired_calls(mende.pool, mende.services.urls),
    )
    assert sorted(sweeps, key=len) == [[], [second["uri"]]]
    await wait_until(
        lambda: copy_with(florac, second["uri"], status="closed"), what="closed on florac"
    )
    assert await close_expired_calls(mende.pool, mende.services.urls) == []

    # Withdrawing sends a Delete: florac forgets the call, its URL answers 410.
    status, _ = await call(mende, "DELETE", f"/api/v1/calls/{created['id']}", token=token)
    assert status == 204

    async def forgotten() -> bool:
        return await copy_of(florac, uri) is None

    await wait_until(forgotten, what="the Delete on florac")
    status, _ = await call(mende, "GET", f"/api/v1/calls/{created['id']}")
    assert status == 404


async def test_invalid_calls_are_refused_and_change_nothing(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    status, created = await call(mende, "POST", "/api/v1/calls", token=token, body=CALL)
    assert status == 201
    before = await outbox_count(mende)

    bad_bodies: list[tuple[dict[str, Any], str]] = [
        ({"deadline": in_days(-1)}, "deadline"),
        ({"deadline": "2030-01-01T10:00:00"}, "deadline"),  # no offset: ambiguous
        ({"title": ""}, "title"),
        ({"kind": "Projets!"}, "kind"),
        ({"documents": [{"name": "x", "url": "ftp://example.org/a"}]}, "documents.0.url"),
        ({"skills_wanted": ["x" * 81]}, "skills_wanted.0"),
    ]
    for change, field in bad_bodies:
        status, body = await call(
            mende, "POST", "/api/v1/calls", token=token, body={**CALL, **change}
        )
        assert status == 422, (change, body)
        assert any(key.startswith(field) for key in body["fields"]), (change, body)
    path = f"/api/v1/calls/{created['id']}"
    for patch in ({"deadline": in_days(-2)}, {"status": "maybe"}, {"title": None}):
        status, body = await call(mende, "PATCH", path, token=token, body=patch)
        assert status == 422, (patch, body)
    status, _ = await call(mende, "POST", "/api/v1/calls", body=CALL)
    assert status == 401
    status, _ = await call(mende, "PATCH", "/api/v1/calls/nope", token=token, body={"title": "x"})
    assert status == 404

    assert await outbox_count(mende) == before
    assert await mende.fetchval("SELECT count(*) FROM open_calls") == 1
    status, shown = await call(mende, "GET", path)
    assert status == 200
    assert shown == created


def received(actor: str, document: dict[str, Any]) -> ReceivedActivity:
    return ReceivedActivity(
        id=0,
        activity_id=f"{document['id']}#create",
        activity_type="Create",
        actor_uri=actor,
        recipient=None,
        payload={"type": "Create", "actor": actor, "object": document},
        attempts=0,
    )


async def test_only_pages_carrying_call_kind_by_their_author_are_calls(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    actor = "https://lemmy.example/c/tiers_lieux"
    page = {
        "id": "https://lemmy.example/post/1",
        "type": "Page",
        "name": "Un post",
        "attributedTo": actor,
    }
    call_page = {**page, "id": "https://lemmy.example/post/2", "callKind": "partners"}
    forged = {**call_page, "id": "https://lemmy.example/post/3", "attributedTo": actor + "x"}
    hostile = {
        **call_page,
        "id": "https://lemmy.example/post/4",
        "type": "Article",
        "name": "<script>alert(1)</script>Appel",
        "content": '<p onclick="x()">Texte<img src=x></p>',
    }
    services = mende.services
    handlers = OpenCallHandlers()
    async with services.pool.acquire() as connection, connection.transaction():
        await follows.record_follow(connection, mende.place, actor, f"{mende.place}#f", "accepted")
        for document in (page, call_page, forged, hostile):
            await handlers.created(connection, services.node, received(actor, document), document)
    kept = await mende.fetchval("SELECT string_agg(uri, ' ' ORDER BY uri) FROM open_calls")
    assert kept == "https://lemmy.example/post/2 https://lemmy.example/post/4"
    cleaned = await copy_of(mende, "https://lemmy.example/post/4")
    assert cleaned is not None
    assert cleaned["title"] == "<script>alert(1)</script>Appel"  # plain text, escaped when shown
    assert cleaned["content_html"] == "<p>Texte</p>"


@pytest.mark.slow
async def test_the_fedify_peer_receives_a_call_as_mastodon_would_show_it(
    network: LoopbackNetwork, fedify_peer_factory: FedifyPeerFactory
) -> None:
    node = await localhost_node(network, "mende")
    await network.start_all()
    peer = await fedify_peer_factory(name="carol")
    await peer_follows_our_place(node, peer)
    token = await log_in(node)

    status, created = await call(node, "POST", "/api/v1/calls", token=token, body=CALL)
    assert status == 201, created

    def the_create(entry: Entry) -> bool:
        target = entry.get("json", {}).get("object")
        return (
            entry.get("type") == "Create"
            and isinstance(target, dict)
            and target.get("id") == created["uri"]
        )

    # The log lists only activities whose signature Fedify verified.
    create = await peer.wait_for_activity(the_create, what="our Create of the call")
    assert create["actor"] == node.place
    page = create["json"]["object"]
    assert page["type"] == "Page"
    assert page["name"] == CALL["title"]
    assert "Appel à compétences / Call for skills" in page["summary"]
    assert page["url"] == created["uri"]
