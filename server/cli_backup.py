"""Operator commands for backups: `maillage backup FILE` and `maillage restore FILE`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from server.backup import BackupError, restore_backup, write_backup
from server.cli import OPERATOR_ERRORS, data_dir_option, fail, settings_for, verbose_option


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@data_dir_option
@verbose_option
def backup(file: Path, data_dir: Path | None, verbose: bool) -> None:
    """Write a consistent backup of the node (configuration, database and private keys) to FILE.

    The node may keep running. The file is made readable by its owner only: it holds the node's
    private keys, so keep it as carefully as the server itself.
    """
    try:
        settings = settings_for(data_dir, verbose=verbose)
        summary = asyncio.run(
            write_backup(settings.data_dir, settings.database_url, file.absolute())
        )
    except (*OPERATOR_ERRORS, BackupError) as error:
        fail(error)
    size = summary.bytes / 1_000_000
    click.echo(
        f"Backup written to {summary.path} ({size:.1f} MB, schema {summary.schema_version:04d})"
    )
    click.echo(
        "warning: this file holds the node's private keys; whoever has it can sign as the place",
        err=True,
    )


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@verbose_option
def restore(file: Path, data_dir: Path | None, verbose: bool) -> None:
    """Restore a backup FILE into a new data directory (embedded database) or, with DATABASE_URL,
    into an empty external database. Start the node afterwards with `maillage serve`."""
    try:
        settings = settings_for(data_dir, verbose=verbose)
        version = asyncio.run(restore_backup(file, settings.data_dir, settings.database_url))
    except (*OPERATOR_ERRORS, BackupError) as error:
        fail(error)
    click.echo(f"Node restored in {settings.data_dir} (schema {version:04d})")
    click.echo("Start it with: maillage serve")


BACKUP_COMMANDS = (backup, restore)
