"""A claim-and-process loop woken by LISTEN/NOTIFY, with a poll as the safety net."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from server.waiting import wait_for_any

log = structlog.get_logger(__name__)


async def run_claim_loop(
    pool: asyncpg.Pool,
    channel: str,
    run_batch: Callable[[], Awaitable[int]],
    stop: asyncio.Event,
    poll_seconds: float,
    name: str,
) -> None:
    """Run `run_batch` until it finds nothing, then wait for a notification, the poll, or stop.

    A notification only wakes the loop early: correctness rests on the rows, so a missed
    notification (a restart, another process) costs at most `poll_seconds` of latency.
    """
    wake = asyncio.Event()

    def on_notify(*_: object) -> None:
        wake.set()

    async with pool.acquire() as listener:
        await listener.add_listener(channel, on_notify)
        try:
            while not stop.is_set():
                wake.clear()
                try:
                    handled = await run_batch()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    log.warning("worker batch failed; retrying", worker=name, error=str(error))
                    handled = 0
                except Exception:
                    # A bug in one batch must not end the worker for the life of the process:
                    # the claimed rows keep their lease and are taken again once it expires.
                    log.exception("worker batch crashed; continuing", worker=name)
                    handled = 0
                if handled:
                    continue
                await wait_for_any(wake, stop, seconds=poll_seconds)
        finally:
            with contextlib.suppress(OSError, asyncpg.InterfaceError):
                await listener.remove_listener(channel, on_notify)
