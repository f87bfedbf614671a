"""Outbound delivery: claim due rows, sign at send time, POST, record the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import structlog

from federation.fetcher import (
    MAX_CONNECTIONS,
    BadUrl,
    FetchError,
    ForbiddenAddress,
    ForbiddenUrl,
    PostResponse,
    SafeFetcher,
)
from federation.retry import Outcome, RetryPolicy, classify_failure, classify_response
from server.processing import follow_requests
from server.processing.signing import RequestSigner
from server.storage import outbox, remote_hosts
from server.storage.outbox import DELIVERY_CHANNEL, Delivery
from server.workers.loop import run_claim_loop

log = structlog.get_logger(__name__)


# Successes are marked done in bulk: when this many wait, or the oldest has waited this long.
DONE_FLUSH_SIZE = 64
DONE_FLUSH_SECONDS = 0.05
# A host whose scheme is not known yet is offered RFC 9421 first; these answers to it mean
# "not this scheme" (Fedify answers 401, others 400 or 403), and draft-cavage is tried at once.
FIRST_KNOCK = "rfc9421"
FALLBACK = "draft-cavage-http-signatures-12"
REFUSALS_OF_A_SCHEME = frozenset({400, 401, 403})
# What the fetcher refuses before connecting, or on seeing the connected address: permanent.
REFUSED_BY_GUARD = (ForbiddenAddress, ForbiddenUrl, BadUrl)


@dataclass
class DeliveryWorker:
    pool: asyncpg.Pool
    fetcher: SafeFetcher
    signer: RequestSigner
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    batch_size: int = 200
    lease_seconds: float = 120.0
    per_host_connections: int = 4
    poll_seconds: float = 2.0
    # Deliveries in progress at once: the fetcher's connection limit, so none waits for a
    # connection inside its deadline; more are claimed as soon as half of these are done.
    max_in_flight: int = MAX_CONNECTIONS
    claims_per_batch: int = 20
    _host_limits: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _delivered: list[tuple[int, int, str]] = field(default_factory=list)
    _delivered_since: float = 0.0
    _flush_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def run(self, stop: asyncio.Event) -> None:
        await run_claim_loop(
            self.pool, DELIVERY_CHANNEL, self.run_batch, stop, self.poll_seconds, "delivery"
        )

    async def run_batch(self) -> int:
        """Claim due deliveries and keep the pipeline full: whenever half of those in flight are
        done, claim more, up to `claims_per_batch` claims (so that a stop is seen between
        batches). Returns how many were claimed."""
        in_flight: set[asyncio.Task[None]] = set()
        bodies: dict[int, bytes] = {}  # each activity serialised once, not once per inbox
        handled = 0
        try:
            for _ in range(self.claims_per_batch):
                room = min(self.batch_size, self.max_in_flight - len(in_flight))
                due: list[Delivery] = []
                if room > 0:
                    async with self.pool.acquire() as connection:
                        due = await outbox.claim_due(connection, room, self.lease_seconds)
                handled += len(due)
                for delivery in due:
                    body = bodies.get(delivery.outbox_id)
                    if body is None:
                        body = bodies[delivery.outbox_id] = serialise(delivery)
                    in_flight.add(asyncio.create_task(self.deliver_one(delivery, body)))
                if not in_flight:
                    break
                # A full claim means more may be due: claim again once half are done. Otherwise
                # wait for them all, looking again for newly due rows every `poll_seconds`.
                full = room > 0 and len(due) == room
                in_flight = await self.wait_in_flight(in_flight, full)
                if not in_flight and not full:
                    break
        except BaseException:
            # Cut short (a stop, a database failure): what is unfinished keeps its lease and is
            # delivered again once it expires; the 2xx already seen are still recorded.
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await self.flush_delivered(force=True)
            raise
        if in_flight:
            await asyncio.gather(*in_flight)
        await self.flush_delivered(force=True)
        return handled

    async def wait_in_flight(
        self, in_flight: set[asyncio.Task[None]], full: bool
    ) -> set[asyncio.Task[None]]:
        """Let deliveries finish (recording successes as they come) until half of the maximum
        are in flight after a full claim, or all are done or `poll_seconds` passed otherwise."""
        loop = asyncio.get_running_loop()
        look_again_at = loop.time() + self.poll_seconds
        refill_at = self.max_in_flight // 2
        while in_flight and (len(in_flight) > refill_at if full else loop.time() < look_again_at):
            done, in_flight = await asyncio.wait(
                in_flight, timeout=DONE_FLUSH_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                task.result()
            await self.flush_delivered(force=False)
        return in_flight

    def host_limit(self, host: str) -> asyncio.Semaphore:
        if host not in self._host_limits:
            self._host_limits[host] = asyncio.Semaphore(self.per_host_connections)
        return self._host_limits[host]

    async def deliver_one(self, delivery: Delivery, body: bytes | None = None) -> None:
        if body is None:
            body = serialise(delivery)
        async with self.host_limit(delivery.host):
            outcome, status = await self.attempt(delivery, body)
        await self.record(delivery, outcome, status)

    async def attempt(self, delivery: Delivery, body: bytes) -> tuple[Outcome, int | None]:
        try:
            scheme = delivery.signature_scheme
            response = await self.post(delivery, body, scheme or FIRST_KNOCK)
            if scheme is None:
                learnt = FIRST_KNOCK
                if response.status in REFUSALS_OF_A_SCHEME:
                    response = await self.post(delivery, body, FALLBACK)
                    learnt = FALLBACK
                if 200 <= response.status < 300:
                    async with self.pool.acquire() as connection:
                        await remote_hosts.remember_signature_scheme(
                            connection, delivery.host, learnt
                        )
        except REFUSED_BY_GUARD as error:
            # The address guard refuses this inbox (private address, plain http, our own
            # origin, a bad URL): no retry can change that, so it fails now, not in three days.
            return Outcome("give_up", reason=f"refused by the address guard: {error}"), None
        except FetchError as error:
            return classify_failure(str(error), delivery.attempts, self.policy), None
        outcome = classify_response(
            response.status,
            response.headers.get("Retry-After"),
            delivery.attempts,
            self.policy,
            datetime.now(UTC),
        )
        return outcome, response.status

    async def post(self, delivery: Delivery, body: bytes, scheme: str) -> PostResponse:
        headers = await self.signer.sign_post(delivery.actor_name, delivery.inbox_url, body, scheme)
        return await self.fetcher.post(delivery.inbox_url, body, headers)

    async def flush_delivered(self, *, force: bool) -> None:
        """Mark the deliveries answered 2xx done (and their hosts alive), in one statement."""
        if not self._delivered:
            return
        if not force and (
            len(self._delivered) < DONE_FLUSH_SIZE
            and time.monotonic() - self._delivered_since < DONE_FLUSH_SECONDS
        ):
            return
        async with self._flush_lock:
            taken, self._delivered = self._delivered, []
            if not taken:
                return
            try:
                async with self.pool.acquire() as connection:
                    await outbox.mark_all_delivered(connection, taken)
            except BaseException:
                # Not recorded: kept for the next flush (and, should the process die, the lease
                # expires and they are delivered again: at least once, never marked unsent).
                self._delivered = taken + self._delivered
                raise

    async def record(self, delivery: Delivery, outcome: Outcome, status: int | None) -> None:
        if outcome.action == "done":
            # Only after a 2xx; written by the next flush, with the others of the batch.
            if not self._delivered:
                self._delivered_since = time.monotonic()
            self._delivered.append((delivery.id, status or 200, delivery.host))
            return
        # Successes seen before this failure are recorded first, so the host's failure count
        # sees them in the order they happened.
        await self.flush_delivered(force=True)
        async with self.pool.acquire() as connection, connection.transaction():
            if outcome.action == "retry":
                await outbox.schedule_retry(
                    connection, delivery.id, outcome.delay, status, outcome.reason
                )
                await remote_hosts.record_failure(
                    connection,
                    delivery.host,
                    self.policy.circuit_threshold,
                    self.policy.circuit_first_open,
                    self.policy.circuit_max_open,
                )
            else:
                await outbox.give_up(connection, delivery.id, status, outcome.reason)
                if outcome.action == "gone":
                    await follow_requests.inbox_gone(connection, delivery.inbox_url)
        log.info(
            "delivery not done",
            inbox=delivery.inbox_url,
            action=outcome.action,
            reason=outcome.reason,
            attempts=delivery.attempts,
        )


def serialise(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False).encode()
