"""Group commit for the inbox: the activities that arrive while one write is under way are
recorded together by the next, in one statement and one commit.

Each request still answers only once its own row is committed (nothing accepted with 202 can be
lost), but a busy inbox costs the database one round trip and one commit per batch instead of
per activity. An idle inbox writes each activity at once: a batch is whatever queued during the
previous write, so no activity ever waits for a timer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import asyncpg

from server.storage import inbox
from server.storage.inbox import IncomingActivity

MAX_BATCH = 256


@dataclass
class InboxWriter:
    pool: asyncpg.Pool
    max_batch: int = MAX_BATCH
    _queued: list[tuple[IncomingActivity, asyncio.Future[bool]]] = field(default_factory=list)
    _writing: asyncio.Task[None] | None = None

    async def store(self, activity: IncomingActivity) -> bool:
        """Record `activity` (committed when this returns); False for a duplicate."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        # Read the outcome even when the request is gone, so a failure is not reported twice.
        future.add_done_callback(_consume)
        self._queued.append((activity, future))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_queued(), name="inbox-writer")
        # Shielded: a sender that hangs up does not cancel the write of the others' rows.
        return await asyncio.shield(future)

    async def _write_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued[: self.max_batch], self._queued[self.max_batch :]
            try:
                await self._write(batch)
            except BaseException:
                for _, future in batch + self._queued:
                    future.cancel()
                self._queued = []
                raise

    async def _write(self, batch: list[tuple[IncomingActivity, asyncio.Future[bool]]]) -> None:
        try:
            async with self.pool.acquire() as connection:
                stored = await inbox.store_received_many(connection, [a for a, _ in batch])
        except Exception as error:
            if len(batch) == 1:
                # The request answers the failure; nothing of it was committed.
                if not batch[0][1].done():
                    batch[0][1].set_exception(error)
                return
            # One activity the database refuses must not fail the others written with it:
            # each is tried alone (a database that is down fails them all, each for itself).
            for one in batch:
                await self._write([one])
            return
        for (_, future), new in zip(batch, stored, strict=True):
            if not future.done():
                future.set_result(new)


def _consume(future: asyncio.Future[bool]) -> None:
    if not future.cancelled():
        future.exception()
