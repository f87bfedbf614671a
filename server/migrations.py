"""Forward-only numbered SQL migrations, applied under an advisory lock and recorded with checksums.

Files are `server/migrations/NNNN_name.sql`. Each runs in its own transaction. An already applied
file whose checksum changed, or a database that has versions this code does not know, stops the
start: both mean the code and the database disagree about the schema.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

from server.database import DbConnection

# A fixed key for pg_advisory_lock: "maillage" read as a number, so that it is ours alone.
MIGRATION_LOCK_KEY = int.from_bytes(b"maillage", "big") & 0x7FFF_FFFF_FFFF_FFFF
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """The database and the code disagree about the schema."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationStatus:
    applied: list[int]
    pending: list[int]

    @property
    def current(self) -> bool:
        return not self.pending


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with this code, in order."""
    folder = resources.files("server") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


async def applied_checksums(connection: DbConnection) -> dict[int, str]:
    exists = await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    rows = await connection.fetch("SELECT version, checksum FROM schema_migrations")
    return {row["version"]: row["checksum"] for row in rows}


def check_agreement(applied: dict[int, str], known: list[Migration]) -> list[Migration]:
    """The migrations still to apply, after checking the applied ones are the ones we ship."""
    by_version = {migration.version: migration for migration in known}
    unknown = sorted(version for version in applied if version not in by_version)
    if unknown:
        raise MigrationError(
            f"the database has migration {unknown[-1]:04d}, which this code does not know: "
            "it was created by a newer Maillage; upgrade the code"
        )
    for version, checksum in applied.items():
        if by_version[version].checksum != checksum:
            migration = by_version[version]
            raise MigrationError(
                f"migration {version:04d}_{migration.name}.sql changed after it was applied; "
                "migrations are forward-only: restore the file and add a new one"
            )
    return [migration for migration in known if migration.version not in applied]


async def migration_status(
    connection: DbConnection, known: list[Migration] | None = None
) -> MigrationStatus:
    """Applied and pending versions; raises MigrationError if the two disagree."""
    migrations = bundled_migrations() if known is None else known
    applied = await applied_checksums(connection)
    pending = check_agreement(applied, migrations)
    return MigrationStatus(
        applied=sorted(applied), pending=[migration.version for migration in pending]
    )


async def migrate(
    connection: DbConnection, known: list[Migration] | None = None
) -> list[Migration]:
    """Apply what is pending, holding the advisory lock so concurrent starts take turns."""
    migrations = bundled_migrations() if known is None else known
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await connection.execute(CREATE_LEDGER)
        pending = check_agreement(await applied_checksums(connection), migrations)
        for migration in pending:
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
        return pending
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
