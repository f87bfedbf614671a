"""Deliveries waiting for hosts the node no longer federates with, given up at once.

In limited federation mode a host no `allow` covers is refused; what was queued for it before
(the mode turned on at a start, an `allow` removed or changed, a trust list dropping a member)
would otherwise wait for the worker to fail it row by row. Each host's rows fail in one go, with
a line in the moderation log (who: `system`). Safe in several processes at once: a row fails
once, and a process that finds nothing left writes no line.
"""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import structlog

from server.storage import held_from_domain as held
from server.storage import moderation_log

log = structlog.get_logger(__name__)

WHY = "limited federation: the host is not allowed"


async def give_up_refused(pool: asyncpg.Pool, refuses: Callable[[str], bool]) -> dict[str, int]:
    """Fail every pending delivery to a host `refuses` names; how many, by host."""
    given_up: dict[str, int] = {}
    async with pool.acquire() as connection, connection.transaction():
        hosts = [host for host in await held.pending_hosts(connection) if refuses(host)]
        for host in hosts:
            count = await held.give_up_deliveries(connection, [host], WHY)
            if count:
                given_up[host] = count
                await moderation_log.record(
                    connection,
                    who="system",
                    action="deliveries.give_up",
                    target=host,
                    reason=WHY,
                    details={"deliveries": count},
                )
    if given_up:
        log.info("deliveries to refused hosts given up", hosts=given_up)
    return given_up
