"""What a `limit` lets through, the same on the agenda and on the wall (FEDERATION.md,
"Moderation: domain policies"): an item whose author is on a limited domain shows when we follow
its author, or when the actor that brought it is followed and not on a limited domain itself.

Every combination of (author limited, author followed, sender limited, sender followed) goes
through the three places the rule is applied, on real PostgreSQL: the agenda's query, the
wall's check on arrival (`activities.off_the_wall`), and the wall's history when the limit
comes later (`domain_policy.off_the_wall`, which also tells open screens).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from server.processing.activities import off_the_wall
from server.processing.context import NodeContext
from server.processing.domain_policy import DomainPolicies, apply_policy
from server.processing.objects import Imported, Shown
from server.storage import stream
from server.storage.agenda import AgendaFilter, agenda
from server.storage.local_actors import PLACE
from tests.test_late_deliveries_network import NODE

pytestmark = pytest.mark.asyncio(loop_scope="session")

LIMITED, FREE = "lim.test", "free.test"
START = datetime.now(UTC) + timedelta(days=3)
# (author limited, author followed, sender limited, sender followed)
COMBINATIONS = list(itertools.product((False, True), repeat=4))


def shown_by_the_rule(combination: tuple[bool, bool, bool, bool]) -> bool:
    author_limited, author_followed, sender_limited, sender_followed = combination
    return not author_limited or author_followed or (sender_followed and not sender_limited)


def actors(number: int, combination: tuple[bool, bool, bool, bool]) -> tuple[str, str]:
    author_limited, _, sender_limited, _ = combination
    author = f"https://{LIMITED if author_limited else FREE}/actors/author-{number}"
    sender = f"https://{LIMITED if sender_limited else FREE}/actors/sender-{number}"
    return author, sender


def event_id(number: int, author: str) -> str:
    return f"{author}/events/{number}"


async def written(connection: asyncpg.Connection) -> None:
    place = NODE.urls.actor(PLACE)
    for number, combination in enumerate(COMBINATIONS):
        author, sender = actors(number, combination)
        await connection.execute(
            "INSERT INTO events (ap_id, local, actor_uri, attributed_to, name, start_time) "
            "VALUES ($1, false, $2, $3, $1, $4)",
            event_id(number, author),
            sender,
            author,
            START,
        )
        for followed, actor in ((combination[1], author), (combination[3], sender)):
            if followed:
                await connection.execute(
                    "INSERT INTO follows (follower, followed, follow_activity_id, state) "
                    "VALUES ($1, $2, $2 || '#follow', 'accepted')",
                    place,
                    actor,
                )
        await stream.append(
            connection, "event", {"id": event_id(number, author)}, local=False, place=sender
        )


async def test_the_agenda_and_the_wall_let_through_the_same_items(pool: asyncpg.Pool) -> None:
    expected = [shown_by_the_rule(combination) for combination in COMBINATIONS]
    assert set(expected) == {True, False}
    policies = DomainPolicies(pool)
    async with pool.acquire() as connection:
        await written(connection)
        async with connection.transaction():
            await apply_policy(connection, domain=LIMITED, severity="limit", who="admin")
        await policies.refresh()

        items, _ = await agenda(
            connection, AgendaFilter(start=datetime.now(UTC), hidden=policies.limit_rule)
        )
        in_agenda = {item.event.ap_id for item in items}

        node = NodeContext(NODE.urls, limits=policies.limits)
        on_arrival = []
        for number, combination in enumerate(COMBINATIONS):
            author, sender = actors(number, combination)
            imported = Imported(
                event_id(number, author), Shown("event", {"id": event_id(number, author)}), author
            )
            on_arrival.append(not await off_the_wall(connection, node, imported, sender))

        kept = {
            event.data["id"]
            for event in await stream.after(connection, 0)
            if event.data.get("action") != stream.REMOVED
        }
        notices = {
            event.data["id"]
            for event in await stream.after(connection, 0)
            if event.data.get("action") == stream.REMOVED
        }

    ids = [event_id(number, actors(number, c)[0]) for number, c in enumerate(COMBINATIONS)]
    assert [ap_id in in_agenda for ap_id in ids] == expected
    assert on_arrival == expected
    # The limit came after the items: those it keeps off went, with a notice for open screens.
    assert [ap_id in kept for ap_id in ids] == expected
    assert notices == {ap_id for ap_id, shown in zip(ids, expected, strict=True) if not shown}
