"""A LISTEN that survives database restarts.

A LISTEN lives on one connection: when PostgreSQL restarts, that connection is closed and the
notifications stop for good unless someone listens again. `keep_listening` holds the LISTEN on a
connection of the pool, notices when the connection ends (asyncpg's termination listener, and
a periodic `SELECT 1` for a connection that died without a word), and listens again on a new
connection with a short backoff, so that a node is back to its normal latency within about a
second of the database coming back.

Each time it (re)starts listening it calls `on_notify` once: what was notified while nobody
listened is then read from the tables, since a notification only says "look again".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import structlog

from server.database import DbConnection, backoff_delays
from server.waiting import wait_for_any

log = structlog.get_logger(__name__)

# Short: the database is usually back within seconds, and each missed second is a second of
# delay for processing, delivery and the live stream. The jitter spreads many processes out.
RECONNECT_FIRST_DELAY = 0.1
RECONNECT_MAX_DELAY = 1.0
# A connection whose peer vanished without closing it (a network cut) raises nothing until
# it is used: this is how often the idle listener is used.
CHECK_SECONDS = 30.0
CHECK_TIMEOUT_SECONDS = 5.0

LISTEN_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def keep_listening(
    pool: asyncpg.Pool,
    channel: str,
    on_notify: Callable[[], None],
    stop: asyncio.Event,
    *,
    name: str,
    on_listening: Callable[[], None] | None = None,
) -> None:
    """LISTEN on `channel` until `stop`, calling `on_notify` for each notification.

    `on_listening` is called each time the LISTEN is (re)established: the database answers.
    """
    await Listener(pool, channel, on_notify, name, on_listening).run(stop)


@dataclass
class Listener:
    pool: asyncpg.Pool
    channel: str
    on_notify: Callable[[], None]
    name: str
    on_listening: Callable[[], None] | None
    listened: bool = False  # since the last failure

    async def run(self, stop: asyncio.Event) -> None:
        next_delay = backoff_delays(RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY)
        lost_before = False
        while not stop.is_set():
            self.listened = False
            try:
                await self.listen_once(stop, lost_before)
            except LISTEN_ERRORS as error:
                # One warning per outage, not one per attempt.
                report = log.warning if self.listened or not lost_before else log.debug
                report(
                    "listener connection lost; listening again soon",
                    listener=self.name,
                    channel=self.channel,
                    error=str(error) or type(error).__name__,
                )
            if stop.is_set():
                return
            if self.listened:  # a new outage: start again from the shortest delay
                next_delay = backoff_delays(RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY)
            lost_before = True
            await wait_for_any(stop, seconds=next_delay())

    async def listen_once(self, stop: asyncio.Event, lost_before: bool) -> None:
        """Listen on one connection until `stop` (return) or until it ends (raise)."""
        ended = asyncio.Event()

        def on_end(*_: object) -> None:
            ended.set()

        def notified(*_: object) -> None:
            self.on_notify()

        async with self.pool.acquire() as connection:
            connection.add_termination_listener(on_end)
            try:
                await connection.add_listener(self.channel, notified)
                self.listened = True
                if lost_before:
                    log.info("listening again", listener=self.name, channel=self.channel)
                self.on_notify()
                if self.on_listening is not None:
                    self.on_listening()
                await watch(connection, ended, stop)
            finally:
                # A closed connection has already gone back to the pool, which then refuses
                # any call on it: there is nothing left to remove.
                with contextlib.suppress(*LISTEN_ERRORS):
                    connection.remove_termination_listener(on_end)
                    await connection.remove_listener(self.channel, notified)


async def watch(connection: DbConnection, ended: asyncio.Event, stop: asyncio.Event) -> None:
    """Return when `stop` is set; raise when the connection has ended."""
    while True:
        await wait_for_any(ended, stop, seconds=CHECK_SECONDS)
        if stop.is_set():
            return
        if ended.is_set() or connection.is_closed():
            raise asyncpg.InterfaceError("connection is closed")
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await connection.execute("SELECT 1")
