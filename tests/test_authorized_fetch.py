"""Authorized fetch (the `authorized_fetch` setting) between real nodes on loopback.

With it on, a node answers GETs of its ActivityPub documents only when they carry a valid HTTP
signature; discovery (WebFinger, NodeInfo), the Application actor and the pages stay open, and
neighbours still federate, since every fetch a node makes is signed by its Application actor.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from federation.fetcher import HttpStatus
from federation.keys import generate_rsa_key
from federation.signatures import Scheme, signed_request_headers
from server.storage.local_actors import APPLICATION
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import publish_event, remote_copy
from tests.test_federation_network import accepted, follow
from tests.test_open_calls import CALL

pytestmark = pytest.mark.slow

ACTIVITY_JSON = "application/activity+json"


async def with_authorized_fetch(network: LoopbackNetwork, name: str) -> NetworkNode:
    node = await network.add(name)
    node.settings = node.settings.model_copy(update={"authorized_fetch": True})
    return node


async def raw_get(
    node: NetworkNode, path: str, accept: str = ACTIVITY_JSON, headers: dict[str, str] | None = None
) -> tuple[int, str, dict[str, str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{node.port}{path}",
            headers={"Accept": accept, **(headers or {})},
        ) as response,
    ):
        return response.status, await response.text(), dict(response.headers)


async def documents_of(node: NetworkNode) -> dict[str, str]:
    """A path of each kind of ActivityPub document the node serves, an event and a call made."""
    token = await log_in(node)
    event = await publish_event(node, token)
    status, created_call = await call(node, "POST", "/api/v1/calls", token=token, body=CALL)
    assert status == 201, created_call
    base = node.base
    return {
        "place actor": "/actors/place",
        "outbox": "/actors/place/outbox",
        "outbox page": "/actors/place/outbox?page=1",
        "followers": "/actors/place/followers",
        "following": "/actors/place/following",
        "application followers": f"/actors/{APPLICATION}/followers",
        "event": event["ap_id"].removeprefix(base),
        "participants": f"{event['ap_id'].removeprefix(base)}/participants",
        "open call": created_call["uri"].removeprefix(base),
    }


async def test_unsigned_activitypub_gets_are_refused_and_discovery_stays_open(
    network: LoopbackNetwork,
) -> None:
    mende = await with_authorized_fetch(network, "mende")
    florac = await network.add("florac")  # the default: authorized fetch off
    await network.start_all()
    documents = await documents_of(mende)

    for what, path in documents.items():
        status, body, _ = await raw_get(mende, path)
        assert status == 401, f"{what} {path}: {status} {body}"
        assert "missing signature" in body, body

    # Open: discovery, the node's Application actor (others fetch its key to check our signed
    # GETs), the context document, and the pages browsers read.
    domain = mende.settings.domain
    open_paths = {
        "webfinger": (f"/.well-known/webfinger?resource=acct:place@{domain}", "application/json"),
        "nodeinfo links": ("/.well-known/nodeinfo", "application/json"),
        "nodeinfo": ("/nodeinfo/2.1", "application/json"),
        "application actor": (f"/actors/{APPLICATION}", ACTIVITY_JSON),
        "context": ("/ns/v1", "application/ld+json"),
        "place page": ("/actors/place", "text/html"),
        "event page": (documents["event"], "text/html"),
        "call page": (documents["open call"], "text/html"),
    }
    for what, (path, accept) in open_paths.items():
        status, body, _ = await raw_get(mende, path, accept)
        assert status == 200, f"{what} {path}: {status} {body[:300]}"

    # Signed by a neighbour's Application actor (as every fetch of a node is): answered, and
    # marked private so that no shared cache hands it to an unsigned request.
    fetcher, sign = florac.services.fetcher, florac.services.signer.sign_get
    for what, path in documents.items():
        fetched = await fetcher.fetch_json_document(f"{mende.base}{path}", sign=sign)
        assert fetched.data["id"].startswith(mende.base), what
    signed_headers = sign("GET", f"{mende.base}/actors/place", {}, None)
    status, body, headers = await raw_get(mende, "/actors/place", headers=dict(signed_headers))
    assert status == 200, body
    assert headers["Cache-Control"] == "private"

    # A signature that does not verify: the neighbour's key id, made with another key.
    forged = signed_request_headers(
        Scheme.CAVAGE,
        "GET",
        f"{mende.base}/actors/place/outbox",
        b"",
        key=generate_rsa_key(),
        key_id=f"{florac.base}/actors/{APPLICATION}#main-key",
    )
    status, body, _ = await raw_get(mende, "/actors/place/outbox", headers=forged)
    assert status == 401, body
    with pytest.raises(HttpStatus) as refused:
        await fetcher.fetch_json_document(f"{mende.base}/actors/place/outbox")
    assert refused.value.status == 401

    # The setting is what refuses: florac, without it, answers the same unsigned GET.
    status, _, _ = await raw_get(florac, "/actors/place/outbox")
    assert status == 200


async def test_neighbours_that_both_require_signatures_still_federate(
    network: LoopbackNetwork,
) -> None:
    mende = await with_authorized_fetch(network, "mende")
    florac = await with_authorized_fetch(network, "florac")
    await network.start_all()
    token = await log_in(mende)
    # In the future, so that the backfill takes it (it skips what is over).
    future = {"start_time": "2030-03-01T18:00:00", "end_time": "2030-03-01T20:30:00"}
    before = await publish_event(mende, token, name="Avant le suivi", **future)

    # Florac fetches mende's actor (signed), follows; mende fetches florac's key to verify the
    # Follow, accepts; florac's backfill reads mende's outbox (signed) and imports the event.
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the Accept")
    await wait_until(lambda: remote_copy(florac, before["ap_id"]), what="the backfilled event")

    after = await publish_event(mende, token, name="Après le suivi", **future)
    copy: dict[str, Any] = await wait_until(
        lambda: remote_copy(florac, after["ap_id"]), what="the delivered event"
    )
    assert copy["name"] == "Après le suivi"

    # And the other way round.
    await follow(mende, florac)
    await wait_until(lambda: accepted(mende, mende.place, florac.place), what="florac's Accept")


async def test_signed_gets_are_rate_limited_like_inbox_posts(network: LoopbackNetwork) -> None:
    # Checking a signature may cost a fetch of the signer's key: a client whose GETs do not
    # verify gets 429 once past its burst, as at the inbox.
    mende = await network.add("mende")
    mende.settings = mende.settings.model_copy(
        update={
            "authorized_fetch": True,
            "inbox_client_burst": 3,
            "inbox_client_rate_per_second": 0.01,
        }
    )
    await network.start_all()
    statuses = [(await raw_get(mende, "/actors/place/outbox"))[0] for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    status, _, headers = await raw_get(mende, "/actors/place/followers")
    assert status == 429
    assert int(headers["Retry-After"]) >= 1
    # What needs no signature is not counted: discovery and pages stay open.
    status, _, _ = await raw_get(mende, "/nodeinfo/2.1", "application/json")
    assert status == 200
    status, _, _ = await raw_get(mende, f"/actors/{APPLICATION}")
    assert status == 200
