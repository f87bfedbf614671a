"""The embedded PostgreSQL is sized for a 1 GB machine, and an operator's own settings stay."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from server.database import EmbeddedPostgres


async def shown(dsn: str, name: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return str(await connection.fetchval(f"SHOW {name}"))
    finally:
        await connection.close()


async def test_small_machine_settings_and_an_operators_change_survives(node_dir: Path) -> None:
    embedded = EmbeddedPostgres(node_dir)
    target = embedded.start()
    try:
        assert await shown(target.dsn, "max_wal_size") == "256MB"
        assert await shown(target.dsn, "jit") == "off"
        assert await shown(target.dsn, "work_mem") == "4MB"
        connection = await asyncpg.connect(target.dsn)
        try:
            await connection.execute("ALTER SYSTEM SET work_mem = '16MB'")
        finally:
            await connection.close()
    finally:
        embedded.stop()
    again = EmbeddedPostgres(node_dir)
    target = again.start()
    try:
        assert await shown(target.dsn, "work_mem") == "16MB"
        assert await shown(target.dsn, "effective_cache_size") == "512MB"
    finally:
        again.stop()
