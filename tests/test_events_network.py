"""Events and RSVPs between real nodes on loopback: publishing, editing, cancelling, deleting,
joining and leaving, through the REST API on each side."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from server.processing.context import NodeContext
from server.processing.rsvp import on_join
from server.storage.inbox import ReceivedActivity
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_federation_network import accepted, follow

EVENT: dict[str, Any] = {
    "name": "Atelier soudure",
    "content": "<p>Venez <strong>souder</strong></p><script>alert(1)</script>",
    "start_time": "2026-12-01T18:00:00",
    "end_time": "2026-12-01T20:30:00",
    "timezone": "Europe/Paris",
    "place": {
        "name": "Le Fablab de Mende",
        "address": {
            "street_address": "2 rue du Pont",
            "postal_code": "48000",
            "address_locality": "Mende",
            "address_country": "FR",
        },
        "latitude": 44,
        "longitude": 3.5,
    },
    "category": "WORKSHOP",
    "tags": ["soudure", "#fablab"],
    "join_mode": "free",
    "maximum_attendee_capacity": 5,
    "attachments": [{"name": "Programme", "url": "https://example.org/programme"}],
}

_SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
# For what looks at events not over yet (the dashboard): EVENT's date is fixed, so soon past.
COMING = {"start_time": _SOON.isoformat(), "end_time": (_SOON + timedelta(hours=2)).isoformat()}


async def remote_copy(node: NetworkNode, ap_id: str) -> dict[str, Any] | None:
    """The event as the API of `node` shows it, once imported."""
    status, listed = await call(node, "GET", "/api/v1/events")
    assert status == 200, listed
    return next((item for item in listed if item["ap_id"] == ap_id), None)


async def publish_event(node: NetworkNode, token: str, **changes: Any) -> dict[str, Any]:
    status, created = await call(node, "POST", "/api/v1/events", token=token, body=EVENT | changes)
    assert status == 201, created
    return created  # type: ignore[no-any-return]


async def neighbours(network: LoopbackNetwork) -> tuple[NetworkNode, NetworkNode, str]:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the Accept")
    return mende, florac, await log_in(mende)


async def test_an_event_and_its_changes_reach_the_following_node(
    network: LoopbackNetwork,
) -> None:
    mende, florac, token = await neighbours(network)

    created = await publish_event(mende, token)
    ap_id = created["ap_id"]
    assert ap_id.startswith(f"{mende.base}/events/")

    copy = await wait_until(lambda: remote_copy(florac, ap_id), what="the event on florac")
    assert copy["local"] is False
    assert copy["attributed_to"] == mende.place
    assert copy["name"] == "Atelier soudure"
    assert copy["content"] == "<p>Venez <strong>souder</strong></p>"
    # 18:00 in Paris in December is 17:00 UTC.
    assert copy["start_time"] == "2026-12-01T17:00:00Z"
    assert copy["end_time"] == "2026-12-01T19:30:00Z"
    assert copy["timezone"] == "Europe/Paris"
    assert copy["locations"] == [
        {
            "type": "Place",
            "name": "Le Fablab de Mende",
            "address": "2 rue du Pont, 48000, Mende",
            "latitude": 44.0,
            "longitude": 3.5,
            "url": None,
        }
    ]
    assert copy["category"] == "WORKSHOP"
    assert copy["tags"] == ["soudure", "fablab"]
    assert copy["join_mode"] == "free"
    assert copy["maximum_attendee_capacity"] == 5
    assert copy["remaining_attendee_capacity"] == 5
    assert copy["participant_count"] == 0
    assert copy["status"] == "CONFIRMED"
    assert copy["attachments"] == [{"name": "Programme", "url": "https://example.org/programme"}]
    assert copy["url"] == ap_id

    path = ap_id.removeprefix(mende.base)
    status, again = await call(
        mende, "PATCH", f"/api/v1/events/{created['id']}", token=token,
        body={"name": "Atelier soudure (complet)", "maximum_attendee_capacity": 8},
    )  # fmt: skip
    assert status == 200, again
    assert again["start_time"] == created["start_time"]

    async def renamed() -> dict[str, Any] | None:
        found = await remote_copy(florac, ap_id)
        return found if found and found["name"] == "Atelier soudure (complet)" else None

    updated = await wait_until(renamed, what="the Update on florac")
    assert updated["maximum_attendee_capacity"] == 8
    assert updated["locations"][0]["latitude"] == 44.0

    status, cancelled = await call(
        mende, "POST", f"/api/v1/events/{created['id']}/cancel", token=token
    )
    assert status == 200
    assert cancelled["status"] == "CANCELLED"

    async def cancelled_there() -> bool:
        found = await remote_copy(florac, ap_id)
        return found is not None and found["status"] == "CANCELLED"

    await wait_until(cancelled_there, what="the cancellation on florac")
    document = await mende.get_json(path)
    assert document["ical:status"] == "CANCELLED"
    assert document["eventStatus"] == "EventCancelled"

    status, _ = await call(mende, "DELETE", f"/api/v1/events/{created['id']}", token=token)
    assert status == 204

    async def gone() -> bool:
        return await remote_copy(florac, ap_id) is None

    await wait_until(gone, what="the Delete on florac")
    delete = await florac.fetchval(
        "SELECT payload FROM inbox_activities WHERE activity_type = 'Delete' AND state = 'done'"
    )
    assert json.loads(delete)["object"] == {
        "id": ap_id,
        "type": "Tombstone",
        "formerType": "Event",
        "deleted": json.loads(delete)["object"]["deleted"],
    }


async def test_the_event_document_is_served_with_counts_and_negotiated(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    created = await publish_event(mende, token, online_url="https://visio.example.org/atelier")
    path = created["ap_id"].removeprefix(mende.base)

    document = await mende.get_json(path)
    assert document["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert document["id"] == created["ap_id"]
    assert document["type"] == "Event"
    assert document["attributedTo"] == mende.place
    assert document["url"] == created["ap_id"]
    assert document["startTime"] == "2026-12-01T18:00:00+01:00"
    assert document["timezone"] == "Europe/Paris"
    assert document["participantCount"] == 0
    assert document["remainingAttendeeCapacity"] == 5
    assert document["maximumAttendeeCapacity"] == 5
    assert document["joinMode"] == "free"
    assert document["ical:status"] == "CONFIRMED"
    assert document["eventStatus"] == "EventScheduled"
    place, online = document["location"]
    assert place["latitude"] == 44.0
    assert isinstance(place["latitude"], float)
    assert place["address"]["type"] == "PostalAddress"
    assert online == {
        "type": "VirtualLocation",
        "name": "En ligne / Online",
        "url": "https://visio.example.org/atelier",
    }
    assert document["tag"] == [
        {"type": "Hashtag", "name": "#soudure"},
        {"type": "Hashtag", "name": "#fablab"},
    ]
    assert document["attachment"] == [
        {"type": "Link", "name": "Programme", "href": "https://example.org/programme",
         "mediaType": "text/html"}
    ]  # fmt: skip
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{mende.port}{path}", headers={"Accept": "text/html"}
        ) as page,
    ):
        assert page.content_type == "text/html"
        text = await page.text()
    assert "Atelier soudure" in text
    assert "<script>" not in text
    assert "<dt>Quand</dt>" in text  # French unless asked otherwise
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{mende.port}{path}?lang=en") as page,
    ):
        assert "<dt>When</dt>" in await page.text()
    participants = await mende.get_json(f"{path}/participants")
    assert participants["type"] == "OrderedCollection"
    assert participants["totalItems"] == 0


async def member(node: NetworkNode, admin_token: str, name: str, *, shared: bool = True) -> str:
    status, body = await call(
        node, "POST", "/api/v1/accounts", token=admin_token,
        body={"username": name, "email": f"{name}@example.org", "password": "y" * 12},
    )  # fmt: skip
    assert status == 201, body
    if shared:
        await node.fetchval(
            "UPDATE local_actors SET visibility = 'network' WHERE name = $1 RETURNING 1", name
        )
    return await log_in(node, name, "y" * 12)


async def rsvp_state(node: NetworkNode, name: str, event: str) -> str | None:
    state: str | None = await node.fetchval(
        "SELECT state FROM event_rsvps WHERE actor_name = $1 AND event_ap_id = $2", name, event
    )
    return state


async def answered(node: NetworkNode, name: str, event: str) -> str | None:
    state = await rsvp_state(node, name, event)
    return None if state == "pending" else state


async def test_florac_members_join_a_mende_event_until_it_is_full(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    token = await log_in(mende)
    event = (await publish_event(mende, token))["ap_id"]
    path = event.removeprefix(mende.base)
    florac_admin = await log_in(florac)
    names = [f"membre{n}" for n in range(1, 7)]
    tokens = {name: await member(florac, florac_admin, name) for name in names}

    for name in names[:5]:
        status, body = await call(
            florac, "POST", "/api/v1/events/rsvp", token=tokens[name], body={"event": event}
        )
        assert status == 202, body
        assert body == {"event": event, "state": "pending"}
    for name in names[:5]:
        state = await wait_until(lambda n=name: answered(florac, n, event), what=f"{name}'s answer")
        assert state == "accepted"

    status, body = await call(
        florac, "POST", "/api/v1/events/rsvp", token=tokens["membre6"], body={"event": event}
    )
    assert status == 202, body
    assert await wait_until(lambda: answered(florac, "membre6", event)) == "rejected"

    document = await mende.get_json(path)
    assert document["participantCount"] == 5
    assert document["remainingAttendeeCapacity"] == 0
    listed = await mende.get_json(f"{path}/participants?page=1")
    assert listed["totalItems"] == 5
    assert sorted(listed["orderedItems"]) == sorted(f"{florac.base}/actors/{n}" for n in names[:5])

    status, body = await call(
        florac, "DELETE", "/api/v1/events/rsvp", token=tokens["membre1"], body={"event": event}
    )
    assert status == 200
    assert body["state"] == "left"

    async def seat_freed() -> bool:
        return (await mende.get_json(path))["participantCount"] == 4

    await wait_until(seat_freed, what="the Leave to free a seat")
    status, body = await call(
        florac, "POST", "/api/v1/events/rsvp", token=tokens["membre6"], body={"event": event}
    )
    assert status == 202, body
    assert await wait_until(lambda: answered(florac, "membre6", event)) == "accepted"
    assert (await mende.get_json(path))["remainingAttendeeCapacity"] == 0


async def test_a_private_member_is_counted_but_not_listed(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    event = (await publish_event(mende, token))["ap_id"]
    path = event.removeprefix(mende.base)
    private = await member(mende, token, "discrete", shared=False)
    public = await member(mende, token, "visible")

    for who in (private, public):
        status, body = await call(
            mende, "POST", "/api/v1/events/rsvp", token=who, body={"event": event}
        )
        assert status == 202, body
        assert body["state"] == "accepted"

    listed = await mende.get_json(f"{path}/participants?page=1")
    assert listed["totalItems"] == 2
    assert listed["orderedItems"] == [f"{mende.base}/actors/visible"]
    assert (await mende.get_json(path))["participantCount"] == 2


async def test_a_private_member_cannot_join_an_event_of_another_node(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    event = (await publish_event(mende, await log_in(mende)))["ap_id"]
    private = await member(florac, await log_in(florac), "discrete", shared=False)
    status, body = await call(
        florac, "POST", "/api/v1/events/rsvp", token=private, body={"event": event}
    )
    assert status == 422, body
    assert "not shared" in body["fields"]["event"]
    assert await florac.fetchval("SELECT count(*) FROM outbox_activities") == 0


async def test_twenty_concurrent_joins_fill_five_seats_exactly(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    event = (await publish_event(mende, await log_in(mende)))["ap_id"]
    node = NodeContext(mende.services.urls)

    async def join(number: int) -> None:
        joiner = f"http://elsewhere{number}.test/actors/someone"
        activity = ReceivedActivity(
            id=number,
            activity_id=f"{joiner}/join/{number}",
            activity_type="Join",
            actor_uri=joiner,
            recipient=None,
            payload={"type": "Join", "actor": joiner, "object": event},
            attempts=1,
        )
        connection = await asyncpg.connect(mende.database_url)
        try:
            async with connection.transaction():
                await on_join(connection, node, activity)
        finally:
            await connection.close()

    await asyncio.gather(*(join(number) for number in range(20)))

    states = await mende.fetchval(
        "SELECT json_object_agg(state, n)::text FROM "
        "(SELECT state, count(*) AS n FROM event_participants GROUP BY state) counts"
    )
    assert json.loads(states) == {"accepted": 5, "rejected": 15}
    assert (await mende.get_json(event.removeprefix(mende.base)))["participantCount"] == 5
    answers = await mende.fetchval(
        "SELECT json_object_agg(activity_type, n)::text FROM (SELECT activity_type, count(*) AS n "
        "FROM outbox_activities WHERE activity_type IN ('Accept', 'Reject') GROUP BY 1) counts"
    )
    assert json.loads(answers) == {"Accept": 5, "Reject": 15}


async def test_invalid_event_input_is_422_and_changes_nothing(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    bad_bodies = [
        ({"timezone": "Europe/Mende"}, "timezone"),
        ({"end_time": "2026-12-01T17:00:00"}, "body"),
        ({"place": {"name": "Mende", "latitude": 44}}, "place"),
        ({"place": {"name": "Mende", "latitude": 95, "longitude": 3}}, "place.latitude"),
        ({"join_mode": "open"}, "join_mode"),
        ({"maximum_attendee_capacity": 0}, "maximum_attendee_capacity"),
        ({"tags": ["deux mots"]}, "tags"),
        ({"attachments": [{"name": "x", "url": "javascript:alert(1)"}]}, "attachments.0.url"),
        ({"name": ""}, "name"),
        ({"surprise": 1}, "surprise"),
    ]
    for changes, field in bad_bodies:
        status, body = await call(
            mende, "POST", "/api/v1/events", token=token, body=EVENT | changes
        )
        assert status == 422, (changes, body)
        assert any(key.startswith(field) for key in body["fields"]), (changes, body)
    assert await mende.fetchval("SELECT count(*) FROM events") == 0
    assert await mende.fetchval("SELECT count(*) FROM outbox_activities") == 0

    created = await publish_event(mende, token)
    before = await mende.fetchval("SELECT count(*) FROM outbox_activities")
    for patch in (
        {"timezone": "Nowhere/Town"},
        {"end_time": "2020-01-01T00:00:00Z"},
        {"name": None},
    ):
        status, body = await call(
            mende, "PATCH", f"/api/v1/events/{created['id']}", token=token, body=patch
        )
        assert status == 422, (patch, body)
    status, body = await call(mende, "GET", f"/api/v1/events/{created['id']}")
    assert status == 200
    assert body == created
    assert await mende.fetchval("SELECT count(*) FROM outbox_activities") == before

    member_token = await member(mende, token, "membre")
    status, body = await call(mende, "POST", "/api/v1/events", token=member_token, body=EVENT)
    assert status == 403, body
    status, body = await call(mende, "POST", "/api/v1/events", body=EVENT)
    assert status == 401, body
