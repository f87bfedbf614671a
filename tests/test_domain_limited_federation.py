"""Limited federation mode and what was queued before: turning the mode on (a start with the
setting) or removing an `allow` gives up at once the deliveries waiting for hosts now refused,
with a line in the moderation log, without a request to them; an allowed host's stay queued."""

from __future__ import annotations

from typing import Any

from server.processing.refused_deliveries import WHY
from server.storage import outbox
from tests.network import LoopbackNetwork, NetworkNode
from tests.test_api_neighbours import call, log_in

LISTED, UNLISTED = "listed.example", "unlisted.example"


async def queue_deliveries(node: NetworkNode) -> None:
    """An activity waiting for both hosts; their next attempt is tomorrow, so that only the
    moderation can end them during the test (the inboxes do not exist)."""
    async with node.pool.acquire() as connection, connection.transaction():
        outbox_id = await outbox.store_published(
            connection, f"{node.base}/activities/queued", "place", "Update", True, {"id": "x"}
        )
        await outbox.add_deliveries(
            connection, outbox_id, {f"https://{host}/inbox": host for host in (LISTED, UNLISTED)}
        )
        await connection.execute("UPDATE deliveries SET next_attempt_at = now() + '1 day'")


async def deliveries(node: NetworkNode) -> dict[str, tuple[Any, ...]]:
    connection = await node.pool.acquire()
    try:
        rows = await connection.fetch("SELECT host, state, attempts, last_error FROM deliveries")
    finally:
        await node.pool.release(connection)
    return {row["host"]: (row["state"], row["attempts"], row["last_error"]) for row in rows}


async def log_lines(node: NetworkNode) -> list[tuple[Any, ...]]:
    connection = await node.pool.acquire()
    try:
        rows = await connection.fetch(
            "SELECT who, action, target, details FROM moderation_log "
            "WHERE action = 'deliveries.give_up' ORDER BY id"
        )
    finally:
        await node.pool.release(connection)
    return [(row["who"], row["target"], row["details"]) for row in rows]


async def test_turning_the_mode_on_then_removing_an_allow_gives_up_what_waits(
    network: LoopbackNetwork,
) -> None:
    node = await network.add("mende")
    await network.start_all()
    token = await log_in(node)
    status, body = await call(node, "PUT", f"/api/v1/moderation/domains/{LISTED}", token=token,
                              body={"severity": "allow"})  # fmt: skip
    assert status == 200, body
    await queue_deliveries(node)
    assert await deliveries(node) == {
        LISTED: ("pending", 0, None), UNLISTED: ("pending", 0, None),
    }  # fmt: skip

    # The mode is a setting: turned on, it applies from the start, before any worker runs.
    await node.stop()
    node.settings = node.settings.model_copy(update={"limited_federation": True})
    await node.start()
    assert await deliveries(node) == {
        LISTED: ("pending", 0, None), UNLISTED: ("failed", 0, WHY),
    }  # fmt: skip
    assert await log_lines(node) == [("system", UNLISTED, '{"deliveries": 1}')]

    # A start again finds nothing more to give up, and writes nothing.
    await node.stop()
    await node.start()
    assert len(await log_lines(node)) == 1

    # The allow removed: what waits for the host is given up by the time the answer comes.
    token = await log_in(node)
    status, _ = await call(node, "DELETE", f"/api/v1/moderation/domains/{LISTED}", token=token)
    assert status == 204
    assert await deliveries(node) == {
        LISTED: ("failed", 0, WHY), UNLISTED: ("failed", 0, WHY),
    }  # fmt: skip
    assert await log_lines(node) == [
        ("system", UNLISTED, '{"deliveries": 1}'), ("system", LISTED, '{"deliveries": 1}'),
    ]  # fmt: skip
