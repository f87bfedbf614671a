"""Operator commands: init, migrate, serve. They parse flags and call the server's functions."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from server.config import ConfigError, Settings, load_settings
from server.database import DatabaseUnavailable
from server.init_answers import InitAnswers, MissingAnswers
from server.lifecycle import open_pool
from server.logs import configure_logging, route_embedded_database_output
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
OPERATOR_ERRORS = (
    ConfigError,
    MissingAnswers,
    DatabaseUnavailable,
    MigrationError,
    NodeExists,
    PortUnavailable,
)


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


def settings_for(data_dir: Path | None, *, verbose: bool = False, **overrides: Any) -> Settings:
    settings = load_settings(data_dir, **overrides)
    configure_logging(settings.log_format, settings.log_level)
    if settings.database_url is None:
        route_embedded_database_output(settings.data_dir, verbose=verbose)
    return settings


def verbose_option(function: F) -> F:
    return click.option(
        "--verbose",
        is_flag=True,
        help="Also show the embedded PostgreSQL's own output (kept in embedded-postgres.log).",
    )(function)


@click.command()
@data_dir_option
@click.option(
    "--domain",
    default=None,
    help="Public host name the node is reached at, with the port if not 443 "
    "(mende.example.org; localhost:8080 with --development).",
)
@click.option("--name", "place_name", default=None, help="The tiers-lieu's name, as people say it.")
@click.option("--admin-username", default=None, help="User name of the first administrator.")
@click.option("--admin-email", default=None, help="Email of the first administrator.")
@click.option(
    "--admin-password-file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="File holding the administrator's password (its first line); - reads standard input. "
    "Otherwise MAILLAGE_ADMIN_PASSWORD, otherwise asked for in the terminal.",
)
@click.option(
    "--admin-password",
    envvar="MAILLAGE_ADMIN_PASSWORD",
    default=None,
    hidden=True,  # a password on the command line is visible to every user of the machine
)
@click.option(
    "--development",
    is_flag=True,
    help="Local testing: plain http, loopback neighbours, and `serve` listens on the domain's "
    "port.",
)
@click.option("--force", is_flag=True, help="Replace an existing node's keys and configuration.")
@verbose_option
def init(
    data_dir: Path | None,
    domain: str | None,
    place_name: str | None,
    admin_username: str | None,
    admin_email: str | None,
    admin_password_file: TextIO | None,
    admin_password: str | None,
    development: bool,
    force: bool,
    verbose: bool,
) -> None:
    """Create a node: configuration, database schema, key pairs, first administrator.

    What is not given as an option is asked for in a terminal; without one, init names what is
    missing and stops.
    """
    if admin_password_file is not None:
        admin_password = admin_password_file.readline().rstrip("\r\n")
    answers = InitAnswers(domain, place_name, admin_username, admin_email, admin_password)
    try:
        answers.complete(interactive=sys.stdin.isatty())
        setup = validate_setup(
            answers.domain or "",
            answers.place_name or "",
            answers.admin_username or "",
            answers.admin_email or "",
            answers.admin_password or "",
            development,
        )
        folder = settings_for(data_dir, verbose=verbose).data_dir
        settings = initialise_node(folder, setup, force=force)
    except OPERATOR_ERRORS as error:
        fail(error)
    click.echo(f"Node initialised in {settings.data_dir}")
    click.echo(f"  place: {settings.place_name}")
    click.echo(f"  public URL: {settings.public_url}")
    click.echo(f"  administrator: {setup.admin_username}")
    click.echo(f"Start it with: maillage serve (listens on {settings.host}:{settings.port})")


@click.command()
@data_dir_option
@verbose_option
def migrate(data_dir: Path | None, verbose: bool) -> None:
    """Apply pending database migrations and report the schema version."""
    try:
        settings = settings_for(data_dir, verbose=verbose)
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
@verbose_option
def serve(data_dir: Path | None, host: str | None, port: int | None, verbose: bool) -> None:
    """Run the node's web server until SIGTERM or Ctrl-C."""
    try:
        settings = node_settings(data_dir, verbose=verbose, host=host, port=port)
        listening = bind_listening_socket(settings.host, settings.port)
        asyncio.run(serve_until_stopped(settings, listening))
    except OPERATOR_ERRORS as error:
        fail(error)


def node_settings(data_dir: Path | None, *, verbose: bool = False, **overrides: Any) -> Settings:
    settings = settings_for(data_dir, verbose=verbose, **overrides)
    if settings.domain is None:
        raise ConfigError(
            f"no node in {settings.data_dir}: run `maillage init` first "
            "(or set MAILLAGE_DATA_DIR to the node's folder)"
        )
    return settings


@click.command()
@data_dir_option
@verbose_option
def worker(data_dir: Path | None, verbose: bool) -> None:
    """Run only the inbox and delivery workers (for `serve` processes with run_workers off)."""
    try:
        asyncio.run(run_workers_until_stopped(node_settings(data_dir, verbose=verbose)))
    except OPERATOR_ERRORS as error:
        fail(error)


OPERATOR_COMMANDS = (init, migrate, serve, worker)
