"""Starting the workers beside the web server (or alone, in `maillage worker`) and stopping them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog

from federation.retry import RetryPolicy
from server.processing.open_calls import sweep_deadlines
from server.services import NodeServices
from server.workers.backfill import BackfillWorker
from server.workers.delivery import DeliveryWorker
from server.workers.inbox import InboxWorker
from server.workers.retention import prune_periodically
from server.workers.suggestions import refresh_suggestions_periodically
from server.workers.trust_lists import refresh_trust_lists_periodically

log = structlog.get_logger(__name__)

STOP_TIMEOUT = 10.0


@contextlib.asynccontextmanager
async def running_workers(services: NodeServices) -> AsyncIterator[None]:
    """Run the inbox and delivery workers for the duration of the block.

    On exit, in-flight batches get STOP_TIMEOUT seconds. The delivery worker gives back what it
    claimed and did not finish (due again at once); what another worker cuts short keeps its
    lease and is taken again after the lease expires, so nothing is lost.
    """
    stop = asyncio.Event()
    settings = services.settings
    poll = settings.worker_poll_seconds
    lease = settings.delivery_lease_seconds
    inbox_worker = InboxWorker(services.pool, services.node, poll_seconds=poll, lease_seconds=lease)
    delivery_worker = DeliveryWorker(
        services.pool,
        services.fetcher,
        services.signer,
        policy=RetryPolicy(first_delay=settings.delivery_first_retry_seconds),
        poll_seconds=poll,
        lease_seconds=lease,
    )
    tasks = [
        asyncio.create_task(inbox_worker.run(stop), name="inbox-worker"),
        asyncio.create_task(delivery_worker.run(stop), name="delivery-worker"),
        asyncio.create_task(
            BackfillWorker(services.pool, services.node, poll_seconds=poll).run(stop),
            name="backfill-worker",
        ),
        # Every worker process sweeps; the sweep's UPDATE ... RETURNING closes each call once.
        asyncio.create_task(
            sweep_deadlines(services.pool, services.urls, stop), name="call-deadlines"
        ),
        # Every worker process too; each neighbour's refresh is claimed by one of them.
        asyncio.create_task(
            refresh_suggestions_periodically(
                services.pool, services.node, stop, settings.suggestions_refresh_hours * 3600
            ),
            name="suggestions-refresh",
        ),
        asyncio.create_task(
            refresh_trust_lists_periodically(
                services.pool,
                services.node,
                stop,
                settings.trust_lists_refresh_minutes * 60,
                poll,
            ),
            name="trust-lists-refresh",
        ),
        asyncio.create_task(
            prune_periodically(services.pool, stop, settings.history_days), name="history-pruning"
        ),
    ]
    try:
        yield
    finally:
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.error("worker failed", worker=task.get_name(), error=repr(task.exception()))
