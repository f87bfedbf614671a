"""After our Undo, a neighbour that keeps delivering is not imported again.

A new event or open call (a Create, an Announce, or an Update of something we do not hold) is
taken only from an actor one of ours follows, unless it is addressed to one of our actors or is
an event a member asked to join. Changes to what we hold keep coming from its own actor.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.database import DbConnection
from server.processing.activities import process_activity
from server.processing.context import NodeContext
from server.storage import events, follows, local_actors, participants
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE
from server.urls import NodeUrls
from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import answered, member, publish_event
from tests.test_federation_network import accepted, follow
from tests.test_open_calls import CALL
from tests.test_unfollow_network import COMMON, START, names_in_agenda

NODE = NodeContext(NodeUrls("http://mende.test"))
FLORAC = "https://florac.test/actors/place"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def event(number: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"https://florac.test/events/{number}",
        "type": "Event",
        "name": f"Événement {number}",
        "attributedTo": FLORAC,
        "startTime": START.isoformat(),
        "to": [PUBLIC],
        **changes,
    }


def call_page(number: int) -> dict[str, Any]:
    return {
        "id": f"https://florac.test/calls/{number}",
        "type": "Page",
        "name": f"Appel {number}",
        "attributedTo": FLORAC,
        "callKind": "volunteers",
        "to": [PUBLIC],
    }


async def deliver(
    connection: DbConnection, kind: str, document: dict[str, Any], number: int, **extra: Any
) -> None:
    payload = {
        "id": f"https://florac.test/activities/{number}",
        "type": kind,
        "actor": FLORAC,
        "to": [PUBLIC],
        "object": document,
        **extra,
    }
    activity = ReceivedActivity(number, str(payload["id"]), kind, FLORAC, None, payload, 1)
    async with connection.transaction():
        await process_activity(connection, NODE, activity)


async def held(connection: DbConnection) -> set[str]:
    rows = await connection.fetch(
        "SELECT ap_id AS id FROM events UNION ALL SELECT uri FROM open_calls ORDER BY 1"
    )
    return {row["id"] for row in rows}


async def test_what_an_unfollowed_actor_sends_is_ignored_unless_meant_for_us(
    connection: DbConnection,
) -> None:
    place = NODE.urls.actor(PLACE)
    await local_actors.upsert_local_actor(connection, PLACE, "Group", "Mende", visibility="network")
    await local_actors.upsert_local_actor(
        connection, "camille", "Person", "Camille", visibility="network"
    )
    await local_actors.upsert_local_actor(connection, "dominique", "Person", "Dominique")
    await participants.record_rsvp(
        connection, "camille", event(5)["id"], FLORAC, "http://mende.test/activities/j", "pending"
    )
    await deliver(connection, "Create", event(1), 1)
    await deliver(connection, "Announce", event(2), 2)
    await deliver(connection, "Update", event(3), 3)
    await deliver(connection, "Create", call_page(1), 4)
    await deliver(connection, "Update", call_page(2), 5)
    # A private member's address opens nothing: no server may know of them.
    await deliver(connection, "Create", event(9), 6, cc=["http://mende.test/actors/dominique"])
    assert await held(connection) == set()
    assert await connection.fetchval("SELECT count(*) FROM stream_events") == 0

    # Addressed to one of our actors (the activity or its object), or an event a member asked
    # to join: taken.
    await deliver(connection, "Create", event(4, cc=[place]), 7)
    await deliver(connection, "Update", event(5), 8)
    await deliver(connection, "Create", call_page(3), 9, to=[{"id": place}])
    assert await held(connection) == {
        event(4)["id"], event(5)["id"], call_page(3)["id"],
    }  # fmt: skip

    # What we hold keeps changing by its own actor's Update, followed or not.
    await deliver(connection, "Update", event(4, name="Renommé", cc=[]), 10)
    renamed = await events.find_by_ap_id(connection, event(4)["id"])
    assert renamed is not None
    assert renamed.fields.name == "Renommé"

    # Once followed, everything is taken again (and the backfill, which runs after the Accept,
    # goes through the same handlers).
    await follows.record_follow(
        connection, place, FLORAC, "http://mende.test/activities/f", "accepted"
    )
    await deliver(connection, "Create", event(1), 11)
    await deliver(connection, "Create", call_page(1), 12)
    assert {event(1)["id"], call_page(1)["id"]} <= await held(connection)


async def test_an_event_attributed_to_a_followed_actor_is_taken_from_its_sender(
    connection: DbConnection,
) -> None:
    # Mobilizon: a member publishes a group's event; we follow the group, as the purge weighs.
    await follows.record_follow(
        connection, NODE.urls.actor(PLACE), FLORAC, "http://mende.test/activities/f", "accepted"
    )
    member_actor = "https://florac.test/actors/lea"
    payload = {
        "id": "https://florac.test/activities/1",
        "type": "Create",
        "actor": member_actor,
        "to": [PUBLIC],
        "object": event(1),
    }
    activity = ReceivedActivity(1, str(payload["id"]), "Create", member_actor, None, payload, 1)
    async with connection.transaction():
        await process_activity(connection, NODE, activity)
    assert await held(connection) == {event(1)["id"]}


async def test_a_neighbour_that_keeps_delivering_after_our_undo_is_not_imported_again(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(mende, florac)
    await wait_until(lambda: accepted(mende, mende.place, florac.place), what="the Accept")
    admin, florac_admin = await log_in(mende), await log_in(florac)
    start = START.isoformat()
    repair_created = await publish_event(
        florac, florac_admin, **COMMON, name="Repair café", start_time=start
    )
    repair = repair_created["ap_id"]

    async def arrived() -> bool:
        return await names_in_agenda(mende) == {"Repair café"}

    await wait_until(arrived, what="florac's event on mende")
    # A member of Mende takes part in it: it stays after the Undo.
    camille = await member(mende, admin, "camille")
    status, body = await call(
        mende, "POST", "/api/v1/events/rsvp", token=camille, body={"event": repair}
    )
    assert status == 202, body
    await wait_until(lambda: answered(mende, "camille", repair), what="the RSVP's answer")

    status, body = await call(
        mende, "DELETE", "/api/v1/neighbours", token=admin, body={"target": florac.place}
    )
    assert status == 200, body

    async def undo_processed() -> bool:
        count = await florac.fetchval(
            "SELECT count(*) FROM follows WHERE follower = $1", mende.place
        )
        return count == 0

    await wait_until(undo_processed, what="florac to process our Undo")
    # Florac misbehaves: it keeps Mende among its followers, as a stale copy of its list would.
    await florac.fetchval(
        "INSERT INTO follows (follower, followed, follow_activity_id, state) "
        "VALUES ($1, $2, $3, 'accepted') RETURNING 1",
        mende.place,
        florac.place,
        f"{mende.place}#stale",
    )
    later = (START + timedelta(hours=2)).isoformat()
    late = await publish_event(florac, florac_admin, **COMMON, name="Marché", start_time=later)
    status, created_call = await call(
        florac, "POST", "/api/v1/calls", token=florac_admin, body=CALL | {"title": "Bénévoles"}
    )
    assert status == 201, created_call
    status, body = await call(
        florac, "PATCH", f"/api/v1/events/{repair_created['id']}", token=florac_admin,
        body={"name": "Repair café (déplacé)"},
    )  # fmt: skip
    assert status == 200, body

    async def delivered_and_processed() -> bool:
        # Kept as processed, without an error: ignoring them is no failure to retry.
        rows = await mende.fetchval(
            "SELECT count(*) FROM inbox_activities WHERE actor_uri = $1 AND state = 'done' "
            "AND last_error IS NULL AND ((activity_type = 'Create' AND payload->'object'->>'id' "
            "= ANY($2::text[])) OR (activity_type = 'Update' AND payload->'object'->>'id' = $3 "
            "AND payload->'object'->>'name' = 'Repair café (déplacé)'))",
            florac.place,
            [late["ap_id"], created_call["uri"]],
            repair,
        )
        return bool(rows == 3)

    await wait_until(delivered_and_processed, what="florac's late activities, processed on mende")
    assert await names_in_agenda(mende) == {"Repair café (déplacé)"}
    assert await mende.fetchval("SELECT count(*) FROM open_calls WHERE NOT local") == 0
    shown = "SELECT count(*) FROM stream_events WHERE data->>'id' = $1"
    assert await mende.fetchval(shown, late["ap_id"]) == 0
    assert await mende.fetchval(shown, repair) >= 1  # its Update did show
