"""The application factory: routes plus the resources the node lives on, set up and torn down."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.config import Settings
from server.lifecycle import open_pool
from server.routes import health

# Mastodon caps inbound activities at 1 MiB; so do we, for every request body (SECURITY.md #15).
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(database_context)
    health.add_routes(app.router)
    return app


async def database_context(app: web.Application) -> AsyncIterator[None]:
    async with open_pool(app[SETTINGS]) as pool:
        app[POOL] = pool
        yield
