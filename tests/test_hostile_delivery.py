"""Issue 14, item 4: deliveries the address guard refuses, and shared inboxes on another origin.

A node with the production rules gets deliveries queued to addresses its guard refuses: each
fails at its first attempt instead of being retried for days, and nothing is connected to. A
follower naming a `sharedInbox` on another origin gets our fan-out at its own inbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from federation.hosts import canonical_host
from server.migrations import bundled_migrations, migrate
from server.processing.publish import PUBLIC
from server.storage import outbox
from tests.hostile import (
    EVIL,
    LIAR,
    HostileActor,
    connection_counter,
    deliver,
    hostile_server,
    processed,
    rsa_key,
    start_node,
)
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_domain_policy_network import start
from tests.test_federation_network import publish_note


async def queue(node: NetworkNode, inboxes: list[str]) -> None:
    activity = {
        "id": f"{node.place}/activities/guarded",
        "type": "Create",
        "actor": node.place,
        "to": [PUBLIC],
        "object": {"id": f"{node.place}/notes/guarded", "type": "Note", "content": "bonjour"},
    }
    async with node.pool.acquire() as connection, connection.transaction():
        outbox_id = await outbox.store_published(
            connection, activity["id"], "place", "Create", True, activity
        )
        await outbox.add_deliveries(
            connection, outbox_id, {url: canonical_host(url) for url in inboxes}
        )


async def test_deliveries_the_guard_refuses_fail_at_once(network: LoopbackNetwork) -> None:
    async with connection_counter() as private:
        node = await start_node(network, development=False)
        inboxes = [
            f"https://127.0.0.1:{private.port}/inbox",
            f"https://localhost:{private.port}/inbox",
            f"https://[::ffff:127.0.0.1]:{private.port}/inbox",
            "http://plain.example/inbox",
        ]
        await queue(node, inboxes)

        async def all_failed() -> list[tuple[str, int, str]] | None:
            rows = await node.pool.fetch(
                "SELECT inbox_url, state, attempts, lease_until FROM deliveries ORDER BY id"
            )
            # Tried, and its outcome recorded (a retry is pending again, without a lease).
            if any(row["attempts"] == 0 or row["lease_until"] is not None for row in rows):
                return None
            return [(row["inbox_url"], row["attempts"], row["state"]) for row in rows] or None

        rows = await wait_until(all_failed, what="every refused delivery tried once")
        assert rows == [(url, 1, "failed") for url in inboxes]
        errors = await node.pool.fetch("SELECT last_error FROM deliveries")
        assert all(row["last_error"].startswith("refused by the address guard") for row in errors)
        assert private.connections == 0


async def test_a_delivery_the_domain_policy_refuses_says_so(network: LoopbackNetwork) -> None:
    """Limited federation mode: a host no `allow` covers is refused by the node's moderation,
    not by the address guard, and the recorded reason says which."""
    node = await start(network, "mende", limited_federation=True)
    await queue(node, [f"https://{EVIL}/inbox"])

    async def failed() -> str | None:
        row = await node.pool.fetchrow("SELECT state, last_error FROM deliveries")
        return None if row is None or row["state"] != "failed" else str(row["last_error"])

    reason = await wait_until(failed, what="the refused delivery given up")
    # Given up by the worker as it claims it, or by the policies' reload as the node starts
    # (whichever comes first): either way in the policy's words, not the address guard's.
    assert reason.startswith(("refused by a domain policy", "limited federation")), reason


@pytest.fixture
async def follower_with_foreign_shared_inbox(
    network: LoopbackNetwork,
) -> AsyncIterator[tuple[NetworkNode, HostileActor, list[tuple[str, str]]]]:
    async with hostile_server() as server:
        node = await start_node(network)
        eve = HostileActor(server, EVIL, "eve", rsa_key(0))
        eve.publish(endpoints={"sharedInbox": server.url(LIAR, "/inbox")})
        follow = eve.activity("Follow", node.place)
        answer = await deliver(node, eve, follow)
        assert (answer.status, answer.error) == (202, None)
        assert await processed(node, follow["id"]) == "done"
        yield node, eve, server.hits


async def test_a_shared_inbox_on_another_origin_is_not_used(
    follower_with_foreign_shared_inbox: tuple[NetworkNode, HostileActor, list[tuple[str, str]]],
) -> None:
    node, eve, hits = follower_with_foreign_shared_inbox
    assert await node.fetchval(
        "SELECT shared_inbox FROM remote_actors WHERE uri = $1", eve.uri
    ) is None  # fmt: skip
    note = await publish_note(node, "ouverture samedi")

    async def fan_out() -> list[str] | None:
        rows = await node.pool.fetch(
            "SELECT d.inbox_url FROM deliveries d JOIN outbox_activities o ON o.id = d.outbox_id "
            "WHERE o.payload->'object'->>'id' = $1 AND d.attempts > 0",
            note,
        )
        return [row["inbox_url"] for row in rows] or None

    assert await wait_until(fan_out, what="the note's delivery") == [f"{eve.uri}/inbox"]
    assert [path for host, path in hits if host == LIAR] == []


async def test_migration_0023_forgets_shared_inboxes_of_another_origin(
    empty_database_url: str,
) -> None:
    connection = await asyncpg.connect(empty_database_url)
    try:
        known = bundled_migrations()
        ours = next(m for m in known if m.name == "shared_inboxes_on_own_origin")
        assert ours.version == 23
        await migrate(connection, [m for m in known if m.version < ours.version])
        shared = {
            "https://florac.test/actors/place": "https://florac.test/inbox",
            "https://Florac.test/actors/camille": "https://florac.test/inbox",
            "https://mende.test/actors/place": "https://elsewhere.test/inbox",
            "https://gard.test/actors/place": "http://127.0.0.1:8080/inbox",
            "https://lozere.test/actors/place": None,
        }
        for uri, shared_inbox in shared.items():
            await connection.execute(
                "INSERT INTO remote_actors (uri, host, kind, inbox, shared_inbox, document) "
                "VALUES ($1, 'h', 'Group', $1 || '/inbox', $2, '{}')",
                uri,
                shared_inbox,
            )
        assert await migrate(connection, [m for m in known if m.version <= ours.version]) == [ours]
        rows = await connection.fetch("SELECT uri, shared_inbox FROM remote_actors")
        assert {row["uri"]: row["shared_inbox"] for row in rows} == {
            **shared,
            "https://mende.test/actors/place": None,
            "https://gard.test/actors/place": None,
        }
    finally:
        await connection.close()
