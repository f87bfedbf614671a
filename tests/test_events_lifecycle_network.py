"""The lifecycle of an event between real nodes, beyond Join and Leave: `Undo` of a Join frees
the seat (only from the actor who joined), a Join or Leave that changes the count sends an
`Update` so that neighbours' copies show it, and a deleted event's id answers 410 with a
Tombstone."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.hostile import EVIL, LIAR, HostileActor, deliver, hostile_server, processed, rsa_key
from tests.hostile import start_node as start_hostile_node
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import answered, member, publish_event, remote_copy
from tests.test_federation_network import accepted, follow


async def fetch(node: NetworkNode, path: str, accept: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET on the node, whatever the status."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{node.port}{path}", headers={"Accept": accept}) as answer,
    ):
        return answer.status, answer.content_type, await answer.text()


async def participant_count(node: NetworkNode, path: str) -> int:
    count: int = (await node.get_json(path))["participantCount"]
    return count


async def sent(node: NetworkNode, kind: str) -> int:
    count: int = await node.fetchval(
        "SELECT count(*) FROM outbox_activities WHERE activity_type = $1", kind
    )
    return count


async def test_undo_of_a_join_frees_the_seat_only_when_the_joiner_sends_it(
    network: LoopbackNetwork,
) -> None:
    async with hostile_server() as server:
        mende = await start_hostile_node(network)
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        mallory = HostileActor(server, EVIL, "mallory", rsa_key(1))
        vera = HostileActor(server, LIAR, "vera", rsa_key(2))
        for actor in (eve, mallory, vera):
            actor.publish()
        event = (await publish_event(mende, await log_in(mende)))["ap_id"]
        path = event.removeprefix(mende.base)

        async def send(actor: HostileActor, activity: dict[str, Any]) -> None:
            answer = await deliver(mende, actor, activity)
            assert answer.status == 202, answer
            assert await processed(mende, activity["id"]) == "done"

        join = eve.activity("Join", event)
        await send(eve, join)
        assert await participant_count(mende, path) == 1

        # Someone else undoing eve's Join, by its id or embedding it, changes nothing.
        await send(mallory, mallory.activity("Undo", join["id"]))
        await send(
            vera, vera.activity("Undo", {k: join[k] for k in ("id", "type", "actor", "object")})
        )
        await send(
            mallory, mallory.activity("Undo", {"type": "Join", "actor": eve.uri, "object": event})
        )
        assert await participant_count(mende, path) == 1
        updates = await sent(mende, "Update")

        # Eve's own Undo, naming the Join by the id we recorded, frees the seat.
        await send(eve, eve.activity("Undo", join["id"]))
        assert await participant_count(mende, path) == 0
        assert await mende.fetchval("SELECT count(*) FROM event_participants") == 0
        assert await sent(mende, "Update") == updates + 1

        # The Mobilizon shape: the Join embedded, with its actor and event.
        again = eve.activity("Join", event)
        await send(eve, again)
        assert await participant_count(mende, path) == 1
        embedded = {"id": again["id"], "type": "Join", "actor": eve.uri, "object": event}
        await send(eve, eve.activity("Undo", embedded))
        assert await participant_count(mende, path) == 0

        # An embedded Join without an id still names the event; the seat goes to someone else.
        await send(mallory, mallory.activity("Join", event))
        await send(mallory, mallory.activity("Undo", {"type": "Join", "object": event}))
        assert await participant_count(mende, path) == 0
        assert await mende.fetchval("SELECT count(*) FROM event_participants") == 0


async def test_a_join_and_a_leave_update_the_neighbours_copy(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    marvejols = await network.add("marvejols")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the Accept")
    event = (await publish_event(mende, await log_in(mende)))["ap_id"]
    await wait_until(lambda: remote_copy(florac, event), what="the event on florac")
    joiner = await member(marvejols, await log_in(marvejols), "camille")

    async def florac_shows(count: int, remaining: int) -> bool:
        copy = await remote_copy(florac, event)
        return (
            copy is not None
            and copy["participant_count"] == count
            and copy["remaining_attendee_capacity"] == remaining
        )

    # A member of a third node joins: florac, which only follows mende, sees the seat taken.
    status, body = await call(
        marvejols, "POST", "/api/v1/events/rsvp", token=joiner, body={"event": event}
    )
    assert status == 202, body
    assert await wait_until(lambda: answered(marvejols, "camille", event)) == "accepted"
    await wait_until(lambda: florac_shows(1, 4), what="the new count on florac")
    assert await sent(mende, "Update") == 1
    update = json.loads(
        await mende.fetchval("SELECT payload FROM outbox_activities WHERE activity_type = 'Update'")
    )
    assert update["object"]["id"] == event
    assert update["object"]["participantCount"] == 1
    assert update["cc"] == [f"{mende.place}/followers"]
    delivered_to = await mende.fetchval(
        "SELECT json_agg(d.inbox_url ORDER BY d.inbox_url)::text FROM deliveries d "
        "JOIN outbox_activities o ON o.id = d.outbox_id WHERE o.activity_type = 'Update'"
    )
    assert {url.split("/")[2].split(":")[0] for url in json.loads(delivered_to)} == {
        "florac.test",
        "marvejols.test",
    }

    # Joining again takes no seat and sends no Update.
    status, body = await call(
        marvejols, "POST", "/api/v1/events/rsvp", token=joiner, body={"event": event}
    )
    assert status == 202, body

    async def answered_twice() -> bool:
        return await sent(mende, "Accept") == 2

    await wait_until(answered_twice, what="the second Accept")
    assert await sent(mende, "Update") == 1
    assert await participant_count(mende, event.removeprefix(mende.base)) == 1

    status, body = await call(
        marvejols, "DELETE", "/api/v1/events/rsvp", token=joiner, body={"event": event}
    )
    assert status == 200, body
    await wait_until(lambda: florac_shows(0, 5), what="the freed seat on florac")
    assert await sent(mende, "Update") == 2


async def one_deleted_one_kept(
    network: LoopbackNetwork, check_before: str | None = None
) -> tuple[NetworkNode, dict[str, Any], dict[str, Any]]:
    """A node with two events, the first deleted through the API (and `check_before`, a path
    suffix of it, checked to answer 200 before the deletion)."""
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    created = await publish_event(mende, token)
    kept = await publish_event(mende, token, name="Atelier couture")
    if check_before is not None:
        path = created["ap_id"].removeprefix(mende.base) + check_before
        assert (await fetch(mende, path, "*/*"))[0] == 200
    status, _ = await call(mende, "DELETE", f"/api/v1/events/{created['id']}", token=token)
    assert status == 204
    return mende, created, kept


async def test_a_deleted_event_answers_410_with_a_tombstone(network: LoopbackNetwork) -> None:
    mende, created, kept = await one_deleted_one_kept(network)
    path = created["ap_id"].removeprefix(mende.base)

    status, content_type, text = await fetch(mende, path, "application/activity+json")
    assert (status, content_type) == (410, "application/activity+json")
    document = json.loads(text)
    assert document["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert {key: document[key] for key in ("id", "type", "formerType")} == {
        "id": created["ap_id"],
        "type": "Tombstone",
        "formerType": "Event",
    }
    # The same Tombstone as the one the Delete carried to the followers.
    delete = json.loads(
        await mende.fetchval("SELECT payload FROM outbox_activities WHERE activity_type = 'Delete'")
    )
    assert delete["object"] == {k: v for k, v in document.items() if k != "@context"}

    status, _, _ = await fetch(
        mende, path, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    )
    assert status == 410
    status, content_type, text = await fetch(mende, path, "text/html")
    assert (status, content_type) == (410, "text/plain")
    assert "deleted" in text
    status, _, _ = await fetch(mende, f"{path}/participants", "application/activity+json")
    assert status == 410

    # Other events are served as before, and ids we never had are still 404.
    kept_path = kept["ap_id"].removeprefix(mende.base)
    assert (await fetch(mende, kept_path, "application/activity+json"))[0] == 200
    assert (await fetch(mende, "/events/never-was", "application/activity+json"))[0] == 404
    assert (await fetch(mende, "/events/never-was", "text/html"))[0] == 404


async def test_every_url_of_a_deleted_event_answers_410(network: LoopbackNetwork) -> None:
    mende, created, kept = await one_deleted_one_kept(network, check_before=".ics")
    path = created["ap_id"].removeprefix(mende.base)
    kept_path = kept["ap_id"].removeprefix(mende.base)

    status, content_type, text = await fetch(mende, f"{path}.ics", "text/calendar")
    assert (status, content_type) == (410, "text/plain")
    assert "deleted" in text
    status, content_type, text = await fetch(mende, f"{path}.ics", "application/activity+json")
    assert (status, content_type) == (410, "application/activity+json")
    assert json.loads(text)["id"] == created["ap_id"]
    assert (await fetch(mende, f"{path}/participants", "text/html"))[0] == 410

    # Another event's calendar is served as before; a token we never had is still 404.
    status, content_type, text = await fetch(mende, f"{kept_path}.ics", "text/calendar")
    assert (status, content_type) == (200, "text/calendar")
    assert "Atelier couture" in text
    assert (await fetch(mende, "/events/never-was.ics", "text/calendar"))[0] == 404
    assert (await fetch(mende, "/events/never-was/participants", "text/html"))[0] == 404

    # The API's numbered URLs too: reading, changing or deleting it again says it is gone.
    token = await log_in(mende)
    number = created["id"]
    status, body = await call(mende, "GET", f"/api/v1/events/{number}", token=token)
    assert (status, body["error"]) == (410, "event deleted"), body
    assert body["fields"]["id"].startswith("deleted on ")
    status, _ = await call(
        mende, "PATCH", f"/api/v1/events/{number}", token=token, body={"name": "Encore"}
    )
    assert status == 410
    assert (await call(mende, "DELETE", f"/api/v1/events/{number}", token=token))[0] == 410
    assert (await fetch(mende, f"/api/v1/agenda/{number}.ics", "text/calendar"))[0] == 410
    assert (await call(mende, "GET", f"/api/v1/events/{kept['id']}", token=token))[0] == 200
    assert (await call(mende, "GET", "/api/v1/events/999999", token=token))[0] == 404
