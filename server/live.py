"""Fan-out of the live stream inside one web process.

Every process LISTENs on the stream channel; a NOTIFY only says "something new", and the hub then
reads the rows after the last id it delivered, so order is the table's and nothing is skipped
even if notifications are merged. Any number of processes can serve the stream of one database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import structlog

from server.listening import keep_listening
from server.storage import stream
from server.storage.stream import STREAM_CHANNEL, StreamEvent
from server.waiting import wait_for_any

log = structlog.get_logger(__name__)

QUEUE_SIZE = 1000
POLL_SECONDS = 5.0


@dataclass(eq=False)
class Subscriber:
    matches: Callable[[StreamEvent], bool]
    # None tells the reader to stop (the process is shutting down).
    queue: asyncio.Queue[StreamEvent | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )
    closed: bool = False
    # False for a subscriber of this process that only listens (the page cache), not a screen.
    reader: bool = True


@dataclass
class LiveHub:
    pool: asyncpg.Pool
    subscribers: set[Subscriber] = field(default_factory=set)
    last_id: int = 0
    # Called each time the hub's LISTEN is (re)established, i.e. the database answers again.
    on_listening: Callable[[], None] | None = None

    def subscribe(
        self, matches: Callable[[StreamEvent], bool], *, reader: bool = True
    ) -> Subscriber:
        subscriber = Subscriber(matches, reader=reader)
        self.subscribers.add(subscriber)
        return subscriber

    @property
    def readers(self) -> int:
        """Live-stream clients connected to this process now."""
        return sum(1 for subscriber in self.subscribers if subscriber.reader)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def publish(self, event: StreamEvent) -> None:
        for subscriber in list(self.subscribers):
            if not subscriber.matches(event):
                continue
            try:
                subscriber.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A screen that stopped reading must not hold memory: it reconnects with
                # Last-Event-ID and catches up from the table.
                subscriber.closed = True
                self.unsubscribe(subscriber)

    def close(self) -> None:
        """End every open stream, so a shutdown does not wait for screens to disconnect."""
        for subscriber in list(self.subscribers):
            subscriber.closed = True
            with contextlib.suppress(asyncio.QueueFull):
                subscriber.queue.put_nowait(None)
        self.subscribers.clear()

    async def catch_up(self) -> None:
        async with self.pool.acquire() as connection:
            while True:
                events = await stream.after(connection, self.last_id)
                for event in events:
                    self.publish(event)
                    self.last_id = event.id
                if len(events) < stream.REPLAY_LIMIT:
                    return

    async def run(self, stop: asyncio.Event) -> None:
        wake = asyncio.Event()
        listening = asyncio.create_task(
            keep_listening(
                self.pool,
                STREAM_CHANNEL,
                wake.set,
                stop,
                name="live-stream",
                on_listening=self.on_listening,
            ),
            name="live-stream-listener",
        )
        try:
            while not stop.is_set():
                try:
                    await self.start_from_latest()
                    break
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    log.warning("live stream cannot start yet", error=str(error))
                    await wait_for_any(wake, stop, seconds=POLL_SECONDS)
            while not stop.is_set():
                wake.clear()
                try:
                    await self.catch_up()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    log.warning("live stream catch-up failed", error=str(error))
                await wait_for_any(wake, stop, seconds=POLL_SECONDS)
        finally:
            if not stop.is_set():
                listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening

    async def start_from_latest(self) -> None:
        async with self.pool.acquire() as connection:
            self.last_id = await stream.latest_id(connection)
