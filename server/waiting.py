"""Waiting on whichever of several events comes first, with a time limit."""

from __future__ import annotations

import asyncio


async def wait_for_any(*events: asyncio.Event, seconds: float) -> None:
    """Return when one of `events` is set or after `seconds`, whichever comes first."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
