"""Operator commands: init, migrate, serve. They parse flags and call the server's functions."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from server.config import ConfigError, Settings, load_settings
from server.database import DatabaseUnavailable
from server.lifecycle import open_pool
from server.logs import configure_logging
from server.migrations import MigrationError, migration_status
from server.node_setup import NodeExists, initialise_node, validate_setup
from server.runner import (
    PortUnavailable,
    bind_listening_socket,
    run_workers_until_stopped,
    serve_until_stopped,
)

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# Errors an operator can act on: one line on stderr and a non-zero exit, never a traceback.
OPERATOR_ERRORS = (ConfigError, DatabaseUnavailable, MigrationError, NodeExists, PortUnavailable)


def data_dir_option(function: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="MAILLAGE_DATA_DIR",
        default=None,
        help="Folder of the node's configuration and embedded database [./maillage-data].",
    )(function)


def fail(error: Exception) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(1)


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    settings = load_settings(data_dir, **overrides)
    configure_logging(settings.log_format, settings.log_level)
    return settings


@click.command()
@data_dir_option
@click.option("--domain", prompt="Public domain of the node (e.g. mende.example.org)")
@click.option("--name", "place_name", prompt="Name of the place")
@click.option("--admin-username", prompt="Administrator's username")
@click.option("--admin-email", prompt="Administrator's email")
@click.option(
    "--admin-password",
    prompt="Administrator's password",
    hide_input=True,
    confirmation_prompt=True,
    envvar="MAILLAGE_ADMIN_PASSWORD",
)
@click.option("--development", is_flag=True, help="Local testing: plain http, loopback peers.")
@click.option("--force", is_flag=True, help="Replace an existing node's keys and configuration.")
def init(
    data_dir: Path | None,
    domain: str,
    place_name: str,
    admin_username: str,
    admin_email: str,
    admin_password: str,
    development: bool,
    force: bool,
) -> None:
    """Create a node: configuration, database schema, key pairs, first administrator."""
    try:
        setup = validate_setup(
            domain, place_name, admin_username, admin_email, admin_password, development
        )
        folder = settings_for(data_dir).data_dir
        settings = initialise_node(folder, setup, force=force)
    except OPERATOR_ERRORS as error:
        fail(error)
    click.echo(f"Node initialised in {settings.data_dir}")
    click.echo(f"  place: {settings.place_name}")
    click.echo(f"  public URL: {settings.public_url}")
    click.echo("Start it with: maillage serve")


@click.command()
@data_dir_option
def migrate(data_dir: Path | None) -> None:
    """Apply pending database migrations and report the schema version."""
    try:
        settings = settings_for(data_dir)
        applied = asyncio.run(run_migrations(settings))
    except OPERATOR_ERRORS as error:
        fail(error)
    click.echo(applied)


async def run_migrations(settings: Settings) -> str:
    async with open_pool(settings) as pool, pool.acquire() as connection:
        status = await migration_status(connection)
    latest = status.applied[-1] if status.applied else 0
    return f"database schema at migration {latest:04d}; nothing pending"


@click.command()
@data_dir_option
@click.option("--host", default=None, help="Address to listen on [MAILLAGE_HOST or 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [MAILLAGE_PORT or 8080].")
def serve(data_dir: Path | None, host: str | None, port: int | None) -> None:
    """Run the node's web server until SIGTERM or Ctrl-C."""
    try:
        settings = node_settings(data_dir, host=host, port=port)
        listening = bind_listening_socket(settings.host, settings.port)
        asyncio.run(serve_until_stopped(settings, listening))
    except OPERATOR_ERRORS as error:
        fail(error)


def node_settings(data_dir: Path | None, **overrides: Any) -> Settings:
    settings = settings_for(data_dir, **overrides)
    if settings.domain is None:
        raise ConfigError(
            f"no node in {settings.data_dir}: run `maillage init` first "
            "(or set MAILLAGE_DATA_DIR to the node's folder)"
        )
    return settings


@click.command()
@data_dir_option
def worker(data_dir: Path | None) -> None:
    """Run only the inbox and delivery workers (for `serve` processes with run_workers off)."""
    try:
        asyncio.run(run_workers_until_stopped(node_settings(data_dir)))
    except OPERATOR_ERRORS as error:
        fail(error)


OPERATOR_COMMANDS = (init, migrate, serve, worker)
