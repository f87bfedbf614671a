"""Events of Mobilizon, Gancio and other servers go through our Create handler into the table.

Every event-carrying fixture of tests/fixtures/interop (Mobilizon's captures and Gancio's location
shapes, each put into Gancio's Create{Event}) must import, with its fields stored as we read them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from server.processing.context import NodeContext
from server.processing.events import HANDLERS
from server.storage import events, follows
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE
from server.urls import NodeUrls
from tests.support import INTEROP

MOBILIZON = INTEROP / "mobilizon"
GANCIO = INTEROP / "gancio"
NODE = NodeContext(NodeUrls("http://mende.test"))


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def received(activity: dict[str, Any], kind: str = "Create", number: int = 1) -> ReceivedActivity:
    return ReceivedActivity(
        id=number,
        activity_id=f"{activity['id']}#{kind}{number}",
        activity_type=kind,
        actor_uri=activity["actor"],
        recipient=None,
        payload={**activity, "type": kind},
        attempts=1,
    )


async def import_create(connection: asyncpg.Connection, activity: dict[str, Any]) -> None:
    """The Create of an actor our place follows, as a neighbour's would be."""
    async with connection.transaction():
        await follows.record_follow(
            connection,
            NODE.urls.actor(PLACE),
            activity["actor"],
            NODE.urls.activity("f"),
            "accepted",
        )
        await HANDLERS.created(connection, NODE, received(activity), activity["object"])


async def stored(connection: asyncpg.Connection, ap_id: str) -> events.StoredEvent:
    found = await events.find_by_ap_id(connection, ap_id)
    assert found is not None, f"{ap_id} was not imported"
    return found


async def test_mobilizon_event_with_postal_address_and_links(
    connection: asyncpg.Connection,
) -> None:
    activity = load(MOBILIZON / "mobilizon-post-activity.json")
    await import_create(connection, activity)
    event = await stored(connection, activity["object"]["id"])
    assert not event.local
    assert event.actor_uri == "https://mobilizon.fr/@metacartes"
    assert event.attributed_to == "https://mobilizon.fr/@metacartes"
    fields = event.fields
    assert fields.name == "My first event"
    assert fields.start_time.isoformat() == "2018-02-12T14:08:20+00:00"
    assert fields.end_time is None
    assert fields.category == "TODO remove me"
    assert fields.url == activity["object"]["url"]
    [place] = fields.location
    assert place["name"] == "Locaux de Framasoft"
    assert place["address"] == {
        "type": "PostalAddress",
        "streetAddress": "10 Rue Jangot",
        "postalCode": "69007",
        "addressLocality": "Lyon",
        "addressRegion": "Auvergne Rhône Alpes",
        "addressCountry": "France",
    }
    assert [a["href"] for a in fields.attachments] == [
        "https://something.org",
        "https://google.com",
    ]
    # The mention's markup is kept as safe HTML, its classes dropped.
    assert 'class="' not in fields.content
    assert "tcit" in fields.content


@pytest.mark.parametrize(
    "name",
    [
        "mobilizon-post-activity-group.json",
        "mobilizon-post-activity-media.json",
        "mobilizon-post-activity-media-1.json",
        "mobilizon-post-activity-media-2.json",
    ],
)
async def test_other_mobilizon_events_import(connection: asyncpg.Connection, name: str) -> None:
    activity = load(MOBILIZON / name)
    await import_create(connection, activity)
    event = await stored(connection, activity["object"]["id"])
    assert event.fields.name == activity["object"]["name"]
    assert event.attributed_to == activity["object"]["attributedTo"]
    assert event.fields.status == "CONFIRMED"


async def test_gancio_event_with_text_location_and_hashtag(
    connection: asyncpg.Connection,
) -> None:
    activity = load(MOBILIZON / "gancio-event-activity.json")
    await import_create(connection, activity)
    event = await stored(connection, "https://demo.gancio.org/federation/m/1")
    fields = event.fields
    assert fields.name == "Demo event"
    assert fields.start_time.isoformat() == "2021-07-14T15:30:57+00:00"
    assert fields.end_time is not None
    assert fields.end_time.isoformat() == "2021-07-14T16:30:57+00:00"
    assert fields.location == [{"type": "Place", "name": "Colosseo"}]
    assert fields.tags == ["test"]
    assert fields.url == "https://demo.gancio.org/event/demo-event"


GANCIO_SHAPES = sorted(path.name for path in GANCIO.glob("*.json")) if GANCIO.is_dir() else []


@pytest.mark.parametrize("name", GANCIO_SHAPES)
async def test_every_gancio_location_shape_imports(
    connection: asyncpg.Connection, name: str
) -> None:
    activity = copy.deepcopy(load(MOBILIZON / "gancio-event-activity.json"))
    shape = load(GANCIO / name)
    activity["object"]["location"] = shape
    activity["object"]["id"] += f"-{name}"
    await import_create(connection, activity)
    event = await stored(connection, activity["object"]["id"])
    expected = shape if isinstance(shape, list) else [shape]
    assert len(event.fields.location) == len(expected)
    for kept, sent in zip(event.fields.location, expected, strict=True):
        assert kept["type"] == "Place"
        assert kept.get("name") == sent.get("name")
        address = sent.get("address")
        if isinstance(address, dict):
            assert kept["address"]["type"] == address["type"]
            for key in ("url", "streetAddress", "postalCode", "addressCountry"):
                assert kept["address"].get(key) == address.get(key)
        else:
            assert kept.get("address") == address


async def test_integer_coordinates_become_floats_and_schema_status_is_read(
    connection: asyncpg.Connection,
) -> None:
    activity = copy.deepcopy(load(MOBILIZON / "gancio-event-activity.json"))
    activity["object"].update(
        {
            "location": {"type": "Place", "name": "Mende", "latitude": 44, "longitude": "3"},
            "eventStatus": "http://schema.org#EventCancelled",
            "timezone": "Europe/Paris",
            "maximumAttendeeCapacity": "12",
            "name": "<b>Atelier</b> <script>alert(1)</script>",
            "content": "<p onclick='x()'>Bonjour</p><script>alert(1)</script>",
        }
    )
    await import_create(connection, activity)
    event = await stored(connection, activity["object"]["id"])
    [place] = event.fields.location
    assert isinstance(place["latitude"], float)
    assert place["latitude"] == 44.0
    assert isinstance(place["longitude"], float)
    assert place["longitude"] == 3.0
    assert event.fields.status == "CANCELLED"
    assert event.fields.timezone == "Europe/Paris"
    assert event.fields.maximum_capacity == 12
    # A name is plain text (ActivityStreams): kept as such, every writer escapes it.
    assert event.fields.name == "<b>Atelier</b> <script>alert(1)</script>"
    assert "alert" not in event.fields.content
    assert event.fields.content == "<p>Bonjour</p>"


async def test_only_the_events_own_actor_updates_or_deletes_it(
    connection: asyncpg.Connection,
) -> None:
    activity = load(MOBILIZON / "gancio-event-activity.json")
    await import_create(connection, activity)
    ap_id = activity["object"]["id"]
    intruder = {**activity, "actor": "https://demo.gancio.org/federation/u/someone-else"}
    changed = {**activity["object"], "name": "Hijacked"}
    async with connection.transaction():
        await HANDLERS.updated(connection, NODE, received(intruder, "Update", 2), changed)
        await HANDLERS.deleted(connection, NODE, received(intruder, "Delete", 3), ap_id)
    assert (await stored(connection, ap_id)).fields.name == "Demo event"

    async with connection.transaction():
        await HANDLERS.updated(connection, NODE, received(activity, "Update", 4), changed)
    assert (await stored(connection, ap_id)).fields.name == "Hijacked"
    async with connection.transaction():
        await HANDLERS.deleted(connection, NODE, received(activity, "Delete", 5), ap_id)
    assert await events.find_by_ap_id(connection, ap_id) is None
