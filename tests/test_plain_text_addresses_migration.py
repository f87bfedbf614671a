"""Migration 0016: received event addresses, stored as the peer sent them, become plain text
decoded once, as the importer now stores them; our own addresses stay as members typed them."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from server.migrations import bundled_migrations, migrate

REMOTE_LOCATION = [
    {
        "type": "Place",
        "name": "Café & co",  # names were decoded already (0012): left alone
        "address": {
            "type": "PostalAddress",
            "streetAddress": "2 rue de l&#39;&#x00C9;glise &amp;amp;lt; bis",
            "postalCode": " 48400\u0007 ",
            "addressLocality": "Florac &amp; Trois-Rivi&#232;res",
            "addressRegion": "&lt;Lozère&gt; &quot;48&quot; &apos;Occitanie&apos;&nbsp;!",
            "addressCountry": "&eacute;tranger &#0; &#xD800; &#1114112; & co &",
        },
        "latitude": 44.3,
        "longitude": 3.6,
    },
    {"type": "Place", "name": "Salle &amp; co", "address": "1 &amp; 2 place du Souvenir"},
    {
        "type": "Place",
        "name": "Visio",
        "address": {"type": "VirtualLocation", "name": "Salle &quot;B&quot;",
                    "url": "https://visio.test/?a=1&amp;b=2"},
    },
    {"type": "VirtualLocation", "name": "En ligne", "url": "https://v.test/?a&amp;b"},
]  # fmt: skip
LOCAL_LOCATION = [
    {"type": "Place", "name": "Ici", "address": {"type": "PostalAddress",
                                                 "streetAddress": "typed &amp; kept"}},
]  # fmt: skip


async def insert_event(
    connection: asyncpg.Connection, ap_id: str, local: bool, location: list[dict[str, Any]]
) -> None:
    await connection.execute(
        "INSERT INTO events (ap_id, token, local, actor_uri, attributed_to, name, start_time, "
        "location) VALUES ($1, $2, $3, 'https://florac.test/actors/place', "
        "'https://florac.test/actors/place', 'Atelier', now(), $4::jsonb)",
        ap_id,
        "t" if local else None,
        local,
        json.dumps(location),
    )


async def test_stored_remote_addresses_become_characters_once(empty_database_url: str) -> None:
    connection = await asyncpg.connect(empty_database_url)
    try:
        known = bundled_migrations()
        ours = next(m for m in known if m.name == "plain_text_names_and_addresses")
        assert ours.version == 16
        await migrate(connection, [m for m in known if m.version < ours.version])
        await insert_event(connection, "https://florac.test/events/1", False, REMOTE_LOCATION)
        await insert_event(connection, "http://mende.test/events/t", True, LOCAL_LOCATION)
        await insert_event(connection, "https://florac.test/events/2", False, [])
        # Only this migration: later ones must not change or hide what it does.
        assert await migrate(connection, [m for m in known if m.version <= ours.version]) == [ours]

        rows = await connection.fetch("SELECT ap_id, location FROM events")
        found = {row["ap_id"]: json.loads(row["location"]) for row in rows}
        postal, text, virtual, online = found["https://florac.test/events/1"]
        assert postal == {
            "type": "Place",
            "name": "Café & co",
            "address": {
                "type": "PostalAddress",
                "streetAddress": "2 rue de l'Église &amp;lt; bis",
                "postalCode": "48400",  # as plain_text: no controls, no surrounding spaces
                "addressLocality": "Florac & Trois-Rivières",
                "addressRegion": "<Lozère> \"48\" 'Occitanie'\u00a0!",
                # Other named entities and references to no character are left as text.
                "addressCountry": "&eacute;tranger &#0; &#xD800; &#1114112; & co &",
            },
            "latitude": 44.3,
            "longitude": 3.6,
        }
        assert text == {"type": "Place", "name": "Salle &amp; co",
                        "address": "1 & 2 place du Souvenir"}  # fmt: skip
        assert virtual["address"] == {
            "type": "VirtualLocation",
            "name": 'Salle "B"',
            "url": "https://visio.test/?a=1&amp;b=2",
        }
        assert online == REMOTE_LOCATION[3]
        assert found["http://mende.test/events/t"] == LOCAL_LOCATION
        assert found["https://florac.test/events/2"] == []
    finally:
        await connection.close()
