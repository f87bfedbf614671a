"""The history pruning loop: once an hour, in every worker process (deleting twice is harmless)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import structlog

from server.processing.retention import prune_history
from server.waiting import wait_for_any

log = structlog.get_logger(__name__)

PRUNE_EVERY_SECONDS = 3600.0


async def prune_periodically(pool: asyncpg.Pool, stop: asyncio.Event, keep_days: float) -> None:
    keep = timedelta(days=keep_days)
    while not stop.is_set():
        try:
            pruned = await prune_history(pool, keep)
            if pruned.total:
                log.info(
                    "history pruned",
                    inbox_activities=pruned.inbox_activities,
                    deliveries=pruned.deliveries,
                    stream_items=pruned.stream_items,
                    idempotency_keys=pruned.idempotency_keys,
                    answered_requests=pruned.answered_requests,
                )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("pruning the history failed; retrying", error=str(error))
        except Exception:
            # Like the other loops: a bug in one round must not end the pruning for good.
            log.exception("pruning the history crashed; continuing")
        await wait_for_any(stop, seconds=PRUNE_EVERY_SECONDS)
