"""A report resolved with `suspend` purges the domain as a suspension set directly does: the
seats its people held in our events are freed and the events' counts follow."""

from __future__ import annotations

import asyncpg
import pytest

from server.processing import reports
from server.storage import local_actors
from server.storage import reports as stored_reports
from server.storage.local_actors import PLACE
from tests.test_late_deliveries_network import NODE

pytestmark = pytest.mark.asyncio(loop_scope="session")

SPAMMER = "https://spam.test/actors/bot"


async def test_resolving_with_suspend_frees_the_domains_seats_and_recounts(
    pool: asyncpg.Pool,
) -> None:
    place = NODE.urls.actor(PLACE)
    ours = f"{place}/events/1"
    async with pool.acquire() as connection:
        await local_actors.upsert_local_actor(
            connection, PLACE, "Group", "Mende", visibility="network"
        )
        event_id = await connection.fetchval(
            "INSERT INTO events (ap_id, token, local, actor_uri, attributed_to, name, "
            "start_time, participant_count) "
            "VALUES ($1, 'tok1', true, $2, $2, 'Fête', now() + interval '4 days', 1) RETURNING id",
            ours,
            place,
        )
        await connection.execute(
            "INSERT INTO event_participants (event_id, participant, join_activity_id, state) "
            "VALUES ($1, $2, $2 || '#join', 'accepted')",
            event_id,
            SPAMMER,
        )
        report = await stored_reports.add_report(
            connection,
            origin="local",
            reporter=place,
            target_actor=SPAMMER,
            objects=[],
            comment="spam",
        )
    assert report is not None
    await reports.resolve(
        pool,
        report_id=report.id,
        resolution="suspend",
        reason="spam",
        who="admin",
        local_hosts=frozenset({NODE.urls.host}),
        may_change_domains=True,
        urls=NODE.urls,
    )
    async with pool.acquire() as connection:
        count = await connection.fetchval(
            "SELECT participant_count FROM events WHERE id = $1", event_id
        )
        left = await connection.fetchval("SELECT count(*) FROM event_participants")
    assert (left, count) == (0, 0)
