"""A neighbour's name is plain text (AS2 `name`): stored as its characters, decoded once from
a peer that escapes it, and escaped again by each writer (HTML page, Atom, iCalendar), never
shown as entities."""

from __future__ import annotations

import json

from icalendar import Calendar
from markupsafe import escape

from tests.hostile import (
    EVIL,
    HostileActor,
    deliver,
    hostile_server,
    processed,
    rsa_key,
    start_node,
)
from tests.network import LoopbackNetwork
from tests.test_api_neighbours import call, log_in
from tests.test_feeds import ATOM, entries, fetch

NAME = 'Café "A" & <B>'
# What a peer that escapes its plain text sends for NAME.
SENT = "Caf&eacute; &quot;A&quot; &amp; &lt;B&gt;"


async def test_an_escaped_neighbour_name_is_its_characters_everywhere(
    network: LoopbackNetwork,
) -> None:
    async with hostile_server() as server:
        node = await start_node(network)
        place = HostileActor(server, EVIL, "cafe", rsa_key(0))
        place.publish(type="Group", name=SENT)
        # Our place follows it, so that its events go to the agenda.
        await node.fetchval(
            "INSERT INTO follows (follower, followed, follow_activity_id, state) "
            "VALUES ($1, $2, $3, 'accepted')",
            node.place,
            place.uri,
            f"{node.base}/activities/follow-cafe",
        )
        event = {
            "id": place.next_id("events"),
            "type": "Event",
            "name": "Atelier",
            "attributedTo": place.uri,
            "startTime": "2030-06-01T18:00:00+02:00",
            "endTime": "2030-06-01T20:00:00+02:00",
            "timezone": "Europe/Paris",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        }
        create = place.activity("Create", event, to=event["to"])
        assert (await deliver(node, place, create)).status == 202
        assert await processed(node, create["id"]) == "done"

    status, agenda = await call(node, "GET", "/api/v1/agenda")
    assert status == 200, agenda
    assert [item["place_name"] for item in agenda["items"]] == [NAME]
    status, listed = await call(node, "GET", "/api/v1/neighbours", token=await log_in(node))
    assert status == 200, listed
    assert [item["name"] for item in listed if item["actor"] == place.uri] == [NAME]

    status, _, body = await fetch(node, "/agenda")
    assert status == 200
    page = body.decode()
    assert escape(NAME) in page  # Café &#34;A&#34; &amp; &lt;B&gt; (markupsafe)
    assert "<B>" not in page
    assert "&amp;quot;" not in page
    assert "&amp;eacute;" not in page

    status, _, body = await fetch(node, "/agenda.ics")
    assert status == 200
    (vevent,) = Calendar.from_ical(body).walk("VEVENT")
    assert str(vevent["X-MAILLAGE-PLACE"]) == NAME
    assert str(vevent["DESCRIPTION"]).startswith(NAME)

    status, _, body = await fetch(node, "/agenda.atom")
    assert status == 200
    (entry,) = entries(body)
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == NAME

    document = json.loads(
        await node.fetchval("SELECT document::text FROM remote_actors WHERE uri = $1", place.uri)
    )
    assert document["name"] == SENT, "the cached document stays as the peer sent it"
