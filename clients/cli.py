"""Member and animateur commands: they talk to a node through its REST API, like any client."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import click
from pydantic import BaseModel, ValidationError

from clients.api import ApiError, MaillageClient
from clients.display import category, local_time
from clients.session import NotLoggedIn, Session, forget_session, load_session, save_session
from clients.tables import render
from schemas.api import AccountIn
from schemas.api_directory import PeopleQuery, PlacesQuery

T = TypeVar("T")
Q = TypeVar("Q", bound=BaseModel)

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


# A column is a field of the models, or what to show of each model.
Column = str | Callable[[Any], object]


def rows_of(models: Sequence[BaseModel], columns: Mapping[str, Column]) -> list[dict[str, Any]]:
    """Table rows: `columns` maps a heading to a field of the models or a function of one."""
    return [
        {heading: cell(model, column) for heading, column in columns.items()} for model in models
    ]


def cell(model: BaseModel, column: Column) -> object:
    value = column(model) if callable(column) else getattr(model, column)
    return "" if value is None else value


def show(
    models: Sequence[BaseModel], columns: Mapping[str, Column], as_json: bool, empty: str
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


@click.group(invoke_without_command=True)
@json_option
@click.pass_context
def neighbours(context: click.Context, as_json: bool) -> None:
    """The places and people the place follows or is followed by; `accept|refuse HANDLE`
    answers a follow that waits."""
    if context.invoked_subcommand is not None:
        return
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


@click.group(invoke_without_command=True)
@json_option
@click.pass_context
def deliveries(context: click.Context, as_json: bool) -> None:
    """Delivery state per neighbouring host (administrators); `retry HOST` lifts a pause."""
    if context.invoked_subcommand is not None:
        return
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


@deliveries.command("retry")
@click.argument("host")
def retry_deliveries(host: str) -> None:
    """Lift HOST's pause now: its pending deliveries are sent at once."""
    result = with_client(lambda client: client.retry_deliveries(host))
    click.echo(f"{result.pending} deliveries to {result.host} due now.")


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


def with_public_client(node_url: str | None, work: Callable[[MaillageClient], Awaitable[T]]) -> T:
    """Like with_client, for public routes: `--node` needs no login."""
    if node_url is None:
        return with_client(work)

    async def run() -> T:
        async with MaillageClient(node_url) as client:
            return await work(client)

    try:
        return asyncio.run(run())
    except ApiError as error:
        fail(error)
        raise  # unreachable: fail exits


def query_of(model: type[Q], values: dict[str, Any]) -> Q:
    try:
        return model.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in problem['loc']) or 'query'}: {problem['msg']}"
            for problem in error.errors()
        )
        fail(ValueError(problems))
        raise  # unreachable: fail exits


def point_of(near: str | None) -> tuple[float | None, float | None]:
    """--near LAT,LON, the same in every command."""
    if near is None:
        return None, None
    try:
        latitude, longitude = (float(part) for part in near.split(","))
    except ValueError:
        fail(ValueError("--near takes LATITUDE,LONGITUDE, e.g. 44.52,3.50"))
        raise
    return latitude, longitude


node_option = click.option(
    "--node", "node_url", help="A node's URL (no login needed); else the logged-in node."
)
PLACE_COLUMNS = {
    "name": "name",
    "locality": "locality",
    "km": "distance_km",
    "open": "open_now",
    "relation": "relation",
    "id": "id",
}
PERSON_COLUMNS = {"name": "name", "place": "place_name", "actor": "actor"}


@click.command()
@node_option
@click.option("--near", metavar="LAT,LON", help="Sort by distance to this point, e.g. 44.52,3.50")
@click.option("--km", type=float, help="With --near: only places within this distance.")
@click.option("--open-now", is_flag=True, help="Only places open now.")
@click.option("--open-at", help="Only places open at this moment (ISO 8601 with offset).")
@click.option("--service", "services", multiple=True, help="A service needed (repeatable).")
@click.option("--kind", "kinds", multiple=True, help="A kind of space (repeatable).")
@click.option("--no-suggestions", is_flag=True, help="Leave out our neighbours' places.")
@click.option("--limit", type=int)
@click.argument("text", required=False)
@json_option
def places(
    node_url: str | None,
    near: str | None,
    km: float | None,
    open_now: bool,
    open_at: str | None,
    services: tuple[str, ...],
    kinds: tuple[str, ...],
    no_suggestions: bool,
    limit: int | None,
    text: str | None,
    as_json: bool,
) -> None:
    """The directory of places: ours, the ones we know, and our neighbours' suggestions."""
    latitude, longitude = point_of(near)
    query = query_of(
        PlacesQuery,
        {
            "q": text,
            "lat": latitude,
            "lon": longitude,
            "km": km,
            "open_now": open_now,
            "open_at": open_at,
            "services": list(services),
            "kinds": list(kinds),
            "suggestions": not no_suggestions,
            "limit": limit,
        },
    )
    found = with_public_client(node_url, lambda client: client.places(query))
    show(found, PLACE_COLUMNS, as_json, "No place matches.")


@click.command()
@node_option
@click.option("--skill", help="A skill name (exact, any case) or vocabulary URI.")
@click.option("--limit", type=int)
@click.argument("text", required=False)
@json_option
def people(
    node_url: str | None, skill: str | None, limit: int | None, text: str | None, as_json: bool
) -> None:
    """People of the network with a skill (profiles shared network-wide only)."""
    query = query_of(PeopleQuery, {"skill": skill, "q": text, "limit": limit})
    found = with_public_client(node_url, lambda client: client.people(query))
    show(found, PERSON_COLUMNS, as_json, "Nobody found.")


AGENDA_COLUMNS: dict[str, Column] = {
    "start": lambda item: local_time(item.start_time, item.timezone),
    "event": "name",
    "category": lambda item: category(item.category),
    "place": "place_name",
    "status": "status",
    "km": "distance_km",
    "origin": "origin",
}


@click.command()
@click.option("--from", "start", help="Events not ended at this moment (ISO 8601; default: now)")
@click.option("--to", "end", help="Events starting before this moment (ISO 8601)")
@click.option("--tag", "tags", multiple=True, help="Repeat for several: all must be there.")
@click.option("--category")
@click.option("--place", help="Only the events of this place (actor id).")
@click.option("--text", "q", help="Free text in the name and description.")
@click.option("--near", help="LATITUDE,LONGITUDE of a point (with --km).")
@click.option("--km", type=float, help="Distance from --near, in km.")
@click.option("--now", is_flag=True, help="Only what is happening now.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--cursor", help="Next page: the cursor printed under the previous one.")
@json_option
def agenda(
    start: str | None,
    end: str | None,
    tags: tuple[str, ...],
    category: str | None,
    place: str | None,
    q: str | None,
    near: str | None,
    km: float | None,
    now: bool,
    limit: int,
    cursor: str | None,
    as_json: bool,
) -> None:
    """The agenda of the place and of the neighbours it follows, by start time."""
    latitude, longitude = point_of(near)
    found = with_client(
        lambda client: client.agenda(
            start=start, end=end, tag=list(tags), category=category, place=place, q=q,
            latitude=latitude, longitude=longitude, km=km, now=now, limit=limit, cursor=cursor,
        )
    )  # fmt: skip
    if as_json:
        click.echo(found.model_dump_json())
        return
    show(found.items, AGENDA_COLUMNS, False, "No events.")
    if found.next_cursor:
        click.echo(f"More: --cursor {found.next_cursor}")


MEMBER_COMMANDS: tuple[click.Command, ...] = (
    agenda,
    places,
    people,
    login,
    logout,
    whoami,
    neighbours,
    follow,
    unfollow,
    deliveries,
    accounts,
)
