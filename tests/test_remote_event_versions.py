"""What we keep of a remote event that arrives in several versions, out of order or at once.

A neighbour's Updates (two seat counts in quick succession) may be delivered, or processed by
two inbox workers, in the opposite order: the newest `updated` (else `published`) wins, and the
statement that writes decides it, so concurrent workers cannot race. Our own Updates move
`updated` on every time, so that receivers can tell them apart.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from server.database import DbConnection
from server.processing.activities import process_activity
from server.processing.context import NodeContext
from server.processing.events import HANDLERS
from server.storage import events, follows, open_calls
from server.storage.events import EventFields
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE
from server.storage.open_calls import CallFields
from server.urls import NodeUrls
from tests.support import wait_until

NODE = NodeContext(NodeUrls("http://mende.test"))
FLORAC = "https://florac.test/actors/place"
EVENT_ID = "https://florac.test/events/soudure"
PUBLISHED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def version(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": EVENT_ID,
        "type": "Event",
        "name": "Atelier soudure",
        "attributedTo": FLORAC,
        "startTime": "2026-12-01T18:00:00+01:00",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "maximumAttendeeCapacity": 5,
        "participantCount": 0,
        "remainingAttendeeCapacity": 5,
        "published": PUBLISHED.isoformat(),
        "updated": PUBLISHED.isoformat(),
    }
    document.update(changes)
    return {key: value for key, value in document.items() if value is not None}


def at(minutes: int) -> str:
    return (PUBLISHED + timedelta(minutes=minutes)).isoformat()


def received(document: dict[str, Any], kind: str, number: int) -> ReceivedActivity:
    activity_id = f"https://florac.test/activities/{number}"
    payload = {
        "id": activity_id,
        "type": kind,
        "actor": FLORAC,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": document,
    }
    return ReceivedActivity(number, activity_id, kind, FLORAC, None, payload, 1)


async def follow_florac(connection: DbConnection) -> None:
    await follows.record_follow(
        connection, NODE.urls.actor(PLACE), FLORAC, NODE.urls.activity("f"), "accepted"
    )


async def deliver(
    connection: DbConnection, document: dict[str, Any], kind: str, number: int
) -> None:
    async with connection.transaction():
        await process_activity(connection, NODE, received(document, kind, number))


async def seats(connection: DbConnection) -> tuple[int, int | None]:
    event = await events.find_by_ap_id(connection, EVENT_ID)
    assert event is not None
    return event.fields.participant_count, event.fields.remaining_capacity


async def stored_name(connection: DbConnection) -> str:
    event = await events.find_by_ap_id(connection, EVENT_ID)
    assert event is not None
    return event.fields.name


async def test_an_older_update_delivered_late_changes_nothing(
    connection: DbConnection,
) -> None:
    await follow_florac(connection)
    await deliver(connection, version(), "Create", 1)
    # Two Joins on florac: 1 then 2 participants; the second Update arrives first.
    second = version(participantCount=2, remainingAttendeeCapacity=3, updated=at(2))
    first = version(participantCount=1, remainingAttendeeCapacity=4, updated=at(1))
    await deliver(connection, second, "Update", 2)
    await deliver(connection, first, "Update", 3)
    assert await seats(connection) == (2, 3)
    # A redelivered Create (or the backfill's copy of it) is older still.
    await deliver(connection, version(), "Create", 4)
    assert await seats(connection) == (2, 3)
    # A newer one applies, and so does one with the same `updated` (peers that send only
    # `published` send the same one every time).
    await deliver(connection, version(participantCount=3, remainingAttendeeCapacity=2,
                                     updated=at(3)), "Update", 5)  # fmt: skip
    assert await seats(connection) == (3, 2)
    await deliver(connection, version(participantCount=4, remainingAttendeeCapacity=1,
                                     updated=at(3)), "Update", 6)  # fmt: skip
    assert await seats(connection) == (4, 1)


async def test_published_stands_in_for_a_missing_updated(connection: DbConnection) -> None:
    await follow_florac(connection)
    await deliver(connection, version(updated=None, published=at(5), name="Nouveau"), "Create", 1)
    await deliver(connection, version(updated=None, published=at(1), name="Ancien"), "Update", 2)
    assert await stored_name(connection) == "Nouveau"


async def test_versions_without_any_timestamp_are_still_accepted(
    connection: DbConnection,
) -> None:
    await follow_florac(connection)
    bare = version(updated=None, published=None)
    await deliver(connection, bare, "Create", 1)
    await deliver(connection, {**bare, "name": "Atelier soudure (complet)"}, "Update", 2)
    assert await stored_name(connection) == "Atelier soudure (complet)"
    # A dated version still replaces it, and an older dated one then changes nothing.
    await deliver(connection, version(name="Daté", updated=at(10)), "Update", 3)
    await deliver(connection, version(name="Plus ancien", updated=at(9)), "Update", 4)
    assert await stored_name(connection) == "Daté"


async def test_two_workers_at_once_keep_the_newer_version(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        await follow_florac(connection)
        await deliver(connection, version(), "Create", 1)
    newer = version(participantCount=2, remainingAttendeeCapacity=3, updated=at(2))
    older = version(participantCount=1, remainingAttendeeCapacity=4, updated=at(1))
    async with pool.acquire() as first, pool.acquire() as second:
        newer_tx = first.transaction()
        await newer_tx.start()
        await HANDLERS.updated(first, NODE, received(newer, "Update", 2), newer)
        late_pid = second.get_server_pid()

        async def older_worker() -> None:
            async with second.transaction():
                await HANDLERS.updated(second, NODE, received(older, "Update", 3), older)

        late = asyncio.create_task(older_worker())

        async def waiting_on_the_row() -> bool:
            async with pool.acquire() as probe:
                return bool(
                    await probe.fetchval(
                        "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1",
                        late_pid,
                    )
                )

        # The older version is being processed while the newer one is not committed yet.
        await wait_until(waiting_on_the_row, what="the second worker to wait on the row")
        await newer_tx.commit()
        await late
    async with pool.acquire() as connection:
        assert await seats(connection) == (2, 3)


async def test_our_count_updates_move_updated_on_even_in_one_transaction(
    connection: DbConnection,
) -> None:
    fields = EventFields(
        name="Café numérique",
        content="",
        start_time=PUBLISHED + timedelta(days=30),
        end_time=None,
        timezone="Europe/Paris",
        maximum_capacity=5,
    )
    async with connection.transaction():
        event = await events.insert_local(
            connection, "http://mende.test/events/t", "t", NODE.urls.actor(PLACE), fields
        )
        one = await events.set_participant_count(connection, event.id, 1)
        two = await events.set_participant_count(connection, event.id, 2)
        edited = await events.update_local(connection, event.id, fields)
    assert one is not None
    assert two is not None
    assert event.updated < one.updated < two.updated < edited.updated


async def test_our_call_updates_move_updated_on_even_in_one_transaction(
    connection: DbConnection,
) -> None:
    fields = CallFields(kind="skills", title="Soudure")
    async with connection.transaction():
        call = await open_calls.insert_local(
            connection, "http://mende.test/calls/t", "t", NODE.urls.actor(PLACE), fields
        )
        first = await open_calls.update_local(connection, "t", fields)
        second = await open_calls.update_local(connection, "t", fields)
    assert call.updated_at < first.updated_at < second.updated_at


async def stream_actions(connection: DbConnection) -> list[str]:
    rows = await connection.fetch("SELECT data FROM stream_events WHERE kind = 'event' ORDER BY id")
    return [json.loads(row["data"])["action"] for row in rows]


async def test_the_stream_tells_seats_from_edits_and_leaves_out_what_changed_nothing(
    connection: DbConnection,
) -> None:
    await follow_florac(connection)
    await deliver(connection, version(), "Create", 1)
    await deliver(connection, version(participantCount=1, remainingAttendeeCapacity=4,
                                     updated=at(1)), "Update", 2)  # fmt: skip
    await deliver(connection, version(participantCount=1, remainingAttendeeCapacity=4,
                                     name="Atelier soudure et brasure", updated=at(2)),
                  "Update", 3)  # fmt: skip
    await deliver(connection, version(updated=at(0)), "Update", 4)  # older: no news
    await deliver(connection, version(participantCount=1, remainingAttendeeCapacity=4,
                                     name="Atelier soudure et brasure", updated=at(2)),
                  "Update", 5)  # fmt: skip  # the same again: no news either
    assert await stream_actions(connection) == ["created", "seats", "updated"]
    row = await connection.fetchval(
        "SELECT data FROM stream_events WHERE data->>'action' = 'seats'"
    )
    assert json.loads(row)["remainingAttendeeCapacity"] == 4
    assert json.loads(row)["participantCount"] == 1


async def test_received_addresses_are_plain_text_decoded_once(
    connection: DbConnection,
) -> None:
    await follow_florac(connection)
    location = [
        {
            "type": "Place",
            "name": "Caf&eacute; &amp; co",
            "address": {
                "type": "PostalAddress",
                "streetAddress": "2 rue de l&#39;&Eacute;glise",
                "postalCode": "48400",
                "addressLocality": "Florac &amp;lt; Trois-Rivi&egrave;res",
                "addressRegion": "Occitanie <Lozère>",
                "addressCountry": "France",
            },
        },
        {"type": "Place", "name": "Salle", "address": "1 &amp; 2 place du Souvenir"},
        {
            "type": "Place",
            "name": "Visio",
            "address": {"type": "VirtualLocation", "name": "Salle &quot;B&quot;",
                        "url": "https://visio.test/?a=1&amp;b=2"},
        },
    ]  # fmt: skip
    await deliver(connection, version(location=location), "Create", 1)
    event = await events.find_by_ap_id(connection, EVENT_ID)
    assert event is not None
    first, second, third = event.fields.location
    assert first["name"] == "Café & co"
    assert first["address"] == {
        "type": "PostalAddress",
        "streetAddress": "2 rue de l'Église",
        "postalCode": "48400",
        "addressLocality": "Florac &lt; Trois-Rivières",
        "addressRegion": "Occitanie <Lozère>",
        "addressCountry": "France",
    }
    assert second["address"] == "1 & 2 place du Souvenir"
    assert third["address"]["name"] == 'Salle "B"'
    assert third["address"]["url"] == "https://visio.test/?a=1&amp;b=2"  # a URL is no text


CALL = CallFields(kind="volunteers", title="Bénévoles pour la fête")
CALL_URI = "https://florac.test/calls/benevoles"


async def stored_call_title(connection: DbConnection) -> str:
    title: str = await connection.fetchval("SELECT title FROM open_calls WHERE uri = $1", CALL_URI)
    return title


async def test_a_received_call_keeps_the_version_its_sender_stated(
    connection: DbConnection,
) -> None:
    actor = "https://florac.test/actors/place"
    dated = datetime(2026, 11, 1, 9, tzinfo=UTC)

    async def receive(title: str, updated: datetime | None) -> bool:
        fields = CallFields(kind=CALL.kind, title=title)
        return await open_calls.upsert_remote(connection, CALL_URI, actor, fields, None, updated)

    # First seen without any timestamp: a dated Update is taken, however its date compares with
    # our clock (a sender whose clock is behind ours).
    assert await receive("sans date", None)
    assert await receive("datée", dated - timedelta(days=400))
    assert await stored_call_title(connection) == "datée"
    # Then an older dated version delivered late changes nothing; a newer one is taken.
    assert await receive("plus récente", dated)
    assert not await receive("en retard", dated - timedelta(days=1))
    assert await stored_call_title(connection) == "plus récente"
