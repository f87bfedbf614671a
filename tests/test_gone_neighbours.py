"""A neighbour that goes away takes what it left here with it.

Its Delete of itself, a 410 from its own inbox or a 410 from its actor id end every follow with
it, drop what it sent us (unless another follow or a member's RSVP keeps it), give up what was
still queued for it, clear its live-stream history and its directory suggestions; a shared
inbox answering 410 marks nobody. On real PostgreSQL; the purge's statements use their indexes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import asyncpg

from server.database import DbConnection
from server.processing import follow_requests, live_feed
from server.processing.activities import process_activity
from server.processing.context import NodeContext
from server.processing.objects import NothingImported, Removed
from server.storage import directory, events, follows, open_calls, outbox, remote_actors, stream
from server.storage.inbox import ReceivedActivity
from server.urls import NodeUrls

OUR = "https://mende.test"
PLACE = f"{OUR}/actors/place"
CAMILLE = f"{OUR}/actors/camille"
FLORAC = "https://florac.test/actors/place"
FLORAC_INBOX = f"{FLORAC}/inbox"
FLORAC_SHARED = "https://florac.test/inbox"
ALEX = "https://florac.test/actors/alex"  # another actor of Florac's server
VILLEFORT = "https://villefort.test/actors/place"
START = datetime.now(UTC) + timedelta(days=3)
NODE = NodeContext(NodeUrls(OUR))


async def add_remote_actor(
    connection: asyncpg.Connection, uri: str, inbox: str, shared: str | None
) -> None:
    host = uri.split("/")[2]
    await connection.execute(
        "INSERT INTO remote_actors (uri, host, kind, inbox, shared_inbox, document) "
        "VALUES ($1, $2, 'Group', $3, $4, '{}')",
        uri,
        host,
        inbox,
        shared,
    )


async def add_follow(
    connection: asyncpg.Connection, follower: str, followed: str, state: str
) -> None:
    await follows.record_follow(
        connection, follower, followed, f"{follower}#follow-{followed}", state
    )


async def add_event(
    connection: asyncpg.Connection, ap_id: str, sender: str, owner: str | None = None
) -> None:
    await connection.execute(
        "INSERT INTO events (ap_id, local, actor_uri, attributed_to, name, start_time) "
        "VALUES ($1, false, $2, $3, $1, $4)",
        ap_id,
        sender,
        owner or sender,
        START,
    )


async def add_call(connection: asyncpg.Connection, uri: str, sender: str) -> None:
    await connection.execute(
        "INSERT INTO open_calls (uri, local, actor_uri, kind, title) "
        "VALUES ($1, false, $2, 'volunteers', $1)",
        uri,
        sender,
    )


async def queue_delivery(connection: asyncpg.Connection, inbox: str, number: int) -> int:
    outbox_id = await outbox.store_published(
        connection, f"{OUR}/activities/{number}", "place", "Create", True, {"n": number}
    )
    await outbox.add_deliveries(connection, outbox_id, {inbox: inbox.split("/")[2]})
    delivery_id: int = await connection.fetchval(
        "SELECT id FROM deliveries WHERE outbox_id = $1", outbox_id
    )
    return delivery_id


async def delivery_state(connection: asyncpg.Connection, delivery_id: int) -> str:
    state: str = await connection.fetchval(
        "SELECT state FROM deliveries WHERE id = $1", delivery_id
    )
    return state


async def on_stream(connection: asyncpg.Connection) -> list[str | None]:
    """What the history would show again: every item but the notices of removal."""
    return [
        item.data.get("id") or item.data.get("event")
        for item in await stream.after(connection, 0)
        if item.data.get("action") != stream.REMOVED
    ]


async def removals(connection: asyncpg.Connection) -> list[tuple[str, str, str | None]]:
    """The notices telling screens to take something down: (kind, object id, place)."""
    return sorted(
        (item.kind, item.data["id"], item.place)
        for item in await stream.after(connection, 0)
        if item.data.get("action") == stream.REMOVED
    )


async def names(connection: asyncpg.Connection, table: str, column: str) -> set[str]:
    rows = await connection.fetch(f"SELECT {column} AS name FROM {table} WHERE NOT local")
    return {row["name"] for row in rows}


async def florac_left_this(connection: asyncpg.Connection) -> dict[str, int]:
    """Florac and Villefort are neighbours of ours, Florac follows us back, a member asked to
    join one of Florac's events and follows Florac herself (pending). Returns delivery ids."""
    await connection.execute(
        "INSERT INTO local_actors (name, kind, display_name) VALUES "
        "('place', 'Group', 'Mende'), ('camille', 'Person', 'Camille')"
    )
    await add_remote_actor(connection, FLORAC, FLORAC_INBOX, FLORAC_SHARED)
    await add_remote_actor(connection, ALEX, f"{ALEX}/inbox", FLORAC_SHARED)
    await add_remote_actor(connection, VILLEFORT, f"{VILLEFORT}/inbox", None)
    await add_follow(connection, PLACE, FLORAC, "accepted")
    await add_follow(connection, FLORAC, PLACE, "accepted")
    await add_follow(connection, CAMILLE, FLORAC, "pending")
    await add_follow(connection, PLACE, VILLEFORT, "accepted")
    await add_event(connection, "https://florac.test/events/soudure", FLORAC)
    await add_event(connection, "https://florac.test/events/repair", FLORAC)
    # Relayed by Florac but Villefort's, which we follow: still reachable.
    await add_event(connection, "https://villefort.test/events/marche", FLORAC, VILLEFORT)
    await add_event(connection, "https://villefort.test/events/fete", VILLEFORT)
    await add_call(connection, "https://florac.test/calls/benevoles", FLORAC)
    await add_call(connection, "https://villefort.test/calls/bois", VILLEFORT)
    await connection.execute(
        "INSERT INTO event_rsvps (actor_name, event_ap_id, organiser, join_activity_id, state) "
        "VALUES ('camille', 'https://florac.test/events/repair', $1, $2, 'pending')",
        FLORAC,
        f"{CAMILLE}#join",
    )
    for ap_id, place in (
        ("https://florac.test/events/soudure", FLORAC),
        ("https://florac.test/events/repair", FLORAC),
        ("https://villefort.test/events/marche", FLORAC),
        ("https://villefort.test/events/fete", VILLEFORT),
    ):
        await stream.append(connection, "event", {"id": ap_id}, local=False, place=place)
    await stream.append(
        connection, "call", {"id": "https://florac.test/calls/benevoles"}, local=False, place=FLORAC
    )
    await directory.replace_suggestions(connection, FLORAC, ["https://causse.test/actors/place"])
    await directory.replace_suggestions(connection, VILLEFORT, ["https://causse.test/actors/place"])
    return {
        "personal": await queue_delivery(connection, FLORAC_INBOX, 1),
        "personal_later": await queue_delivery(connection, FLORAC_INBOX, 2),
        "shared": await queue_delivery(connection, FLORAC_SHARED, 3),
        "alex": await queue_delivery(connection, f"{ALEX}/inbox", 4),
    }


async def assert_florac_is_gone(connection: asyncpg.Connection, deliveries: dict[str, int]) -> None:
    # Every follow with Florac ended, both ways and pending ones too; Villefort's stays.
    relations = await connection.fetch("SELECT follower, followed FROM follows")
    assert [(row["follower"], row["followed"]) for row in relations] == [(PLACE, VILLEFORT)]
    # Florac's event and call went; the one Camille asked to join stays, and so do Villefort's,
    # including the one Florac relayed.
    assert await names(connection, "events", "ap_id") == {
        "https://florac.test/events/repair",
        "https://villefort.test/events/marche",
        "https://villefort.test/events/fete",
    }
    assert await names(connection, "open_calls", "uri") == {"https://villefort.test/calls/bois"}
    # Nothing more goes to Florac's inbox; its server's shared inbox and other actors still get
    # theirs.
    assert await delivery_state(connection, deliveries["personal_later"]) == "failed"
    assert await delivery_state(connection, deliveries["shared"]) == "pending"
    assert await delivery_state(connection, deliveries["alex"]) == "pending"
    # The stream no longer replays what left the agenda.
    assert await on_stream(connection) == [
        "https://florac.test/events/repair",
        "https://villefort.test/events/marche",
        "https://villefort.test/events/fete",
    ]
    # Screens still showing what left are told to take it down, once each.
    assert await removals(connection) == [
        ("call", "https://florac.test/calls/benevoles", FLORAC),
        ("event", "https://florac.test/events/soudure", FLORAC),
    ]
    # Florac's suggestions and refresh schedule went; Villefort's stay.
    refreshes = await connection.fetch("SELECT neighbour FROM suggestion_refreshes")
    assert [row["neighbour"] for row in refreshes] == [VILLEFORT]
    suggested = await connection.fetch("SELECT neighbour FROM suggested_places")
    assert [row["neighbour"] for row in suggested] == [VILLEFORT]


async def test_a_410_from_the_actors_own_inbox_ends_everything_with_it(
    connection: asyncpg.Connection,
) -> None:
    deliveries = await florac_left_this(connection)
    async with connection.transaction():
        await outbox.give_up(connection, deliveries["personal"], 410, "gone")
        gone = await follow_requests.inbox_gone(connection, FLORAC_INBOX)
    assert gone == [FLORAC]
    assert (await remote_actors.find_remote_actor(connection, FLORAC)).gone  # type: ignore[union-attr]
    await assert_florac_is_gone(connection, deliveries)


async def test_its_delete_of_itself_does_the_same(connection: asyncpg.Connection) -> None:
    deliveries = await florac_left_this(connection)
    payload = {"id": f"{FLORAC}#delete", "type": "Delete", "actor": FLORAC, "object": FLORAC}
    activity = ReceivedActivity(0, payload["id"], "Delete", FLORAC, None, payload, 0)
    async with connection.transaction():
        await process_activity(connection, NODE, activity)
    assert await remote_actors.find_remote_actor(connection, FLORAC) is None
    await assert_florac_is_gone(connection, deliveries)


async def test_a_410_from_a_shared_inbox_marks_nobody(connection: asyncpg.Connection) -> None:
    deliveries = await florac_left_this(connection)
    # An actor whose own inbox is also its server's shared inbox: that URL speaks for all.
    await add_remote_actor(connection, "https://florac.test/actors/solo", FLORAC_SHARED, None)
    async with connection.transaction():
        assert await follow_requests.inbox_gone(connection, FLORAC_SHARED) == []
    assert await connection.fetchval("SELECT count(*) FROM remote_actors WHERE gone") == 0
    assert await connection.fetchval("SELECT count(*) FROM follows") == 4
    assert len(await names(connection, "events", "ap_id")) == 4
    assert await delivery_state(connection, deliveries["personal"]) == "pending"
    # An inbox nobody has is no one's either.
    async with connection.transaction():
        assert await follow_requests.inbox_gone(connection, "https://nowhere.test/inbox") == []


async def test_a_deleted_object_leaves_the_stream_history_with_a_notice_of_removal(
    connection: asyncpg.Connection,
) -> None:
    soudure = "https://florac.test/events/soudure"
    call = "https://florac.test/calls/benevoles"
    ours = f"{OUR}/events/abc"
    await stream.append(connection, "event", {"id": soudure}, local=False, place=FLORAC)
    await stream.append(connection, "rsvp", {"event": soudure}, local=False, place=FLORAC)
    await stream.append(connection, "call", {"id": call}, local=False, place=FLORAC)
    await stream.append(connection, "event", {"id": ours}, local=True, place=PLACE)
    # What a Delete's handlers did not remove (another actor's object) changes nothing.
    nothing = NothingImported("nothing of this actor's under that id")
    await live_feed.record_received(connection, nothing, place=ALEX, public=True)
    assert await on_stream(connection) == [soudure, soudure, call, ours]
    assert await removals(connection) == []
    # Florac deleted its event: its items go, the call stays.
    await live_feed.record_received(connection, Removed((soudure,)), place=FLORAC, public=True)
    assert await on_stream(connection) == [call, ours]
    # Screens take the event down (and the RSVP cards about it, with it): one notice, the event's.
    assert await removals(connection) == [("event", soudure, FLORAC)]
    # Our own Delete, at publish time, clears our event's history.
    await live_feed.record(
        connection, {"type": "Delete", "actor": PLACE, "object": ours}, place=PLACE
    )
    assert await on_stream(connection) == [call]
    assert await removals(connection) == [("event", soudure, FLORAC), ("event", ours, PLACE)]
    # Removed again (a redelivery): nothing more to take down.
    await live_feed.record_received(connection, Removed((soudure,)), place=FLORAC, public=True)
    assert await removals(connection) == [("event", soudure, FLORAC), ("event", ours, PLACE)]


async def test_unfollowing_clears_suggestions_only_once_nobody_follows(
    connection: asyncpg.Connection,
) -> None:
    await connection.execute(
        "INSERT INTO local_actors (name, kind, display_name) VALUES "
        "('place', 'Group', 'Mende'), ('camille', 'Person', 'Camille')"
    )
    await add_follow(connection, PLACE, FLORAC, "accepted")
    await add_follow(connection, CAMILLE, FLORAC, "accepted")
    await directory.replace_suggestions(connection, FLORAC, ["https://causse.test/actors/place"])
    await connection.execute("DELETE FROM follows WHERE follower = $1", PLACE)
    async with connection.transaction():
        await follow_requests.follow_ended(connection, FLORAC)
    assert await connection.fetchval("SELECT count(*) FROM suggestion_refreshes") == 1
    assert await connection.fetchval("SELECT count(*) FROM suggested_places") == 1
    await connection.execute("DELETE FROM follows WHERE follower = $1", CAMILLE)
    async with connection.transaction():
        await follow_requests.follow_ended(connection, FLORAC)
    assert await connection.fetchval("SELECT count(*) FROM suggestion_refreshes") == 0
    assert await connection.fetchval("SELECT count(*) FROM suggested_places") == 0


class Explaining:
    """Stands in for a connection: plans each statement instead of running it."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.plans: list[dict[str, Any]] = []

    async def _plan(self, query: str, *args: Any) -> None:
        plan = await self.connection.fetchval(f"EXPLAIN (FORMAT JSON) {query}", *args)
        self.plans.append(json.loads(plan)[0]["Plan"])

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        await self._plan(query, *args)
        return []

    async def execute(self, query: str, *args: Any) -> str:
        await self._plan(query, *args)
        return "DELETE 0"


def scans(plan: dict[str, Any]) -> set[tuple[str, str]]:
    """(node type, index or table) of every scan in the plan."""
    found = set()
    if "Scan" in plan["Node Type"]:
        found.add((plan["Node Type"], plan.get("Index Name") or plan.get("Relation Name", "")))
    for child in plan.get("Plans", []):
        found |= scans(child)
    return found


async def test_the_purge_reads_by_index(connection: asyncpg.Connection) -> None:
    await connection.execute(
        """
        INSERT INTO events (ap_id, local, actor_uri, attributed_to, name, start_time)
        SELECT 'https://n' || (i % 200) || '.test/events/' || i, false,
               'https://n' || (i % 200) || '.test/actors/place',
               'https://n' || ((i + 1) % 200) || '.test/actors/place', 'e', now()
        FROM generate_series(1, 4000) AS i;
        INSERT INTO open_calls (uri, local, actor_uri, kind, title)
        SELECT 'https://n' || (i % 200) || '.test/calls/' || i, false,
               'https://n' || (i % 200) || '.test/actors/place', 'skills', 'c'
        FROM generate_series(1, 4000) AS i;
        INSERT INTO local_actors (name, kind, display_name)
        SELECT 'm' || i, 'Person', 'm' FROM generate_series(1, 50) AS i;
        INSERT INTO event_rsvps (actor_name, event_ap_id, organiser, join_activity_id, state)
        SELECT 'm' || (i % 50 + 1), 'https://n' || (i % 200) || '.test/events/' || i, 'o',
               'j' || i, 'accepted'
        FROM generate_series(1, 8000) AS i;
        INSERT INTO follows (follower, followed, follow_activity_id, state)
        SELECT 'https://mende.test/actors/place', 'https://n' || i || '.test/actors/place',
               'f' || i, 'accepted'
        FROM generate_series(100, 199) AS i;
        INSERT INTO remote_actors (uri, host, kind, inbox, shared_inbox, document)
        SELECT 'https://n' || i || '.test/actors/place', 'n' || i || '.test', 'Group',
               'https://n' || i || '.test/actors/place/inbox', 'https://n' || i || '.test/inbox',
               '{}'
        FROM generate_series(1, 3000) AS i;
        INSERT INTO stream_events (kind, local, place, data)
        SELECT 'event', false, 'p', jsonb_build_object('id', 'https://x.test/events/' || i)
        FROM generate_series(1, 4000) AS i;
        ANALYZE
        """
    )
    explaining = Explaining(connection)
    planned = cast(DbConnection, explaining)
    actor = "https://n7.test/actors/place"
    await events.delete_unfollowed(planned, actor)
    await open_calls.delete_unfollowed(planned, actor)
    await remote_actors.mark_gone_by_inbox(planned, f"{actor}/inbox")
    await stream.forget_objects(planned, ["https://x.test/events/7"])
    event_scans, call_scans, gone_scans, stream_scans = (scans(p) for p in explaining.plans)
    used = {name for _, name in event_scans}
    assert {"events_remote_actor", "events_remote_attributed", "event_rsvps_open"} <= used
    assert ("Seq Scan", "events") not in event_scans
    assert "open_calls_actor" in {name for _, name in call_scans}
    assert {("Index Scan", "remote_actors_inbox"), ("Index Scan", "remote_actors_host")} <= (
        gone_scans
    )
    assert "stream_events_object" in {name for _, name in stream_scans}


async def test_a_profile_no_longer_shared_is_taken_down_with_the_fields_it_was_shown_with(
    connection: asyncpg.Connection,
) -> None:
    person = f"{OUR}/actors/camille"
    shown = {"id": person, "name": "Camille", "skills": ["soudure"], "tags": ["soudure"]}
    await stream.append(connection, "profile", shown, local=True, place=PLACE)
    withdrawal = {
        "type": "Delete",
        "actor": PLACE,
        "object": {"id": person, "type": "Tombstone", "formerType": "Person"},
    }
    await live_feed.record(connection, withdrawal, place=PLACE)
    [notice] = await stream.after(connection, 0)
    # Same kind and fields, so that a wall filtered on the tag hears of it too.
    assert (notice.kind, notice.local, notice.place) == ("profile", True, PLACE)
    assert notice.data == shown | {"action": "removed"}
