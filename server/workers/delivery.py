"""Outbound delivery: claim due rows, sign at send time, POST, record the outcome."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import structlog

from federation.fetcher import FetchError, SafeFetcher
from federation.retry import Outcome, RetryPolicy, classify_failure, classify_response
from server.processing.signing import RequestSigner
from server.storage import outbox, remote_actors, remote_hosts
from server.storage.outbox import DELIVERY_CHANNEL, Delivery
from server.workers.loop import run_claim_loop

log = structlog.get_logger(__name__)


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
    _host_limits: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event) -> None:
        await run_claim_loop(
            self.pool, DELIVERY_CHANNEL, self.run_batch, stop, self.poll_seconds, "delivery"
        )

    async def run_batch(self) -> int:
        async with self.pool.acquire() as connection:
            due = await outbox.claim_due(connection, self.batch_size, self.lease_seconds)
        await asyncio.gather(*(self.deliver_one(delivery) for delivery in due))
        return len(due)

    def host_limit(self, host: str) -> asyncio.Semaphore:
        if host not in self._host_limits:
            self._host_limits[host] = asyncio.Semaphore(self.per_host_connections)
        return self._host_limits[host]

    async def deliver_one(self, delivery: Delivery) -> None:
        body = json.dumps(delivery.payload, ensure_ascii=False).encode()
        async with self.host_limit(delivery.host):
            outcome, status = await self.attempt(delivery, body)
        await self.record(delivery, outcome, status)

    async def attempt(self, delivery: Delivery, body: bytes) -> tuple[Outcome, int | None]:
        try:
            async with self.pool.acquire() as connection:
                scheme = await remote_hosts.signature_scheme(connection, delivery.host)
            headers = await self.signer.sign_post(
                delivery.actor_name, delivery.inbox_url, body, scheme
            )
            response = await self.fetcher.post(delivery.inbox_url, body, headers)
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

    async def record(self, delivery: Delivery, outcome: Outcome, status: int | None) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            if outcome.action == "done":
                await outbox.mark_delivered(connection, delivery.id, status or 200)
                await remote_hosts.record_success(connection, delivery.host)
                return
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
                    await remote_actors.mark_gone_by_inbox(connection, delivery.inbox_url)
        log.info(
            "delivery not done",
            inbox=delivery.inbox_url,
            action=outcome.action,
            reason=outcome.reason,
            attempts=delivery.attempts,
        )
