"""Our activity ids resolve (ActivityPub section 3.1): public ones as ActivityPub JSON, fetched by
a neighbour node with its own safe fetcher (id equal to the URL, ActivityPub content type);
others 404; the Create of a deleted event 410."""

from __future__ import annotations

import json

from federation.fetcher import HttpStatus
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_lifecycle_network import fetch
from tests.test_events_network import publish_event
from tests.test_federation_network import accepted, follow

AP = "application/activity+json"


async def activity_id(node: NetworkNode, kind: str) -> str:
    found: str = await node.fetchval(
        "SELECT activity_id FROM outbox_activities WHERE activity_type = $1 ORDER BY id DESC",
        kind,
    )
    return found


async def status_of(fetching: NetworkNode, url: str) -> int:
    try:
        await fetching.services.fetcher.fetch_json_document(url)
    except HttpStatus as error:
        return error.status
    return 200


async def test_activity_ids_resolve(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the Accept")
    token = await log_in(mende)
    created_event = await publish_event(mende, token)
    create = await activity_id(mende, "Create")

    # A neighbour fetches it as it fetches any document: the id is the URL it came from.
    fetched = await florac.services.fetcher.fetch_json_document(create)
    assert fetched.data["id"] == create
    assert fetched.data["type"] == "Create"
    assert fetched.data["object"]["id"] == created_event["ap_id"]
    assert "@context" in fetched.data
    status, content_type, _ = await fetch(mende, create.removeprefix(mende.base), "text/html")
    assert (status, content_type) == (200, AP)

    # Not addressed to the public (the Accept of florac's Follow): as if unknown.
    accept = await activity_id(mende, "Accept")
    assert await status_of(florac, accept) == 404
    assert await status_of(florac, f"{mende.base}/activities/never-published") == 404

    # Its event deleted, the Create answers 410 (its content is not served again); the Delete
    # itself resolves.
    status, _ = await call(mende, "DELETE", f"/api/v1/events/{created_event['id']}", token=token)
    assert status in (200, 204)
    status, content_type, body = await fetch(mende, create.removeprefix(mende.base), AP)
    assert (status, content_type) == (410, AP)
    assert json.loads(body)["type"] == "Tombstone"
    assert json.loads(body)["formerType"] == "Create"
    assert await status_of(florac, create) == 410
    delete = await activity_id(mende, "Delete")
    assert (await florac.services.fetcher.fetch_json_document(delete)).data["type"] == "Delete"


async def test_activities_of_a_member_no_longer_shared_are_not_served(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    activity = f"{mende.base}/activities/by-admin"
    await mende.fetchval(
        "INSERT INTO outbox_activities (activity_id, actor_name, activity_type, public, payload) "
        "VALUES ($1, 'admin', 'Create', true, $2::jsonb) RETURNING id",
        activity,
        json.dumps({"id": activity, "type": "Create", "object": {"type": "Note"}}),
    )
    path = activity.removeprefix(mende.base)
    assert (await fetch(mende, path, AP))[0] == 404  # admin's profile is private
    await mende.fetchval(
        "UPDATE local_actors SET visibility = 'network' WHERE name = 'admin' RETURNING 1"
    )
    assert (await fetch(mende, path, AP))[0] == 200
