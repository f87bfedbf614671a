"""Member and animateur commands: they talk to a node through its REST API, like any client."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import click
from pydantic import BaseModel

from clients.api import ApiError, MaillageClient
from clients.session import NotLoggedIn, Session, forget_session, load_session, save_session
from clients.tables import render
from schemas.api import AccountIn

T = TypeVar("T")

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, not a table.")


def fail(error: Exception) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(1)


def with_client(work: Callable[[MaillageClient], Awaitable[T]]) -> T:
    """Run `work` with a client logged in from the saved session; errors end the command."""

    async def run() -> T:
        session = load_session()
        async with MaillageClient(session.node_url, token=session.token) as client:
            return await work(client)

    try:
        return asyncio.run(run())
    except (ApiError, NotLoggedIn) as error:
        fail(error)
        raise  # unreachable: fail exits


def rows_of(models: Sequence[BaseModel], columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """Table rows: `columns` maps a heading to a field of the models."""
    return [
        {
            heading: "" if getattr(model, field) is None else getattr(model, field)
            for heading, field in columns.items()
        }
        for model in models
    ]


def show(
    models: Sequence[BaseModel], columns: Mapping[str, str], as_json: bool, empty: str
) -> None:
    if as_json:
        click.echo("[" + ",".join(model.model_dump_json() for model in models) + "]")
        return
    click.echo(render(rows_of(models, columns), False, empty))


@click.command()
@click.option(
    "--node", "node_url", required=True, help="The node's URL, e.g. https://mende.example.org"
)
@click.option("--username", required=True)
@click.password_option(confirmation_prompt=False, envvar="MAILLAGE_PASSWORD")
def login(node_url: str, username: str, password: str) -> None:
    """Log in to a node and keep the token for the next commands."""

    async def run() -> str:
        async with MaillageClient(node_url) as client:
            answer = await client.log_in(username, password)
            return answer.token

    try:
        token = asyncio.run(run())
    except ApiError as error:
        fail(error)
    path = save_session(Session(node_url.rstrip("/"), token, username))
    click.echo(f"Logged in to {node_url} as {username} (session kept in {path}).")


@click.command()
def logout() -> None:
    """Forget the saved session."""
    click.echo("Logged out." if forget_session() else "No saved session.")


@click.command()
@json_option
def whoami(as_json: bool) -> None:
    """The account the saved session belongs to."""
    account = with_client(lambda client: client.me())
    show([account], {"username": "username", "role": "role", "actor": "actor"}, as_json, "")


NEIGHBOUR_COLUMNS = {
    "actor": "actor",
    "handle": "handle",
    "name": "name",
    "we follow": "we_follow",
    "follows us": "follows_us",
}


@click.command()
@json_option
def neighbours(as_json: bool) -> None:
    """The places and people the place follows or is followed by."""
    found = with_client(lambda client: client.neighbours())
    show(found, NEIGHBOUR_COLUMNS, as_json, "No neighbours yet: `maillage follow name@domain`.")


me_option = click.option(
    "--me", "as_me", is_flag=True, help="As one's own Person actor rather than the place."
)


@click.command()
@me_option
@click.argument("target")
def follow(as_me: bool, target: str) -> None:
    """Follow a neighbour (name@domain or actor URL), as the place or --me."""
    result = with_client(
        lambda client: client.follow_as_me(target) if as_me else client.follow(target)
    )
    click.echo(f"Follow sent to {result.actor}; pending until it is accepted.")


@click.command()
@me_option
@click.argument("target")
def unfollow(as_me: bool, target: str) -> None:
    """Stop following a neighbour, as the place or --me."""
    result = with_client(
        lambda client: client.unfollow_as_me(target) if as_me else client.unfollow(target)
    )
    click.echo(f"Unfollowed {result.actor}.")


@click.command()
@json_option
def deliveries(as_json: bool) -> None:
    """Delivery state per neighbouring host (administrators)."""
    states = with_client(lambda client: client.deliveries())
    columns = {
        "host": "host",
        "pending": "pending",
        "done": "done",
        "failed": "failed",
        "failures in a row": "consecutive_failures",
        "paused until": "circuit_open_until",
        "last error": "last_error",
    }
    show(states, columns, as_json, "Nothing delivered yet.")


@click.group()
def accounts() -> None:
    """Accounts of the node (administrators)."""


@accounts.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option(
    "--role", type=click.Choice(["member", "animateur", "administrator"]), default="member"
)
@click.password_option(envvar="MAILLAGE_NEW_PASSWORD")
def create_account(username: str, email: str, role: str, password: str) -> None:
    """Create an account; its profile starts private."""
    try:
        account_in = AccountIn(username=username, email=email, password=password, role=role)
    except ValueError as error:
        fail(error)
    account = with_client(lambda client: client.create_account(account_in))
    click.echo(f"Account {account.username} created ({account.role}).")


MEMBER_COMMANDS: tuple[click.Command, ...] = (
    login,
    logout,
    whoami,
    neighbours,
    follow,
    unfollow,
    deliveries,
    accounts,
)
