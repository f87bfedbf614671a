"""Forgetting what has served its purpose, so that a node on a small disk does not fill it.

Processed inbox activities, finished deliveries and the live stream's history grow with every
activity; after `history_days` they go. What is still to do (a pending activity or delivery)
stays whatever its age. De-duplication of received activities then covers `history_days`, far
beyond the one-hour window in which a signed request is accepted, so an old request cannot be
replayed. Idempotency keys of the REST API go after a day (server.routes.idempotency).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from server.storage import answered_requests, idempotency, inbox, outbox, stream

# Rows deleted per statement: short transactions, so that a first prune of a large backlog does
# not hold locks (or a long WAL burst) on a small server.
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class Pruned:
    inbox_activities: int = 0
    deliveries: int = 0
    stream_items: int = 0
    idempotency_keys: int = 0
    answered_requests: int = 0

    def counts(self) -> tuple[int, ...]:
        return (
            self.inbox_activities,
            self.deliveries,
            self.stream_items,
            self.idempotency_keys,
            self.answered_requests,
        )

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(
            *(mine + theirs for mine, theirs in zip(self.counts(), other.counts(), strict=True))
        )

    @property
    def total(self) -> int:
        return sum(self.counts())


async def prune_batch(pool: asyncpg.Pool, keep: timedelta, limit: int = PRUNE_BATCH) -> Pruned:
    """One batch of each table, each in its own transaction."""
    now = datetime.now(UTC)
    older_than = now - keep
    async with pool.acquire() as connection:
        return Pruned(
            await inbox.prune_processed(connection, older_than, limit),
            await outbox.prune_finished_deliveries(connection, older_than, limit),
            await stream.prune(connection, older_than, limit),
            # Whatever history_days says: a key only promises its answer for a day.
            await idempotency.prune(
                connection, now - timedelta(hours=idempotency.KEEP_HOURS), limit
            ),
            await answered_requests.prune(connection, older_than, limit),
        )


async def prune_history(pool: asyncpg.Pool, keep: timedelta, limit: int = PRUNE_BATCH) -> Pruned:
    """Batches until nothing older than `keep` is left to delete."""
    pruned = Pruned()
    while True:
        batch = await prune_batch(pool, keep, limit)
        pruned += batch
        if max(batch.counts()) < limit:
            return pruned
