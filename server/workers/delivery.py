"""Outbound delivery: claim due rows host by host, sign at send time, POST, record the outcome.

Fairness: each host gets its own few leased rows (`outbox.claim_due`) and its own concurrency
(`pacing.HostPace`), and the worker claims again as soon as deliveries finish, so a slow or
failing host holds only its own rows while the others go on at their pace.
"""

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
    RefusedHost,
    SafeFetcher,
)
from federation.retry import (
    HostPausePolicy,
    Outcome,
    RetryPolicy,
    classify_failure,
    classify_response,
)
from server.database import DbConnection
from server.processing import follow_requests
from server.processing.signing import RequestSigner
from server.storage import outbox, remote_hosts
from server.storage.outbox import DELIVERY_CHANNEL, Delivery
from server.workers.loop import run_claim_loop
from server.workers.pacing import HostPace

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
# After deliveries finish, claim again at most this often; with none finished, this often (rows
# may have become due, or been published, while others were in flight).
CLAIM_INTERVAL = 0.02
RECLAIM_SECONDS = 0.25
# On a stop, requests already sent get this long to be answered; the rest are given back.
STOP_GRACE = 5.0
ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass
class DeliveryWorker:
    pool: asyncpg.Pool
    fetcher: SafeFetcher
    signer: RequestSigner
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    pauses: HostPausePolicy = field(default_factory=HostPausePolicy)
    batch_size: int = 200
    lease_seconds: float = 120.0
    per_host_connections: int = 4  # where a host's adaptive concurrency starts
    max_per_host_connections: int = 8  # the fetcher's connections per host
    poll_seconds: float = 2.0
    # Deliveries in progress at once: the fetcher's connection limit, so none waits for a
    # connection inside its deadline.
    max_in_flight: int = MAX_CONNECTIONS
    stop_grace: float = STOP_GRACE
    _paces: dict[str, HostPace] = field(default_factory=dict)
    _delivered: list[tuple[int, int, str]] = field(default_factory=list)
    _delivered_since: float = 0.0
    _flush_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _unfinished: set[int] = field(default_factory=set)  # claimed, outcome not yet recorded
    _sending: set[int] = field(default_factory=set)  # of those, the ones whose POST is out
    _claim_cursor: str = ""

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        await run_claim_loop(
            self.pool, DELIVERY_CHANNEL, self.run_batch, stop, self.poll_seconds, "delivery"
        )

    def pace(self, host: str) -> HostPace:
        pace = self._paces.get(host)
        if pace is None:
            pace = self._paces[host] = HostPace(
                float(self.per_host_connections), float(self.max_per_host_connections)
            )
        return pace

    async def claim(self, room: int) -> list[Delivery]:
        depths = {host: pace.depth for host, pace in self._paces.items()}
        async with self.pool.acquire() as connection:
            due = await outbox.claim_due(
                connection,
                room,
                self.lease_seconds,
                2 * self.per_host_connections,
                depths,
                self._claim_cursor,
            )
        # A claim cut short by its limit: the next one goes on from there, round the hosts.
        self._claim_cursor = max(d.host for d in due) if due and len(due) == room else ""
        self._unfinished.update(delivery.id for delivery in due)
        return due

    async def run_batch(self) -> int:
        """Claim and deliver until nothing is due and nothing is in flight (or a stop), claiming
        again whenever deliveries finish. Returns how many were claimed."""
        loop = asyncio.get_running_loop()
        in_flight: set[asyncio.Task[None]] = set()
        bodies: dict[int, bytes] = {}  # each activity serialised once, not once per inbox
        stopping = asyncio.create_task(self.stopped())
        handled = 0
        last_claim = -RECLAIM_SECONDS
        finished_since_claim = True
        try:
            while not self._stop.is_set():
                room = min(self.batch_size, self.max_in_flight - len(in_flight))
                since = loop.time() - last_claim
                if room > 0 and (
                    not in_flight
                    or (finished_since_claim and since >= CLAIM_INTERVAL)
                    or since >= RECLAIM_SECONDS
                ):
                    # Successes not yet recorded still hold their leases, which count against
                    # their host's depth: record them first.
                    await self.flush_delivered(force=True)
                    due = await self.claim(room)
                    last_claim, finished_since_claim = loop.time(), False
                    handled += len(due)
                    for delivery in due:
                        body = bodies.get(delivery.outbox_id)
                        if body is None:
                            body = bodies[delivery.outbox_id] = serialise(delivery)
                        in_flight.add(
                            asyncio.create_task(
                                self.deliver_one(delivery, body),
                                name=delivery_task_name(delivery.id),
                            )
                        )
                if not in_flight:
                    break
                wait = (CLAIM_INTERVAL if finished_since_claim else RECLAIM_SECONDS) - (
                    loop.time() - last_claim
                )
                done, in_flight = await asyncio.wait(
                    in_flight | {stopping},
                    timeout=max(wait, 0.001),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                in_flight.discard(stopping)
                for task in done - {stopping}:
                    finished_since_claim = True
                    task.result()
                await self.flush_delivered(force=False)
            if in_flight:
                await self.wind_down(in_flight)
                in_flight = set()
        except BaseException:
            # Cut short (cancelled, a database failure): what is unfinished is given back at
            # once (or, if the database cannot be reached, its lease expires); the 2xx already
            # seen are still recorded.
            await self.abandon(in_flight)
            raise
        finally:
            stopping.cancel()
        await self.flush_delivered(force=True)
        return handled

    async def stopped(self) -> None:
        await self._stop.wait()

    async def wind_down(self, in_flight: set[asyncio.Task[None]]) -> None:
        """On a stop: let the requests already sent be answered and recorded (for `stop_grace`
        at most), give back the rest."""
        sending = {delivery_task_name(delivery_id) for delivery_id in self._sending}
        for task in in_flight:
            if task.get_name() not in sending:
                task.cancel()
        finished, unanswered = await asyncio.wait(in_flight, timeout=self.stop_grace)
        for task in finished:
            if not task.cancelled() and task.exception() is not None:
                log.warning("delivery failed while stopping", error=repr(task.exception()))
        await self.abandon(unanswered)

    async def abandon(self, in_flight: set[asyncio.Task[None]]) -> None:
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        with contextlib.suppress(*ERRORS):
            await self.flush_delivered(force=True)
        unfinished, self._unfinished = sorted(self._unfinished), set()
        self._sending.clear()
        if unfinished:
            with contextlib.suppress(*ERRORS):
                async with self.pool.acquire() as connection:
                    await outbox.release(connection, unfinished)
                log.info("deliveries given back", count=len(unfinished))

    async def deliver_one(self, delivery: Delivery, body: bytes | None = None) -> None:
        if body is None:
            body = serialise(delivery)
        pace = self.pace(delivery.host)
        try:
            async with pace.slot():
                # From here on, a stop waits (for `stop_grace`) for the answer and its record.
                self._sending.add(delivery.id)
                started = time.monotonic()
                outcome, status = await self.attempt(delivery, body)
            if outcome.action == "done":
                pace.answered(time.monotonic() - started)
            elif outcome.throttled or outcome.host_down or status == 429:
                pace.pushed_back()
            await self.record(delivery, outcome, status)
        finally:
            self._sending.discard(delivery.id)

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
        except RefusedHost as error:
            # The node's moderation (a suspended domain, limited federation) refuses the host:
            # permanent too, until a moderator changes the policy.
            return Outcome("give_up", reason=f"refused by a domain policy: {error}"), None
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
            self._unfinished.difference_update(row_id for row_id, _, _ in taken)

    async def record(self, delivery: Delivery, outcome: Outcome, status: int | None) -> None:
        if outcome.action == "done":
            # Only after a 2xx; written by the next flush, with the others of the batch.
            if not self._delivered:
                self._delivered_since = time.monotonic()
            self._delivered.append((delivery.id, status or 200, delivery.host))
            return
        # Successes seen before this failure are recorded first, so that the host's state sees
        # them in the order they happened.
        await self.flush_delivered(force=True)
        async with self.pool.acquire() as connection, connection.transaction():
            await self.record_failure(connection, delivery, outcome, status)
        self._unfinished.discard(delivery.id)
        log.info(
            "delivery not done",
            inbox=delivery.inbox_url,
            action=outcome.action,
            reason=outcome.reason,
            attempts=delivery.attempts,
            probe=delivery.probe,
        )

    async def record_failure(
        self,
        connection: DbConnection,
        delivery: Delivery,
        outcome: Outcome,
        status: int | None,
    ) -> None:
        if outcome.throttled:
            await outbox.schedule_retry(
                connection, delivery.id, outcome.delay, status, outcome.reason, count_attempt=False
            )
            await remote_hosts.record_throttle(connection, delivery.host, outcome.delay)
            return
        if not outcome.host_down:
            # It answered: if a streak of failures ran, it is over and its backlog is due (this
            # delivery's own retry, written next, keeps its delay).
            await remote_hosts.close_circuit(connection, delivery.host)
        if outcome.action == "retry":
            if delivery.early and outcome.host_down:
                # A probe taken before its time: it keeps its own schedule and attempt count.
                await outbox.schedule_retry(
                    connection, delivery.id, None, status, outcome.reason, count_attempt=False
                )
            else:
                await outbox.schedule_retry(
                    connection, delivery.id, outcome.delay, status, outcome.reason
                )
        else:
            await outbox.give_up(connection, delivery.id, status, outcome.reason)
            if outcome.action == "gone":
                await follow_requests.inbox_gone(connection, delivery.inbox_url)
        if not outcome.host_down:
            return
        counted = await remote_hosts.record_host_down(
            connection, delivery.host, self.pauses.pause_after
        )
        if counted:
            await outbox.fail_due_of_host(
                connection, delivery.host, self.policy, status, outcome.reason
            )


def delivery_task_name(delivery_id: int) -> str:
    return f"delivery-{delivery_id}"


def serialise(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False).encode()
