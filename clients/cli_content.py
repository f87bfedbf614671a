"""Commands for what a place publishes: events, RSVPs, open calls, and one's own profile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import click
from pydantic import BaseModel, ValidationError

from clients import content
from clients.cli import Column, fail, json_option, show, with_client
from clients.display import category, in_zone, local_time, warn_if_past
from schemas.api_calls import CallIn, CallPatch
from schemas.api_events import EventIn, EventPatch, PlaceIn
from schemas.api_profiles import LinkBody, ProfilePatch, SkillBody, VisibilityIn

M = TypeVar("M", bound=BaseModel)
TIME_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]

EVENT_COLUMNS: dict[str, Column] = {
    "id": "id",
    "start": lambda event: local_time(event.start_time, event.timezone),
    "name": "name",
    "category": lambda event: category(event.category),
    "status": "status",
    "seats left": "remaining_attendee_capacity",
    "local": "local",
}


def call_columns(zone: str) -> dict[str, Column]:
    """Deadlines in the place's zone: a call has none of its own."""
    return {
        "id": "number",
        "kind": "kind",
        "title": "title",
        "deadline": lambda call: local_time(call.deadline, zone),
        "status": "status",
        "local": "local",
    }


def model_or_fail(factory: type[M], **values: object) -> M:
    """The request body, or a one-line error naming each invalid field."""
    try:
        return factory(**{key: value for key, value in values.items() if value is not None})
    except ValidationError as error:
        fail(ValueError(f"invalid input: {problems_of(error)}"))
        raise  # unreachable


def problems_of(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc'])}: "
        + item["msg"].removeprefix("Value error, ")
        for item in error.errors()
    )


@click.group()
def events() -> None:
    """Events of the node and of its neighbours."""


@events.command("list")
@json_option
def list_events(as_json: bool) -> None:
    found = with_client(content.events)
    show(found, EVENT_COLUMNS, as_json, "No events.")


def place_of(name: str | None, latitude: float | None, longitude: float | None) -> PlaceIn | None:
    if name is None:
        return None
    return model_or_fail(PlaceIn, name=name, latitude=latitude, longitude=longitude)


event_options = [
    click.option("--content", "description", help="Description (HTML is cleaned)"),
    click.option("--start", type=click.DateTime(TIME_FORMATS), help="Local, YYYY-MM-DD HH:MM"),
    click.option("--end", type=click.DateTime(TIME_FORMATS), help="Local end time"),
    click.option("--timezone", help="IANA time zone, e.g. Europe/Paris"),
    click.option("--place", "place_name", help="Name of the place it happens at"),
    click.option("--latitude", type=float),
    click.option("--longitude", type=float),
    click.option("--category"),
    click.option("--tag", "tags", multiple=True, help="Repeat for several tags"),
    click.option("--capacity", type=int, help="Maximum number of participants"),
]


F = TypeVar("F", bound=Callable[..., None])


def with_event_options(command: F) -> F:
    for option in reversed(event_options):
        command = option(command)
    return command


@events.command("create")
@click.option("--name", required=True)
@with_event_options
@json_option
def create_event(
    name: str,
    description: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    timezone: str | None = None,
    place_name: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    category: str | None = None,
    tags: tuple[str, ...] = (),
    capacity: int | None = None,
    as_json: bool = False,
) -> None:
    """Publish an event (administrators and animateurs). Times are read in --timezone, else
    in the place's own zone."""
    zone = timezone or with_client(content.place_zone)
    if start is not None:
        warn_if_past(in_zone(start, zone), "the start")
    body = model_or_fail(
        EventIn,
        name=name,
        content=description,
        start_time=start,
        end_time=end,
        timezone=zone,
        place=place_of(place_name, latitude, longitude),
        category=category,
        tags=list(tags),
        maximum_attendee_capacity=capacity,
    )
    created = with_client(lambda client: content.create_event(client, body))
    show([created], EVENT_COLUMNS, as_json, "")


@events.command("edit")
@click.argument("event_id", type=int)
@click.option("--name")
@with_event_options
@json_option
def edit_event(
    event_id: int,
    name: str | None = None,
    description: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    timezone: str | None = None,
    place_name: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    category: str | None = None,
    tags: tuple[str, ...] = (),
    capacity: int | None = None,
    as_json: bool = False,
) -> None:
    """Change an event; the options given replace the stored values."""
    patch = model_or_fail(
        EventPatch,
        name=name,
        content=description,
        start_time=start,
        end_time=end,
        timezone=timezone,
        place=place_of(place_name, latitude, longitude),
        category=category,
        tags=list(tags) or None,
        maximum_attendee_capacity=capacity,
    )
    changed = with_client(lambda client: content.edit_event(client, event_id, patch))
    show([changed], EVENT_COLUMNS, as_json, "")


@events.command("cancel")
@click.argument("event_id", type=int)
def cancel_event(event_id: int) -> None:
    """Cancel an event (it stays listed, marked cancelled, everywhere)."""
    cancelled = with_client(lambda client: content.cancel_event(client, event_id))
    click.echo(f"Cancelled {cancelled.name}.")


@events.command("delete")
@click.argument("event_id", type=int)
def delete_event(event_id: int) -> None:
    """Delete an event everywhere."""
    with_client(lambda client: content.delete_event(client, event_id))
    click.echo("Deleted.")


@click.command()
@click.argument("event")
@click.option("--leave", is_flag=True, help="Give the seat back.")
def rsvp(event: str, leave: bool) -> None:
    """Join (or --leave) an event of any node, given by its URL."""
    answer = with_client(
        lambda client: content.leave(client, event) if leave else content.join(client, event)
    )
    click.echo(f"{answer.event}: {answer.state}")


@click.group()
def calls() -> None:
    """Open calls (appels) of the node and of its neighbours."""


@calls.command("list")
@json_option
def list_calls(as_json: bool) -> None:
    zone, found = with_client(content.calls_and_zone)
    show(found, call_columns(zone), as_json, "No open calls.")


@calls.command("create")
@click.option("--kind", required=True, help="projects, skills, partners, volunteers, or another")
@click.option("--title", required=True)
@click.option("--description", default="")
@click.option(
    "--deadline", type=click.DateTime(TIME_FORMATS), help="YYYY-MM-DD HH:MM, in the place's zone"
)
@click.option("--skill", "skills", multiple=True)
@click.option("--territory")
@click.option("--contact")
@json_option
def create_call(
    kind: str,
    title: str,
    description: str,
    deadline: datetime | None,
    skills: tuple[str, ...],
    territory: str | None,
    contact: str | None,
    as_json: bool,
) -> None:
    """Publish an open call (administrators and animateurs)."""
    zone = with_client(content.place_zone)
    due = None if deadline is None else in_zone(deadline, zone)
    warn_if_past(due, "the deadline")
    body = model_or_fail(
        CallIn,
        kind=kind,
        title=title,
        description=description,
        deadline=due,
        skills_wanted=list(skills),
        territory=territory,
        contact=contact,
    )
    created = with_client(lambda client: content.create_call(client, body))
    show([created], call_columns(zone), as_json, "")


@calls.command("edit")
@click.argument("call_id")
@click.option("--title")
@click.option("--description")
@click.option("--territory")
@click.option("--contact")
@json_option
def edit_call(
    call_id: str,
    title: str | None,
    description: str | None,
    territory: str | None,
    contact: str | None,
    as_json: bool,
) -> None:
    """Change an open call; the options given replace the stored values."""
    patch = model_or_fail(
        CallPatch, title=title, description=description, territory=territory, contact=contact
    )
    zone = with_client(content.place_zone)
    changed = with_client(lambda client: content.edit_call(client, call_id, patch))
    show([changed], call_columns(zone), as_json, "")


@calls.command("close")
@click.argument("call_id")
@click.option("--filled", is_flag=True, help="Closed because it found what it looked for.")
def close_call(call_id: str, filled: bool) -> None:
    closed = with_client(lambda client: content.close_call(client, call_id, filled))
    click.echo(f"{closed.title}: {closed.status}")


@calls.command("delete")
@click.argument("call_id")
def delete_call(call_id: str) -> None:
    with_client(lambda client: content.delete_call(client, call_id))
    click.echo("Deleted.")


@click.group()
def profile() -> None:
    """One's own profile and who may see it."""


PROFILE_COLUMNS = {"username": "username", "visibility": "visibility", "name": "name"}


@profile.command("show")
@json_option
def show_profile(as_json: bool) -> None:
    mine = with_client(content.my_profile)
    if as_json:
        click.echo(mine.model_dump_json())
        return
    click.echo(f"{mine.name or mine.username} ({mine.visibility})")
    if mine.skills:
        click.echo("skills: " + ", ".join(skill.name for skill in mine.skills))
    for link in mine.links:
        click.echo(f"{link.label}: {link.url}")


@profile.command("edit")
@click.option("--name", help="Name shown to others.")
@click.option("--bio", help="A few words about oneself (HTML is cleaned).")
@click.option(
    "--skill", "skills", multiple=True, help="NAME or NAME=URI; repeat; replaces the skills"
)
@click.option("--link", "links", multiple=True, help="LABEL=URL; repeat; replaces the links")
@click.option("--avatar", help="URL of a picture.")
@click.option("--clear-name", is_flag=True, help="Remove the name.")
@click.option("--clear-bio", is_flag=True, help="Remove the bio.")
@click.option("--clear-skills", is_flag=True, help="Remove every skill.")
@click.option("--clear-links", is_flag=True, help="Remove every link.")
@click.option("--clear-avatar", is_flag=True, help="Remove the picture.")
def edit_profile(
    name: str | None,
    bio: str | None,
    skills: tuple[str, ...],
    links: tuple[str, ...],
    avatar: str | None,
    **clear: bool,
) -> None:
    """Change one's profile; what is not mentioned stays (and it stays as visible as it was)."""
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = name
    if bio is not None:
        changes["bio"] = bio
    if skills:
        changes["skills"] = [skill_of(text) for text in skills]
    if links:
        changes["links"] = [link_of(text) for text in links]
    if avatar is not None:
        changes["avatar"] = avatar
    for field in ("name", "bio", "skills", "links", "avatar"):
        if clear[f"clear_{field}"]:
            if field in changes:
                fail(ValueError(f"--{field} and --clear-{field} together: choose one"))
            changes[field] = None
    if not changes:
        fail(ValueError("nothing to change: give an option (see --help)"))
    try:
        patch = ProfilePatch.model_validate(changes)
    except ValidationError as error:
        fail(ValueError(f"invalid input: {problems_of(error)}"))
        raise
    saved = with_client(lambda client: content.edit_my_profile(client, patch))
    click.echo(f"Profile saved ({saved.visibility}).")


def skill_of(text: str) -> SkillBody:
    name, _, uri = text.partition("=")
    return model_or_fail(SkillBody, name=name, uri=uri or None)


def link_of(text: str) -> LinkBody:
    label, equals, url = text.partition("=")
    if not equals:
        fail(ValueError(f"--link {text!r}: write it LABEL=URL"))
    return model_or_fail(LinkBody, label=label, url=url)


@profile.command("visibility")
@click.argument("visibility", type=click.Choice(["private", "members", "network"]))
def set_visibility(visibility: str) -> None:
    """private (only you), members (this place's members) or network (shared with neighbours)."""
    body = model_or_fail(VisibilityIn, visibility=visibility)
    saved = with_client(lambda client: content.set_my_visibility(client, body))
    click.echo(f"Profile visibility: {saved.visibility}.")


CONTENT_COMMANDS: tuple[click.Command, ...] = (events, rsvp, calls, profile)
