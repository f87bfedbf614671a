"""Where the node's PostgreSQL is, and the asyncpg pool onto it.

Without DATABASE_URL the node runs an embedded PostgreSQL (the `pgserver` package ships the
binaries) inside its data directory, so `pip install` plus one command gives a working node.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import stat
import time
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urlsplit

import asyncpg
import structlog
from asyncpg.pool import PoolConnectionProxy

log = structlog.get_logger(__name__)

EMBEDDED_DATABASE = "maillage"
# The embedded PostgreSQL is sized for a 1 GB machine (a Raspberry Pi, a small VPS). Written once
# with ALTER SYSTEM, only where postgresql.auto.conf has no value yet, so an operator's own
# ALTER SYSTEM stays. shared_buffers (128MB) and max_connections (100) keep PostgreSQL's defaults,
# which already suit that size. README: "Running in production" says what to raise.
EMBEDDED_SETTINGS = {
    "effective_cache_size": "512MB",
    "work_mem": "4MB",
    "maintenance_work_mem": "64MB",
    "max_wal_size": "256MB",
    "min_wal_size": "64MB",
    "jit": "off",
}
RETRY_FIRST_DELAY = 0.5
RETRY_MAX_DELAY = 8.0


class DatabaseUnavailable(Exception):
    """The database could not be reached within the configured deadline."""


@dataclass(frozen=True)
class DatabaseTarget:
    """A database to connect to, with a description that never carries the password."""

    dsn: str

    @property
    def description(self) -> str:
        return describe_dsn(self.dsn)


def describe_dsn(dsn: str) -> str:
    """`database "name" on host:port` (or on the socket folder), never with the password."""
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or ["local socket"])[0]
    port = f":{parts.port}" if parts.port else ""
    database = parts.path.lstrip("/") or (query.get("dbname") or ["(default)"])[0]
    return f'database "{database}" on {host}{port}'


def with_database(dsn: str, database: str) -> str:
    """The same server as `dsn`, another database on it."""
    parts = urlsplit(dsn)
    return parts._replace(path="/" + database).geturl()


class EmbeddedPostgres:
    """A PostgreSQL cluster living in `<data_dir>/postgres`, started and stopped by this process.

    pgserver counts the processes using one cluster and only stops it when the last one leaves,
    so a web process and a worker may share a data directory.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "postgres"
        self._server: Any = None

    def start(self) -> DatabaseTarget:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        check_reachable_by_postgres_user(self.pgdata.parent)
        with warnings.catch_warnings():
            # pgserver asks platformdirs for a runtime folder, which warns when XDG_RUNTIME_DIR
            # is unset (as under systemd services and in CI) and then falls back correctly.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from pgserver.postgres_server import get_server  # late: only the embedded path

            self._server = get_server(self.pgdata, cleanup_mode="stop")
        self._server.psql(
            f"SELECT 'CREATE DATABASE {EMBEDDED_DATABASE}' "
            f"WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}')"
            "\\gexec"
        )
        self._server.psql(small_machine_settings_sql())
        return DatabaseTarget(with_database(self._server.get_uri(), EMBEDDED_DATABASE))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def small_machine_settings_sql() -> str:
    """psql input that sets each of EMBEDDED_SETTINGS not set yet in postgresql.auto.conf, then
    reloads the configuration."""
    statements = [
        "SELECT " + quote(f"ALTER SYSTEM SET {name} = {quote(value)}") + " WHERE NOT EXISTS ("
        f"SELECT 1 FROM pg_file_settings WHERE name = {quote(name)} "
        "AND sourcefile LIKE '%postgresql.auto.conf')\\gexec"
        for name, value in EMBEDDED_SETTINGS.items()
    ]
    return "\n".join([*statements, "SELECT pg_reload_conf();"])


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def check_reachable_by_postgres_user(folder: Path) -> None:
    """PostgreSQL refuses to run as root, so under root pgserver runs it as a `pgserver` system
    user, which must be able to enter every folder above the data directory."""
    if os.geteuid() != 0:
        return
    for parent in (folder.absolute(), *folder.absolute().parents):
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise DatabaseUnavailable(
                f"the embedded PostgreSQL runs as the system user 'pgserver' when started by root, "
                f"and that user cannot enter {parent}; choose a data directory outside it "
                "(MAILLAGE_DATA_DIR), run Maillage as a regular user, or set DATABASE_URL"
            )


@contextlib.asynccontextmanager
async def database_target(
    database_url: str | None, data_dir: Path
) -> AsyncIterator[DatabaseTarget]:
    """The configured database, or an embedded one kept running for the duration of the block."""
    if database_url:
        yield DatabaseTarget(database_url)
        return
    embedded = EmbeddedPostgres(data_dir)
    target = await asyncio.to_thread(embedded.start)
    log.info("embedded PostgreSQL started", pgdata=str(embedded.pgdata))
    try:
        yield target
    finally:
        await asyncio.to_thread(embedded.stop)
        log.info("embedded PostgreSQL stopped", pgdata=str(embedded.pgdata))


def backoff_delays(
    first: float = RETRY_FIRST_DELAY, cap: float = RETRY_MAX_DELAY
) -> Callable[[], float]:
    """Exponential delays with full jitter, so many nodes restarting together spread out."""
    attempt = 0

    def next_delay() -> float:
        nonlocal attempt
        ceiling = min(cap, first * 2**attempt)
        attempt += 1
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security

    return next_delay


async def connect_with_retry(
    target: DatabaseTarget, deadline_seconds: float, min_size: int, max_size: int
) -> asyncpg.Pool:
    """Open the pool, retrying an unreachable server with backoff until the deadline passes."""
    give_up_at = time.monotonic() + deadline_seconds
    next_delay = backoff_delays()
    while True:
        try:
            pool: asyncpg.Pool = await asyncpg.create_pool(
                target.dsn,
                min_size=min_size,
                max_size=max_size,
                timeout=10,
                reset=keep_session_state,
            )
            return pool
        except (TimeoutError, OSError, asyncpg.PostgresError) as error:
            reason = describe_connect_error(error)
            remaining = give_up_at - time.monotonic()
            if remaining <= 0:
                raise DatabaseUnavailable(
                    f"cannot reach {target.description}: {reason} "
                    f"(gave up after {deadline_seconds:g} s)"
                ) from None
            delay = min(next_delay(), remaining)
            log.warning(
                "database unreachable, retrying",
                database=target.description,
                reason=reason,
                retry_in=round(delay, 2),
            )
            await asyncio.sleep(delay)


async def keep_session_state(connection: asyncpg.Connection[asyncpg.Record]) -> None:
    """Release a pooled connection without asyncpg's reset query.

    asyncpg's default reset (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`) costs
    one round trip per acquire, for session state Maillage never leaves behind: the migration
    lock is released in a `finally`, the worker loops remove their listeners themselves (and a
    stray LISTEN only wakes nobody), no cursor outlives its transaction, and no session-level
    SET is issued. asyncpg still rolls back an open transaction and drops Python-side listeners
    before calling this. Code that changes session state must undo it before releasing.
    """
    del connection


# What the server says when it cannot take a connection now (shutting down, starting up, or at
# its connection limit), as opposed to refusing a query, which is a bug or bad input.
UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and a connection lost mid-query
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)
# InterfaceError is mostly misuse (a bug); these messages only mean the connection is gone.
CLOSED_MESSAGES = frozenset({"pool is closing", "pool is closed", "connection is closed"})


def database_unreachable(error: BaseException) -> bool:
    """True when `error` means the database cannot be reached now, so that asking again later
    may succeed; False for everything else, which stays a bug."""
    if isinstance(error, UNREACHABLE_ERRORS):
        return True
    if isinstance(error, asyncpg.InterfaceError):
        return str(error) in CLOSED_MESSAGES
    if isinstance(error, OSError):  # refused, reset, no socket file, timed out (TimeoutError)
        # Only from asyncpg's own code: an OSError elsewhere (a missing file) is a bug.
        return raised_in_asyncpg(error)
    return False


def raised_in_asyncpg(error: BaseException) -> bool:
    trace = error.__traceback__
    while trace is not None:
        module = trace.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith("asyncpg."):
            return True
        trace = trace.tb_next
    return False


def describe_connect_error(error: BaseException) -> str:
    if isinstance(error, asyncio.TimeoutError):
        return "connection timed out"
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


# What SQL functions take: a plain connection or one borrowed from the pool, which asyncpg's
# stubs type differently although they behave the same.
DbConnection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
