"""Issue 13's bounds for a neighbour that was down: back after 4 minutes, it has its backlog
within 2 minutes; back after an hour, within 15 minutes.

A real outage of an hour is too long for a test, so the clock is simulated at the storage level:
time passing is every stored instant (pause ends, streak starts, due times, leases) moving into
the past, while PostgreSQL's now() stays put. The breaker is the real one: the worker's
`record_failure` (with the longest pauses the jitter allows), the real claims (one probe at a
time while a streak runs) and the real success recording, which makes the backlog due at once.
"""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from federation.fetcher import FetchPolicy, SafeFetcher
from federation.retry import HostPausePolicy, classify_failure
from server.database import DbConnection
from server.processing.signing import RequestSigner
from server.storage import outbox
from server.workers.delivery import DeliveryWorker
from tests.test_delivery_breaker import URLS, followed_by, publish_notes

HOST = "down.example"
DEPTH = 8  # the worker's default depth for a host: twice its starting concurrency
# A claim of a pause just ended waits for the worker's next poll (no notification comes then).
POLL_SECONDS = DeliveryWorker.poll_seconds
# The drain, once the host answers, is counted in rounds of a claim's depth, each taking this
# long: a neighbour answering in a second at our starting concurrency.
ANSWER_SECONDS = 1.0


class Longest(random.Random):
    """Always the largest jitter: the longest pauses the breaker allows."""

    def uniform(self, a: float, b: float) -> float:
        return b


class LongestPauses(HostPausePolicy):
    def pause_after(self, failing_for: float, rng: random.Random | None = None) -> float:
        return super().pause_after(failing_for, Longest())


@pytest_asyncio.fixture(loop_scope="session")
async def worker(pool: asyncpg.Pool) -> AsyncIterator[DeliveryWorker]:
    async with SafeFetcher(FetchPolicy()) as fetcher:
        yield DeliveryWorker(pool, fetcher, RequestSigner(pool, URLS), pauses=LongestPauses())


async def advance(connection: DbConnection, seconds: float) -> None:
    """`seconds` pass: every stored instant moves that far into the past."""
    await connection.execute(
        """
        UPDATE remote_hosts SET
            failing_since = failing_since - make_interval(secs => $1),
            circuit_open_until = circuit_open_until - make_interval(secs => $1),
            last_failure_at = last_failure_at - make_interval(secs => $1),
            last_success_at = last_success_at - make_interval(secs => $1)
        """,
        seconds,
    )
    await connection.execute(
        "UPDATE deliveries SET next_attempt_at = next_attempt_at - make_interval(secs => $1), "
        "lease_until = lease_until - make_interval(secs => $1)",
        seconds,
    )


async def until_next_claim(connection: DbConnection) -> float:
    """Seconds until the worker finds something to claim: the host's pause ends (then its next
    poll), or else the earliest delivery falls due."""
    paused: float | None = await connection.fetchval(
        "SELECT extract(epoch FROM circuit_open_until - now())::float8 FROM remote_hosts "
        "WHERE host = $1 AND circuit_open_until > now()",
        HOST,
    )
    if paused is not None:
        return paused + POLL_SECONDS
    due: float | None = await connection.fetchval(
        "SELECT extract(epoch FROM min(next_attempt_at) - now())::float8 FROM deliveries "
        "WHERE state = 'pending'"
    )
    return max(due or 0.0, 0.0) + POLL_SECONDS


@pytest.mark.parametrize(
    ("outage", "bound"), [(240.0, 120.0), (3600.0, 900.0)], ids=["4 minutes", "1 hour"]
)
async def test_a_host_back_after_an_outage_has_its_backlog_within_the_bound(
    connection: asyncpg.Connection, worker: DeliveryWorker, outage: float, bound: float
) -> None:
    await followed_by(connection, [HOST])
    await publish_notes(connection, 60)
    now, probes = 0.0, 0
    # The outage: whatever is claimed is refused, and recorded as the worker records it.
    while now < outage:
        claimed = await outbox.claim_due(connection, 100, 120.0, DEPTH)
        assert len(claimed) <= (DEPTH if now == 0 else 1), "one probe at a time"
        probes += bool(claimed)
        for delivery in claimed:
            outcome = classify_failure("refused", delivery.attempts, worker.policy)
            await worker.record_failure(connection, delivery, outcome, None)
        step = await until_next_claim(connection)
        await advance(connection, step)
        now += step
    # Back: the first probe is answered, and the whole backlog drains in claims of the
    # host's depth, none of it waiting for a pause or its own retry time.
    back_after = now - outage
    rounds = 0
    while claimed := await outbox.claim_due(connection, 100, 120.0, DEPTH):
        rounds += 1
        await outbox.mark_all_delivered(connection, [(d.id, 202, d.host) for d in claimed])
    states = await connection.fetch("SELECT state, count(*) FROM deliveries GROUP BY state")
    assert {row["state"]: row["count"] for row in states} == {"done": 60}, "none given up"
    assert rounds == 1 + math.ceil(59 / DEPTH), "the probe, then the backlog at the depth"
    # Printed for the record (pytest -s): when the host had everything, in simulated seconds.
    print(f"outage {outage:.0f} s: {probes} probes, first answered {back_after:.0f} s after")
    assert back_after + rounds * ANSWER_SECONDS <= bound
