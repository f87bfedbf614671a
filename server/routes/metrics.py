"""`/metrics` for Prometheus, behind a bearer token (off without one)."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg
from aiohttp import web

from server.appkeys import LIVE, METRICS, SERVICES, SETTINGS
from server.database import DbConnection, database_unreachable
from server.storage import outbox, queues

if TYPE_CHECKING:
    from server.metrics.registry import NodeMetrics


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/metrics", metrics)


async def metrics(request: web.Request) -> web.Response:
    token = request.app[SETTINGS].metrics_token
    if token is None:
        raise web.HTTPNotFound(text="metrics are off: set metrics_token to read them")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise web.HTTPUnauthorized(
            text="metrics need the bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    registry = request.app[METRICS]
    pool = request.app[SERVICES].pool
    registry.pool_size.set(pool.get_size())
    registry.pool_in_use.set(pool.get_size() - pool.get_idle_size())
    registry.stream_clients.set(request.app[LIVE].readers)
    try:
        async with pool.acquire() as connection:
            await read_queues(connection, registry)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        if not database_unreachable(error):
            raise
        # The HTTP figures still tell what the node does while its database is away.
    return web.Response(
        body=generate_latest(registry.registry),
        headers={"Content-Type": CONTENT_TYPE_LATEST},
    )


async def read_queues(connection: DbConnection, registry: NodeMetrics) -> None:
    from server.metrics.registry import TOP_HOSTS

    backlog = await queues.inbox_backlog(connection)
    registry.inbox_pending.set(backlog.pending)
    registry.inbox_lag.set(backlog.oldest_seconds)
    hosts = await outbox.delivery_state_by_host(connection)
    registry.deliveries_pending.clear()
    registry.deliveries_failed.clear()
    registry.host_failure_streak.clear()
    worst = sorted(hosts, key=lambda state: (state.pending, state.failed), reverse=True)
    for state in worst[:TOP_HOSTS]:
        registry.deliveries_pending.labels(state.host).set(state.pending)
        registry.deliveries_failed.labels(state.host).set(state.failed)
    rest = worst[TOP_HOSTS:]
    if rest:
        registry.deliveries_pending.labels("other").set(sum(state.pending for state in rest))
        registry.deliveries_failed.labels("other").set(sum(state.failed for state in rest))
    now = datetime.now(UTC)
    registry.circuits_open.set(
        sum(1 for state in hosts if state.circuit_open_until and state.circuit_open_until > now)
    )
    for state in hosts[: TOP_HOSTS * 5]:
        if state.consecutive_failures:
            registry.host_failure_streak.labels(state.host).set(state.consecutive_failures)
