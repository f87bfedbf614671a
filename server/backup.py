"""Backups of a node: one file holding its configuration and a consistent dump of its database
(keys included), and the way back onto a new data directory or an external database.

The dump is PostgreSQL's own (pg_dump's custom format, taken in one snapshot, so the node may keep
running); the file is a tar archive of three known members, never unpacked by their names.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from server.config import CONFIG_FILE_NAME
from server.database import DatabaseTarget, database_target

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CONFIG = "maillage.toml"
DUMP = "database.pgdump"
MEMBERS = frozenset({MANIFEST, CONFIG, DUMP})
BACKUP_MODE = 0o600


class BackupError(Exception):
    """A backup or restore could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    schema_version: int
    bytes: int


async def write_backup(
    data_dir: Path, database_url: str | None, destination: Path
) -> BackupSummary:
    """Dump the node's database and configuration into `destination` (mode 0600)."""
    config = data_dir / CONFIG_FILE_NAME
    has_config = await asyncio.to_thread(config.exists)
    if not has_config and database_url is None:
        raise BackupError(f"no node in {data_dir}: nothing to back up")
    async with database_target(database_url, data_dir) as target:
        schema_version = await current_schema_version(target)
        if schema_version is None:
            raise BackupError(f"{target.description} holds no Maillage node")
        with tempfile.TemporaryDirectory(prefix="maillage-backup-") as work:
            dump = Path(work) / DUMP
            await run_tool(target, "pg_dump", "--format=custom", f"--file={dump}", target.dsn)
            manifest = {
                "format": FORMAT_VERSION,
                "schema_version": schema_version,
                "made_at": datetime.now(UTC).isoformat(),
            }
            size = await asyncio.to_thread(
                write_archive, destination, manifest, config if has_config else None, dump
            )
    return BackupSummary(destination, schema_version, size)


def write_archive(
    destination: Path, manifest: dict[str, object], config: Path | None, dump: Path
) -> int:
    """Write the archive beside its final place, then rename it there; returns its size."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, pending = tempfile.mkstemp(prefix=".maillage-backup-", dir=destination.parent)
    os.close(handle)
    try:
        os.chmod(pending, BACKUP_MODE)
        with tarfile.open(pending, "w") as archive:
            add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            if config is not None:
                add_bytes(archive, CONFIG, config.read_bytes())
            archive.add(dump, arcname=DUMP)
        os.replace(pending, destination)
        return destination.stat().st_size
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(pending)


def add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = BACKUP_MODE
    archive.addfile(info, io.BytesIO(content))


async def restore_backup(source: Path, data_dir: Path, database_url: str | None) -> int:
    """Put the backup's configuration in `data_dir` and its database into the target (the embedded
    database of `data_dir`, or `database_url`), which must hold no node. Returns the schema
    version restored; the next start applies newer migrations."""
    if await asyncio.to_thread((data_dir / CONFIG_FILE_NAME).exists):
        raise BackupError(
            f"{data_dir} already holds a node; restore into a new data directory "
            "(--data-dir or MAILLAGE_DATA_DIR)"
        )
    with tempfile.TemporaryDirectory(prefix="maillage-restore-") as work:
        manifest, config, dump = await asyncio.to_thread(read_archive, source, Path(work))
        await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
        async with database_target(database_url, data_dir) as target:
            if await current_schema_version(target) is not None:
                raise BackupError(f"{target.description} already holds a node; use an empty one")
            await run_tool(
                target, "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                f"--dbname={target.dsn}", str(dump),
            )  # fmt: skip
        if config is not None:
            await asyncio.to_thread(shutil.copyfile, config, data_dir / CONFIG_FILE_NAME)
    version = manifest.get("schema_version")
    return version if isinstance(version, int) else 0


def read_archive(source: Path, work: Path) -> tuple[dict[str, object], Path | None, Path]:
    """The manifest, the configuration (if the backup has one) and the dump, extracted under
    names of our own."""
    found: dict[str, Path] = {}
    try:
        with tarfile.open(source, "r") as archive:
            extract_known_members(archive, work, found)
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{source} is not a Maillage backup: {error}") from None
    if MANIFEST not in found or DUMP not in found:
        raise BackupError(f"{source} is not a Maillage backup (no manifest or no dump)")
    manifest = json.loads(found[MANIFEST].read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{source} is a backup of an unknown format")
    return manifest, found.get(CONFIG), found[DUMP]


def extract_known_members(archive: tarfile.TarFile, work: Path, found: dict[str, Path]) -> None:
    for member in archive.getmembers():
        if member.name not in MEMBERS or not member.isfile():
            continue
        extracted = archive.extractfile(member)
        if extracted is None:
            continue
        target = work / member.name  # one of our three fixed names, never a path of theirs
        with extracted, target.open("wb") as file:
            shutil.copyfileobj(extracted, file)
        found[member.name] = target


async def current_schema_version(target: DatabaseTarget) -> int | None:
    connection = await asyncpg.connect(target.dsn)
    try:
        if not await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
            return None
        version = await connection.fetchval("SELECT max(version) FROM schema_migrations")
    finally:
        await connection.close()
    return int(version) if version is not None else None


async def run_tool(target: DatabaseTarget, name: str, *args: str) -> None:
    executable = await tool_for_server(target, name)
    process = await asyncio.create_subprocess_exec(
        executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        detail = stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{name} failed: {detail[-1] if detail else process.returncode}")


async def tool_for_server(target: DatabaseTarget, name: str) -> str:
    """The first of the embedded binaries and the machine's that is at least as new as the server
    (pg_dump refuses older servers than itself only the other way round)."""
    connection = await asyncpg.connect(target.dsn)
    try:
        server_major = int(await connection.fetchval("SHOW server_version_num")) // 10000
    finally:
        await connection.close()
    candidates = [embedded_binary(name), shutil.which(name)]
    for candidate in candidates:
        if candidate and await tool_major(candidate) >= server_major:
            return candidate
    raise BackupError(
        f"no {name} of PostgreSQL {server_major} or newer: install the client of that version"
    )


def embedded_binary(name: str) -> str | None:
    """The binary shipped by pgserver, found without importing it (its import has side effects)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    return str(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name)


async def tool_major(executable: str) -> int:
    try:
        process = await asyncio.create_subprocess_exec(
            executable, "--version", stdout=asyncio.subprocess.PIPE
        )
    except OSError:
        return 0
    stdout, _ = await process.communicate()
    match = re.search(rb"(\d+)(?:\.\d+)?", stdout)
    return int(match[1]) if match else 0
