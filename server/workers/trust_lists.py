"""The periodic refetch of the trust lists this node follows, and the refetch a publisher's
`Update` asks for (it makes the list due at once; this loop looks every poll interval)."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from server.processing.context import NodeContext
from server.processing.trust_subscriptions import refresh
from server.storage import trust_subscriptions
from server.waiting import wait_for_any

log = structlog.get_logger(__name__)

LISTS_PER_ROUND = 10


async def refresh_trust_lists_periodically(
    pool: asyncpg.Pool,
    node: NodeContext,
    stop: asyncio.Event,
    every_seconds: float,
    poll_seconds: float,
) -> None:
    """Refetch due lists until `stop`; every worker process may run it (each list is claimed)."""
    while not stop.is_set():
        due: list[str] = []
        try:
            async with pool.acquire() as connection:
                due = await trust_subscriptions.claim_due(
                    connection, every_seconds, LISTS_PER_ROUND
                )
            for url in due:
                try:
                    await refresh(pool, node, url)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    raise
                except Exception:
                    # A bug on one list: the others of the round are still refreshed.
                    log.exception("refreshing a trust list crashed; next list", url=url)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("refreshing trust lists failed; retrying", error=str(error))
        except Exception:
            # Like the claim loops: a bug in one round must not end the refresh for good.
            log.exception("refreshing trust lists crashed; continuing")
        if len(due) >= LISTS_PER_ROUND:
            continue
        await wait_for_any(stop, seconds=poll_seconds)
