"""The circuit breaker that probes, and claims that give each host only its own share.

Storage level, on a real PostgreSQL: time is moved by writing the pause's end, never by sleeping.
"""

from __future__ import annotations

import asyncpg

from federation.retry import HostPausePolicy, RetryPolicy
from server.processing.publish import PUBLIC, publish
from server.storage import outbox, remote_hosts
from server.urls import NodeUrls

URLS = NodeUrls("https://mende.example.org")
LEASE = 60.0
DEPTH = 4


async def followed_by(connection: asyncpg.Connection, hosts: list[str]) -> None:
    await connection.execute(
        "INSERT INTO local_actors (name, kind, display_name) VALUES ('place', 'Group', 'P')"
    )
    for host in hosts:
        actor = f"https://{host}/a"
        await connection.execute(
            "INSERT INTO remote_actors (uri, host, kind, inbox, document) "
            "VALUES ($1, $2, 'Group', $3, '{}'::jsonb)",
            actor,
            host,
            f"https://{host}/inbox",
        )
        await connection.execute(
            "INSERT INTO follows (follower, followed, follow_activity_id, state) "
            "VALUES ($1, $2, $3, 'accepted')",
            actor,
            URLS.actor("place"),
            f"{actor}/follow",
        )


async def publish_notes(connection: asyncpg.Connection, count: int) -> None:
    for number in range(count):
        await publish(
            connection,
            URLS,
            "place",
            {"type": "Create", "to": [PUBLIC], "object": {"type": "Note", "content": str(number)}},
            to_followers=True,
        )


async def host_down(connection: asyncpg.Connection, host: str) -> bool:
    return await remote_hosts.record_host_down(connection, host, HostPausePolicy().pause_after)


async def end_pause(connection: asyncpg.Connection, host: str) -> None:
    """As if the pause had run out."""
    await connection.execute(
        "UPDATE remote_hosts SET circuit_open_until = now() - interval '1 second' WHERE host = $1",
        host,
    )


async def claim(connection: asyncpg.Connection, limit: int = 100) -> list[outbox.Delivery]:
    return await outbox.claim_due(connection, limit, LEASE, DEPTH)


async def streak(connection: asyncpg.Connection, host: str) -> int:
    value: int = await connection.fetchval(
        "SELECT consecutive_failures FROM remote_hosts WHERE host = $1", host
    )
    return value


async def test_each_host_gets_at_most_its_depth_of_leases(connection: asyncpg.Connection) -> None:
    await followed_by(connection, ["slow.example", "fast.example"])
    await publish_notes(connection, 20)

    first = await claim(connection)
    assert sorted(d.host for d in first) == ["fast.example"] * DEPTH + ["slow.example"] * DEPTH
    assert await claim(connection) == [], "leases held count against the host's depth"

    # One of fast's is answered: fast gets one more, slow (all still in flight) none.
    fast = next(d for d in first if d.host == "fast.example")
    await outbox.mark_all_delivered(connection, [(fast.id, 202, fast.host)])
    assert [d.host for d in await claim(connection)] == ["fast.example"]

    # The worker's own, smaller depth for a host is used instead of the default.
    await connection.execute("UPDATE deliveries SET lease_until = NULL")
    deeper = await outbox.claim_due(connection, 100, LEASE, DEPTH, {"slow.example": 1})
    assert sorted(d.host for d in deeper) == ["fast.example"] * DEPTH + ["slow.example"]


async def test_a_failing_host_is_paused_then_probed_one_delivery_at_a_time(
    connection: asyncpg.Connection,
) -> None:
    await followed_by(connection, ["down.example"])
    await publish_notes(connection, 10)
    in_flight = await claim(connection)
    assert len(in_flight) == DEPTH

    # The four in flight fail together: one failed probe, not four.
    assert await host_down(connection, "down.example")
    for _ in in_flight[1:]:
        assert not await host_down(connection, "down.example")
    assert await streak(connection, "down.example") == 1
    for delivery in in_flight:
        await outbox.schedule_retry(connection, delivery.id, 30, None, "refused")
    assert await claim(connection) == [], "a paused host gets nothing"

    # The pause ends: one probe, taken though no delivery of the host is due by its own time.
    await end_pause(connection, "down.example")
    await connection.execute("UPDATE deliveries SET next_attempt_at = now() + interval '1 hour'")
    probes = await claim(connection)
    assert len(probes) == 1
    assert probes[0].probe
    assert probes[0].early
    assert await claim(connection) == [], "never two probes at once"

    # The probe fails: the streak grows by one and the host is paused again.
    assert await host_down(connection, "down.example")
    assert await streak(connection, "down.example") == 2
    await outbox.schedule_retry(
        connection, probes[0].id, None, None, "refused", count_attempt=False
    )
    assert await claim(connection) == []

    # The next probe is answered: the whole backlog is due and drains at the host's depth.
    await end_pause(connection, "down.example")
    probe = (await claim(connection))[0]
    await outbox.mark_all_delivered(connection, [(probe.id, 202, probe.host)])
    assert await streak(connection, "down.example") == 0
    drained = await claim(connection)
    assert len(drained) == DEPTH
    assert not any(d.probe for d in drained)


async def test_a_probe_taken_early_keeps_its_attempts(connection: asyncpg.Connection) -> None:
    await followed_by(connection, ["down.example"])
    await publish_notes(connection, 1)
    await host_down(connection, "down.example")
    await end_pause(connection, "down.example")
    await connection.execute("UPDATE deliveries SET next_attempt_at = now() + interval '1 hour'")
    probe = (await claim(connection))[0]
    await outbox.schedule_retry(connection, probe.id, None, None, "refused", count_attempt=False)
    row = await connection.fetchrow(
        "SELECT attempts, next_attempt_at > now() AS later FROM deliveries"
    )
    assert row is not None
    assert (row["attempts"], row["later"]) == (0, True)


async def test_a_failed_probe_counts_an_attempt_for_every_due_delivery_of_its_host(
    connection: asyncpg.Connection,
) -> None:
    await followed_by(connection, ["down.example", "up.example"])
    await publish_notes(connection, 3)
    policy = RetryPolicy(max_attempts=2)
    assert await outbox.fail_due_of_host(connection, "down.example", policy, None, "x") == 3
    rows = await connection.fetch(
        "SELECT host, attempts, state, next_attempt_at > now() AS later FROM deliveries"
    )
    assert {(r["host"], r["attempts"], r["state"], r["later"]) for r in rows} == {
        ("down.example", 1, "pending", True),
        ("up.example", 0, "pending", False),
    }
    # Not due any more: untouched. Due again with their attempts used up: given up.
    assert await outbox.fail_due_of_host(connection, "down.example", policy, None, "x") == 0
    await connection.execute("UPDATE deliveries SET next_attempt_at = now()")
    await outbox.fail_due_of_host(connection, "down.example", policy, None, "x")
    states = await connection.fetch(
        "SELECT DISTINCT state FROM deliveries WHERE host = $1", "down.example"
    )
    assert [r["state"] for r in states] == ["failed"]


async def test_retry_after_pauses_without_a_streak_and_a_success_keeps_that_pause(
    connection: asyncpg.Connection,
) -> None:
    await followed_by(connection, ["busy.example"])
    await publish_notes(connection, 6)
    first = await claim(connection)
    await remote_hosts.record_throttle(connection, "busy.example", 120)
    await outbox.schedule_retry(connection, first[0].id, 120, 429, "HTTP 429", count_attempt=False)
    assert await streak(connection, "busy.example") == 0
    # Another delivery sent before the 429 is answered 202: the host asked to wait, it waits.
    await outbox.mark_all_delivered(connection, [(first[1].id, 202, first[1].host)])
    assert await claim(connection) == []
    attempts = await connection.fetchval(
        "SELECT attempts FROM deliveries WHERE id = $1", first[0].id
    )
    assert attempts == 0, "a Retry-After is not a failed attempt"


async def test_a_signed_request_or_an_operator_lifts_a_pause_at_once(
    connection: asyncpg.Connection,
) -> None:
    await followed_by(connection, ["down.example"])
    await publish_notes(connection, 2)
    await host_down(connection, "down.example")
    await outbox.fail_due_of_host(connection, "down.example", RetryPolicy(), None, "refused")
    assert await claim(connection) == []
    await remote_hosts.close_circuit(connection, "down.example")
    assert len(await claim(connection)) == 2

    await connection.execute("UPDATE deliveries SET lease_until = NULL")
    await remote_hosts.record_throttle(connection, "down.example", 3600)
    assert await claim(connection) == []
    assert await remote_hosts.retry_now(connection, "down.example") == 2
    assert len(await claim(connection)) == 2
    assert await remote_hosts.retry_now(connection, "unknown.example") is None


async def test_released_leases_are_due_again_without_an_attempt(
    connection: asyncpg.Connection,
) -> None:
    await followed_by(connection, ["slow.example"])
    await publish_notes(connection, 2)
    claimed = await claim(connection)
    assert [d.attempts for d in claimed] == [1, 1]
    await outbox.release(connection, [d.id for d in claimed])
    again = await claim(connection)
    assert sorted(d.id for d in again) == sorted(d.id for d in claimed)
    assert [d.attempts for d in again] == [1, 1]


async def test_claims_go_round_the_hosts_from_where_the_last_one_stopped(
    connection: asyncpg.Connection,
) -> None:
    await followed_by(connection, ["a.example", "b.example", "c.example"])
    await publish_notes(connection, 5)

    async def hosts_claimed(after_host: str) -> set[str]:
        claimed = await outbox.claim_due(connection, 2, LEASE, DEPTH, after_host=after_host)
        return {d.host for d in claimed}

    assert await hosts_claimed("") == {"a.example"}
    assert await hosts_claimed("a.example") == {"b.example"}
    assert await hosts_claimed("b.example") == {"c.example"}
    assert await hosts_claimed("c.example") == {"a.example"}, "wrapping round to the first"
    assert await hosts_claimed("a.example") == {"b.example"}
    # a and b now hold their depth (4 leases each); c gets its last two, then none is free.
    assert await hosts_claimed("b.example") == {"c.example"}
    assert await hosts_claimed("") == set()
