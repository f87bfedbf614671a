"""The periodic refresh of the directory's suggestions: what each neighbour follows changes after
we followed it, and only a new read of its `following` shows that."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from server.processing.context import NodeContext
from server.processing.directory import MAX_REFRESHES_PER_ROUND, refresh_due_suggestions
from server.waiting import wait_for_any

log = structlog.get_logger(__name__)

# How late a refresh may be at most: the loop looks for due neighbours this often (or at every
# interval, when the interval is shorter), so a long interval costs no idle wake-ups.
LONGEST_CHECK_SECONDS = 300.0


async def refresh_suggestions_periodically(
    pool: asyncpg.Pool, node: NodeContext, stop: asyncio.Event, every_seconds: float
) -> None:
    """Refresh due neighbours' suggestions until `stop`; every worker process may run it."""
    check = min(every_seconds, LONGEST_CHECK_SECONDS)
    while not stop.is_set():
        try:
            due = await refresh_due_suggestions(pool, node, every_seconds)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("refreshing suggestions failed; retrying", error=str(error))
            due = 0
        except Exception:
            # Like the claim loops: a bug in one round must not end the refresh for good.
            log.exception("refreshing suggestions crashed; continuing")
            due = 0
        if due >= MAX_REFRESHES_PER_ROUND:
            continue  # more may be due already
        await wait_for_any(stop, seconds=check)
