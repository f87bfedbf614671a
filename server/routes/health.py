"""Liveness and readiness probes for process supervisors and load balancers."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web

from server.appkeys import SERVICES
from server.migrations import MigrationError, migration_status

READINESS_TIMEOUT = 5.0


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/healthz", healthz)
    router.add_get("/readyz", readyz)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """200 when the database answers and its schema is the one this code expects."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT):
            async with request.app[SERVICES].pool.acquire() as connection:
                status = await migration_status(connection)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return not_ready(f"database unreachable: {type(error).__name__}")
    except MigrationError as error:
        return not_ready(str(error))
    if not status.current:
        pending = ", ".join(f"{version:04d}" for version in status.pending)
        return not_ready(f"migrations pending: {pending}")
    return web.json_response({"status": "ready", "migrations": status.applied[-1:]})


def not_ready(reason: str) -> web.Response:
    return web.json_response({"status": "not ready", "reason": reason}, status=503)
