"""The backfill worker: claims backfill jobs and imports each followed actor's outbox."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
import structlog

from server.processing.backfill import BackfillFailed, FollowedGone, backfill
from server.processing.context import NodeContext
from server.storage import backfill_jobs
from server.storage.backfill_jobs import BACKFILL_CHANNEL, BackfillJob
from server.workers.loop import run_claim_loop

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30.0


@dataclass
class BackfillWorker:
    pool: asyncpg.Pool
    node: NodeContext
    batch_size: int = 4
    lease_seconds: float = 120.0
    poll_seconds: float = 2.0

    async def run(self, stop: asyncio.Event) -> None:
        await run_claim_loop(
            self.pool, BACKFILL_CHANNEL, self.run_batch, stop, self.poll_seconds, "backfill"
        )

    async def run_batch(self) -> int:
        async with self.pool.acquire() as connection:
            claimed = await backfill_jobs.claim_due(connection, self.batch_size, self.lease_seconds)
        await asyncio.gather(*(self.run_one(job) for job in claimed))
        return len(claimed)

    async def run_one(self, job: BackfillJob) -> None:
        try:
            imported = await backfill(self.pool, self.node, job.followed)
        except BackfillFailed as error:
            give_up = isinstance(error, FollowedGone) or job.attempts >= MAX_ATTEMPTS
            log.warning("backfill failed", followed=job.followed, error=str(error), give_up=give_up)
            delay = FIRST_RETRY_SECONDS * 2 ** (job.attempts - 1)
            async with self.pool.acquire() as connection:
                await backfill_jobs.retry_later(connection, job.id, delay, str(error), give_up)
            return
        log.info("backfill done", followed=job.followed, imported=imported)
        async with self.pool.acquire() as connection:
            await backfill_jobs.finish(connection, job.id)
