"""Database fixtures on a real PostgreSQL.

By default the tests start one embedded PostgreSQL (pgserver) for the session; with DATABASE_URL set
they use that server instead, creating their databases on it. Each test that asks for a database
gets a fresh one, copied from a template that was migrated once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from server.database import EmbeddedPostgres, with_database
from server.migrations import migrate
from tests.network import LoopbackNetwork, loopback_network


@pytest.fixture(scope="session")
def open_temp_root() -> Iterator[Path]:
    """A temporary folder other users can enter.

    pytest's own temporary folders are private (0700); an embedded PostgreSQL started by root
    runs as the `pgserver` user, which must be able to reach its data directory.
    """
    root = Path(tempfile.mkdtemp(prefix="maillage-tests-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server_dsn(open_temp_root: Path) -> Iterator[str]:
    """A DSN on which the tests may create and drop databases."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    embedded = EmbeddedPostgres(open_temp_root / "embedded-postgres")
    target = embedded.start()
    try:
        yield with_database(target.dsn, "postgres")
    finally:
        embedded.stop()


async def create_database(server_dsn: str, name: str, template: str | None = None) -> str:
    connection = await asyncpg.connect(server_dsn)
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        await connection.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await connection.close()
    return with_database(server_dsn, name)


async def drop_database(server_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(server_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def template_database(postgres_server_dsn: str) -> AsyncIterator[str]:
    name = unique_name("maillage_template")
    dsn = await create_database(postgres_server_dsn, name)
    connection = await asyncpg.connect(dsn)
    try:
        await migrate(connection)
    finally:
        await connection.close()
    yield name
    await drop_database(postgres_server_dsn, name)


@pytest_asyncio.fixture(loop_scope="session")
async def database_url(postgres_server_dsn: str, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    name = unique_name("maillage_test")
    dsn = await create_database(postgres_server_dsn, name, template=template_database)
    yield dsn
    await drop_database(postgres_server_dsn, name)


@pytest_asyncio.fixture(loop_scope="session")
async def empty_database_url(postgres_server_dsn: str) -> AsyncIterator[str]:
    """A fresh database with no schema at all."""
    name = unique_name("maillage_empty")
    dsn = await create_database(postgres_server_dsn, name)
    yield dsn
    await drop_database(postgres_server_dsn, name)


@pytest_asyncio.fixture(loop_scope="session")
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest_asyncio.fixture(loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on the test's database, for code that takes one (workers, the writer)."""
    created = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
def node_dir(open_temp_root: Path) -> Path:
    """A node's data directory, where an embedded PostgreSQL may run."""
    folder = Path(tempfile.mkdtemp(prefix="node-", dir=open_temp_root))
    folder.chmod(0o755)
    return folder / "node"


@pytest_asyncio.fixture(loop_scope="session")
async def database_factory(
    postgres_server_dsn: str, template_database: str
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes as many fresh migrated databases as a test needs (one per node of a network)."""
    made: list[str] = []

    async def make() -> str:
        name = unique_name("maillage_node")
        made.append(name)
        return await create_database(postgres_server_dsn, name, template=template_database)

    yield make
    for name in made:
        await drop_database(postgres_server_dsn, name)


@pytest_asyncio.fixture(loop_scope="session")
async def network(
    tmp_path: Path, database_factory: Callable[[], Awaitable[str]]
) -> AsyncIterator[LoopbackNetwork]:
    async with loopback_network(tmp_path, database_factory) as made:
        yield made
