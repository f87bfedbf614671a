"""Remote and user HTML keeps its structure and loses everything that could run or track; plain
text (names, titles) is stored as its characters and escaped by each writer."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from icalendar import Calendar

from server.migrations import bundled_migrations, migrate
from server.processing.sanitise import (
    clean_html,
    html_text,
    plain_text,
    text_as_html,
    typed_text,
)
from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_api_neighbours import call
from tests.test_events_network import neighbours, publish_event, remote_copy
from tests.test_feeds import entries, fetch, titles


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Atelier <strong>soudure</strong></p>", "<p>Atelier <strong>soudure</strong></p>"),
        ("<script>alert(1)</script><p>x</p>", "<p>x</p>"),
        ('<p onclick="steal()">x</p>', "<p>x</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="nofollow noopener noreferrer">x</a>'),
        (
            '<a href="https://florac.example/e/1" style="x">y</a>',
            '<a href="https://florac.example/e/1" rel="nofollow noopener noreferrer">y</a>',
        ),
        ('<img src="https://tracker.example/p.gif">', ""),
        ("<iframe src='https://evil.example'></iframe>ok", "ok"),
        ("<!-- hidden --><p>x</p>", "<p>x</p>"),
    ],
)
def test_clean_html(dirty: str, clean: str) -> None:
    assert clean_html(dirty) == clean


def test_html_text_drops_every_tag_and_decodes_once() -> None:
    assert html_text("<b>Fablab</b> <script>x</script>de Florac") == "Fablab de Florac"
    assert html_text("<b>x</b> &lt;b&gt; &amp;lt;") == "x <b> &lt;"
    assert html_text(None) == ""


def test_plain_text_reads_no_markup() -> None:
    # ActivityStreams `name` is plain text: what looks like a tag is text.
    assert plain_text("Atelier <soudure> & <b>co</b>") == "Atelier <soudure> & <b>co</b>"
    assert plain_text(None) == ""


def test_text_becomes_escaped_paragraphs() -> None:
    assert text_as_html("a < b\nc\n\nd") == "<p>a &lt; b<br>c</p><p>d</p>"


@pytest.mark.parametrize(
    ("received", "text"),
    [
        ("1 < 2", "1 < 2"),
        ("1 &lt; 2", "1 < 2"),
        ("Caf&eacute; &amp; co", "Café & co"),
        ("L&#39;atelier", "L'atelier"),
        # Decoded once: the text "&lt;" stays the text "&lt;", never becomes "<".
        ("&amp;lt;", "&lt;"),
        ("&amp;amp;", "&amp;"),
        ("&lt;b&gt;", "<b>"),
        ("<3 Lozère", "<3 Lozère"),
        ('Atelier "code"', 'Atelier "code"'),
        ("a\x00b\x07c\n", "abc"),
        ("x&nbsp;y", "x\u00a0y"),
    ],
)
def test_plain_text_is_the_characters_decoded_once(received: str, text: str) -> None:
    assert plain_text(received) == text


def test_typed_text_is_kept_as_typed() -> None:
    assert typed_text(' Atelier <soudure> & "code" ') == 'Atelier <soudure> & "code"'
    assert typed_text("&amp;lt; \x00") == "&amp;lt;"
    assert typed_text(None) == ""


# ---------------------------------------------------------------------------------------------
# Through a node: the API gives the characters back, every writer escapes them for its format.

ODD_NAME = 'Atelier <soudure> & "code"'
SHARED_NAME = 'Café & co : 1 < 2 > 0, "L\'atelier"'
ODD: dict[str, Any] = {
    "start_time": "2030-06-01T18:00:00",
    "end_time": "2030-06-01T20:00:00",
    "place": {"name": "Salle <3 & co", "latitude": 44.5, "longitude": 3.5},
    "category": "A&B",
    "attachments": [{"name": 'Plan "A" & <B>', "url": "https://example.org/plan"}],
}


def one_event_summary(body: bytes, ap_id: str) -> str:
    calendar = Calendar.from_ical(body)
    found = [e for e in calendar.walk("VEVENT") if str(e["UID"]) == ap_id]
    assert len(found) == 1
    return str(found[0]["SUMMARY"])


async def test_odd_names_stay_characters_and_every_writer_escapes_them(
    network: LoopbackNetwork,
) -> None:
    mende, florac, token = await neighbours(network)
    created = await publish_event(mende, token, name=ODD_NAME, **ODD)
    assert created["name"] == ODD_NAME
    assert created["locations"][0]["name"] == "Salle <3 & co"
    assert created["category"] == "A&B"
    assert created["attachments"][0]["name"] == 'Plan "A" & <B>'
    status, listed = await call(mende, "GET", "/api/v1/events")
    assert status == 200
    assert [item["name"] for item in listed] == [ODD_NAME]

    # ActivityPub (JSON): the characters, no entity.
    path = created["ap_id"].removeprefix(mende.base)
    document = await mende.get_json(path)
    assert document["name"] == ODD_NAME
    location = document["location"]
    assert (location[0] if isinstance(location, list) else location)["name"] == "Salle <3 & co"

    # The event's HTML page and the agenda page escape it.
    status, kind, body = await fetch(mende, path)
    assert (status, kind) == (200, "text/html")
    page = body.decode()
    assert "<soudure>" not in page
    assert "Atelier &lt;soudure&gt; &amp; &#34;code&#34;" in page
    assert "Salle &lt;3 &amp; co" in page
    assert "&amp;amp;" not in page
    status, _, body = await fetch(mende, "/agenda")
    page = body.decode()
    assert "<soudure>" not in page
    assert "Atelier &lt;soudure&gt; &amp; &#34;code&#34;" in page
    assert "A&amp;B" in page

    # iCalendar and Atom hold the characters once parsed back.
    status, _, body = await fetch(mende, "/agenda.ics")
    assert status == 200
    assert one_event_summary(body, created["ap_id"]) == ODD_NAME
    status, _, body = await fetch(mende, "/agenda.atom")
    assert status == 200
    shown = titles(entries(body))
    assert len(shown) == 1
    assert shown[0].endswith(ODD_NAME)

    # A neighbour imports it as the same text: a remote name is plain text, decoded once.
    shared = await publish_event(mende, token, name=SHARED_NAME, **ODD)
    copy = await wait_until(
        lambda: remote_copy(florac, shared["ap_id"]), what="the event on florac"
    )
    assert copy["name"] == SHARED_NAME
    assert copy["locations"][0]["name"] == "Salle <3 & co"
    assert copy["category"] == "A&B"
    assert copy["attachments"][0]["name"] == 'Plan "A" & <B>'
    status, _, body = await fetch(florac, "/agenda.ics")
    assert one_event_summary(body, shared["ap_id"]) == SHARED_NAME
    status, _, body = await fetch(florac, "/agenda")
    page = body.decode()
    assert "Café &amp; co : 1 &lt; 2 &gt; 0, &#34;L&#39;atelier&#34;" in page


# ---------------------------------------------------------------------------------------------
# Rows stored before held nh3's serialisation; the plain_text_as_characters migration turns it
# into characters.


async def test_stored_entities_become_characters_once(empty_database_url: str) -> None:
    connection = await asyncpg.connect(empty_database_url)
    try:
        known = bundled_migrations()
        ours = next(m for m in known if m.name == "plain_text_as_characters")
        await migrate(connection, [m for m in known if m.version < ours.version])
        await connection.execute(
            """
            INSERT INTO events (ap_id, local, actor_uri, attributed_to, name, start_time,
                                category, tags, location, attachments)
            VALUES ('https://florac.example/e/1', false, 'https://florac.example/place',
                    'https://florac.example/place', 'Atelier &lt;soudure&gt; &amp;amp;lt; co',
                    now(), 'A&amp;B', ARRAY['x&amp;y', 'plain'],
                    '[{"type": "Place", "name": "Caf\u00e9 &amp; co", "address": "1 &amp; 2"},
                      {"type": "VirtualLocation", "url": "https://v.example/?a=1&b=2"}]',
                    '[{"type": "Link", "name": "x&nbsp;y", "href": "https://d.example/?a&b"},
                      {"type": "Link", "name": null, "href": "https://d.example/"}]')
            """
        )
        await connection.execute(
            """
            INSERT INTO remote_profiles (person, place, host, name, skills, links)
            VALUES ('https://florac.example/u/a', 'https://florac.example/place', 'florac.example',
                    'Tom &amp; Jerry', '[{"name": "C&amp;C", "uri": null}]',
                    '[{"label": "1 &lt; 2", "url": "https://x.example/?a&amp;b"}]')
            """
        )
        await connection.execute(
            """
            INSERT INTO stream_events (kind, local, place, data) VALUES
                ('event', false, null, '{"name": "1 &lt; 2", "placeName": "A &amp; B"}'),
                ('neighbour', true, null, '{"name": "Tom &amp; Jerry"}')
            """
        )
        # Only this migration: a later one (0016) decodes other columns in its turn.
        assert await migrate(connection, [m for m in known if m.version <= ours.version]) == [ours]

        event = await connection.fetchrow("SELECT * FROM events")
        assert event["name"] == "Atelier <soudure> &amp;lt; co"
        assert event["category"] == "A&B"
        assert event["tags"] == ["x&y", "plain"]
        location = json.loads(event["location"])
        assert location[0] == {"type": "Place", "name": "Café & co", "address": "1 &amp; 2"}
        assert location[1] == {"type": "VirtualLocation", "url": "https://v.example/?a=1&b=2"}
        attachments = json.loads(event["attachments"])
        assert [item["name"] for item in attachments] == ["x\u00a0y", None]
        assert attachments[0]["href"] == "https://d.example/?a&b"
        profile = await connection.fetchrow("SELECT * FROM remote_profiles")
        assert profile["name"] == "Tom & Jerry"
        assert json.loads(profile["skills"]) == [{"name": "C&C", "uri": None}]
        assert json.loads(profile["links"]) == [
            {"label": "1 < 2", "url": "https://x.example/?a&amp;b"}
        ]
        stream = await connection.fetch("SELECT kind, data FROM stream_events ORDER BY id")
        assert [json.loads(row["data"]) for row in stream] == [
            {"name": "1 < 2", "placeName": "A & B"},
            {"name": "Tom &amp; Jerry"},
        ]
    finally:
        await connection.close()
