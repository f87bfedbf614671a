"""The dashboard's Joins waiting for an answer: only those of our events still to come or under
way, neither cancelled nor deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg

from server.storage import events, participants
from server.storage.attention import waiting_participants
from server.storage.events import EventFields

NOW = datetime.now(UTC)
PLACE = "https://mende.example/actors/place"


async def waiting_in(connection: asyncpg.Connection, name: str, start: datetime) -> int:
    """An event on approval starting at `start` (for two hours), and a Join that waits."""
    fields = EventFields(
        name=name,
        content="",
        start_time=start,
        end_time=start + timedelta(hours=2),
        timezone="Europe/Paris",
        join_mode="restricted",
    )
    event = await events.insert_local(
        connection, f"https://mende.example/events/{name}", name, PLACE, fields
    )
    await participants.record_participation(
        connection, event.id, f"https://florac.example/actors/{name}", f"join-{name}", "pending"
    )
    return event.id


async def test_the_dashboard_lists_waiting_joins_of_events_not_over(
    connection: asyncpg.Connection,
) -> None:
    await waiting_in(connection, "coming", NOW + timedelta(days=3))
    await waiting_in(connection, "under_way", NOW - timedelta(hours=1))
    await waiting_in(connection, "past", NOW - timedelta(days=3))
    cancelled = await waiting_in(connection, "cancelled", NOW + timedelta(days=3))
    deleted = await waiting_in(connection, "deleted", NOW + timedelta(days=3))
    assert {w.event_name for w in await waiting_participants(connection)} == {
        "coming", "under_way", "cancelled", "deleted"
    }  # fmt: skip
    found = await events.find_by_id(connection, cancelled)
    assert found is not None
    await events.update_local(connection, cancelled, replace(found.fields, status="CANCELLED"))
    await events.delete_local(connection, deleted)
    assert [w.event_name for w in await waiting_participants(connection)] == [
        "coming", "under_way"
    ]  # fmt: skip
