"""Operator commands: init, migrate, serve. They parse flags and call the server's functions."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from server.config import ConfigError, Settings, load_settings
from server.database import DatabaseUnavailable
from server.lifecycle import open_pool
from server.logs import configure_logging
from server.migrations import MigrationError, migration_status
from server.node_setup import NodeExists, initialise_node, validate_setup
from server.processing.neighbours import (
    NeighbourError,
    follow_neighbour,
    list_neighbours,
    unfollow_neighbour,
)
from server.runner import (
    PortUnavailable,
    bind_listening_socket,
    run_workers_until_stopped,
    serve_until_stopped,
)
from server.services import NodeServices, open_services
from server.storage import outbox
from server.tables import render

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


def run_with_services(settings: Settings, work: Callable[[NodeServices], Awaitable[T]]) -> T:
    async def run() -> T:
        async with open_services(settings) as services:
            return await work(services)

    return asyncio.run(run())


def node_settings(data_dir: Path | None, **overrides: Any) -> Settings:
    settings = settings_for(data_dir, **overrides)
    if settings.domain is None:
        raise ConfigError(
            f"no node in {settings.data_dir}: run `maillage init` first "
            "(or set MAILLAGE_DATA_DIR to the node's folder)"
        )
    return settings


as_option = click.option(
    "--as",
    "actor_name",
    default="place",
    show_default=True,
    help="Local actor that follows: the place, or a member's username.",
)


@click.command()
@data_dir_option
@as_option
@click.argument("target")
def follow(data_dir: Path | None, actor_name: str, target: str) -> None:
    """Follow a neighbour, by handle (name@domain) or actor URL."""
    try:
        settings = node_settings(data_dir)
        uri = run_with_services(
            settings,
            lambda s: follow_neighbour(
                s.pool, s.node, s.actors, s.fetcher, target, settings.development, actor_name
            ),
        )
    except (*OPERATOR_ERRORS, NeighbourError) as error:
        fail(error)
    click.echo(f"Follow sent to {uri}; it is pending until the neighbour accepts.")


@click.command()
@data_dir_option
@as_option
@click.argument("target")
def unfollow(data_dir: Path | None, actor_name: str, target: str) -> None:
    """Stop following a neighbour (sends Undo Follow)."""
    try:
        settings = node_settings(data_dir)
        uri = run_with_services(
            settings,
            lambda s: unfollow_neighbour(
                s.pool, s.node, s.fetcher, target, settings.development, actor_name
            ),
        )
    except (*OPERATOR_ERRORS, NeighbourError) as error:
        fail(error)
    click.echo(f"Unfollowed {uri}.")


@click.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def neighbours(data_dir: Path | None, as_json: bool) -> None:
    """List the places and people the place follows or is followed by."""
    try:
        found = run_with_services(
            node_settings(data_dir), lambda s: list_neighbours(s.pool, s.node)
        )
    except OPERATOR_ERRORS as error:
        fail(error)
    rows = [
        {
            "actor": n.uri,
            "handle": n.handle or "",
            "name": n.name or "",
            "we follow": n.we_follow or "-",
            "follows us": n.follows_us or "-",
        }
        for n in found
    ]
    click.echo(render(rows, as_json, empty="No neighbours yet: `maillage follow name@domain`."))


@click.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def deliveries(data_dir: Path | None, as_json: bool) -> None:
    """Delivery state per neighbouring host: pending, done, failed, circuit breaker."""
    try:
        states = run_with_services(node_settings(data_dir), delivery_states)
    except OPERATOR_ERRORS as error:
        fail(error)
    rows = [
        {
            "host": state.host,
            "pending": state.pending,
            "done": state.done,
            "failed": state.failed,
            "failures in a row": state.consecutive_failures,
            "paused until": str(state.circuit_open_until or "-"),
            "last error": state.last_error or "",
        }
        for state in states
    ]
    click.echo(render(rows, as_json, empty="Nothing delivered yet."))


async def delivery_states(services: NodeServices) -> list[outbox.HostDeliveryState]:
    async with services.pool.acquire() as connection:
        return await outbox.delivery_state_by_host(connection)


@click.command()
@data_dir_option
def worker(data_dir: Path | None) -> None:
    """Run only the inbox and delivery workers (for `serve` processes with run_workers off)."""
    try:
        asyncio.run(run_workers_until_stopped(node_settings(data_dir)))
    except OPERATOR_ERRORS as error:
        fail(error)


OPERATOR_COMMANDS = (init, migrate, serve, worker, follow, unfollow, neighbours, deliveries)
