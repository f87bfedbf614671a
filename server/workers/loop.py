"""A claim-and-process loop woken by LISTEN/NOTIFY, with a poll as the safety net."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from server.listening import keep_listening
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
    notification (another process, the database restarting) costs at most `poll_seconds` of
    latency; the LISTEN itself is made again after a database restart (server.listening).
    """
    wake = asyncio.Event()
    listening = asyncio.create_task(
        keep_listening(pool, channel, wake.set, stop, name=name), name=f"{name}-listener"
    )
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
        if not stop.is_set():
            listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
