"""Opening a node's database: embedded or external, pool, migrations."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from server.config import Settings
from server.database import connect_with_retry, database_target
from server.migrations import migrate


@contextlib.asynccontextmanager
async def open_pool(
    settings: Settings, *, apply_migrations: bool = True
) -> AsyncIterator[asyncpg.Pool]:
    """A migrated pool onto the node's database; on exit it closes and any embedded server stops."""
    async with database_target(settings.database_url, settings.data_dir) as target:
        pool = await connect_with_retry(
            target, settings.db_connect_deadline, settings.db_pool_min, settings.db_pool_max
        )
        try:
            if apply_migrations:
                async with pool.acquire() as connection:
                    await migrate(connection)
            yield pool
        finally:
            await pool.close()
