"""Inbox processing: claim stored activities with a lease and apply them one transaction each."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import asyncpg
import structlog

from server.processing.activities import effectful, process_activity
from server.processing.context import NodeContext
from server.storage import inbox
from server.storage.inbox import INBOX_CHANNEL, ReceivedActivity
from server.workers.loop import run_claim_loop

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 8


@dataclass
class InboxWorker:
    pool: asyncpg.Pool
    node: NodeContext
    batch_size: int = 100
    lease_seconds: float = 60.0
    poll_seconds: float = 2.0
    concurrency: int = 8

    async def run(self, stop: asyncio.Event) -> None:
        await run_claim_loop(
            self.pool, INBOX_CHANNEL, self.run_batch, stop, self.poll_seconds, "inbox"
        )

    async def run_batch(self) -> int:
        async with self.pool.acquire() as connection:
            # What changes nothing (a Create{Note}...) is done by the claim itself.
            claimed, acting = await inbox.claim_pending(
                connection, self.batch_size, self.lease_seconds, effectful()
            )
        limit = asyncio.Semaphore(self.concurrency)
        unfinished = {activity.id for activity in acting}

        async def one(activity: ReceivedActivity) -> None:
            async with limit:
                await self.process_one(activity)
            unfinished.discard(activity.id)

        try:
            await asyncio.gather(*(one(activity) for activity in acting))
        except BaseException:
            # Cut short (a stop that did not wait for a slow fetch): what was not processed is
            # given back, due again at once for the next worker, instead of waiting its lease.
            if unfinished:
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    async with self.pool.acquire() as connection:
                        await inbox.release(connection, sorted(unfinished))
            raise
        return claimed

    async def process_one(self, activity: ReceivedActivity) -> None:
        try:
            async with self.pool.acquire() as connection, connection.transaction():
                await process_activity(connection, self.node, activity)
                await inbox.mark_done(connection, activity.id)
        except Exception as error:
            # Whatever a handler raises, this activity is retried later and, after
            # MAX_ATTEMPTS, kept as failed; the others of the batch go on.
            give_up = activity.attempts >= MAX_ATTEMPTS
            log.warning(
                "inbox activity failed",
                activity=activity.activity_id,
                error=repr(error),
                give_up=give_up,
            )
            async with self.pool.acquire() as connection:
                await inbox.mark_failed_attempt(connection, activity.id, repr(error), give_up)
