"""Commands for the place itself: `place show`, `place edit`, and the accounts listing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time
from typing import Any

import click
from pydantic import ValidationError

from clients import content
from clients.cli import accounts, fail, json_option, show, with_client
from clients.cli_content import problems_of
from schemas.api_place import PlaceProfile, PlaceProfilePatch, Service, SpaceKind

DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOURS = re.compile(
    r"^\s*(?P<days>[a-z,\-]+)\s+(?P<opens>\d{1,2}:\d{2})-(?P<closes>\d{1,2}:\d{2})\s*$"
)
SPAN = re.compile(r"^(?P<starts>\d{4}-\d{2}-\d{2})(?:\.\.(?P<ends>\d{4}-\d{2}-\d{2}))?$")


@accounts.command("list")
@json_option
def list_accounts(as_json: bool) -> None:
    """The node's accounts and their roles (administrators)."""
    found = with_client(content.accounts)
    columns = {"id": "id", "username": "username", "role": "role", "email": "email"}
    show(found, columns, as_json, "No accounts.")


@click.group()
def place() -> None:
    """The place's own profile: address, coordinates, hours, services."""


@place.command("show")
@json_option
def show_place(as_json: bool) -> None:
    profile = with_client(content.place_profile)
    if as_json:
        click.echo(profile.model_dump_json(indent=2))
        return
    click.echo("\n".join(describe(profile)))


def describe(profile: PlaceProfile) -> list[str]:
    lines = [profile.name]
    if profile.description:
        lines.append(profile.description)
    address = profile.address
    if address is not None:
        parts = (address.street_address, address.postal_code, address.locality, address.country)
        lines.append("address: " + ", ".join(part for part in parts if part))
    if profile.latitude is not None and profile.longitude is not None:
        lat, lon = profile.latitude, profile.longitude
        lines.append(f"at: {lat},{lon}  https://www.openstreetmap.org/?mlat={lat}&mlon={lon}")
    lines.append(f"time zone: {profile.timezone or 'not set'}")
    for hours in profile.opening_hours:
        days = ", ".join(hours.days)
        lines.append(f"open: {days} {hours.opens:%H:%M}-{hours.closes:%H:%M}")
    for exception in profile.opening_exceptions:
        span = f"{exception.starts}" + (f"..{exception.ends}" if exception.ends else "")
        if exception.opens is None or exception.closes is None:
            lines.append(f"closed: {span}" + (f" ({exception.reason})" if exception.reason else ""))
        else:
            lines.append(f"special hours: {span} {exception.opens:%H:%M}-{exception.closes:%H:%M}")
    if profile.services:
        lines.append("services: " + ", ".join(profile.services))
    if profile.space_kinds:
        lines.append("kinds: " + ", ".join(profile.space_kinds))
    lines.extend(f"link: {link.name} {link.url}" for link in profile.links)
    return lines


@place.command("edit")
@click.option("--name", help="The place's name.")
@click.option("--description", help="A few lines about the place (plain text).")
@click.option("--street", help="Street address.")
@click.option("--postal-code")
@click.option("--locality", help="Town or village.")
@click.option("--region")
@click.option("--country")
@click.option("--at", "at", metavar="LAT,LON", help="Coordinates, e.g. 44.52,3.50")
@click.option("--timezone", help="IANA zone, e.g. Europe/Paris")
@click.option(
    "--hours", multiple=True, metavar="DAYS HH:MM-HH:MM",
    help="Weekly hours, e.g. 'mo-fr 09:00-18:00' (repeat; replaces the weekly hours)",
)  # fmt: skip
@click.option("--closed", multiple=True, metavar="DATE[..DATE]", help="Add a closure.")
@click.option(
    "--special", multiple=True, metavar="DATE[..DATE] HH:MM-HH:MM", help="Add special hours."
)
@click.option(
    "--service", "services", multiple=True, type=click.Choice([s.value for s in Service]),
    help="Repeat; replaces the services",
)  # fmt: skip
@click.option(
    "--kind", "kinds", multiple=True, type=click.Choice([k.value for k in SpaceKind]),
    help="Repeat; replaces the kinds of space",
)  # fmt: skip
@click.option("--link", "links", multiple=True, metavar="NAME=URL", help="Repeat; replaces them")
@click.option("--clear-address", is_flag=True)
@click.option("--clear-hours", is_flag=True, help="Remove the weekly hours.")
@click.option("--clear-exceptions", is_flag=True, help="Remove closures and special hours.")
@click.option("--clear-services", is_flag=True)
@click.option("--clear-kinds", is_flag=True)
@click.option("--clear-links", is_flag=True)
def edit_place(**options: Any) -> None:
    """Change the place's profile; what is not mentioned stays. Followers get the new profile."""
    current = with_client(content.place_profile)
    changes = place_changes(current, options)
    if not changes:
        fail(ValueError("nothing to change: give an option (see --help)"))
    try:
        patch = PlaceProfilePatch.model_validate(changes)
    except ValidationError as error:
        fail(ValueError(f"invalid input: {problems_of(error)}"))
        raise
    saved = with_client(lambda client: content.edit_place(client, patch))
    click.echo("\n".join(describe(saved)))


def place_changes(current: PlaceProfile, options: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {
        name: options[name]
        for name in ("name", "description", "timezone")
        if options[name] is not None
    }
    address = {
        "street_address": options["street"],
        "postal_code": options["postal_code"],
        "locality": options["locality"],
        "region": options["region"],
        "country": options["country"],
    }
    if any(value is not None for value in address.values()):
        kept = current.address.model_dump() if current.address else {}
        changes["address"] = kept | {k: v for k, v in address.items() if v is not None}
    if options["clear_address"]:
        changes["address"] = None
    if options["at"] is not None:
        changes["latitude"], changes["longitude"] = coordinates(options["at"])
    if options["hours"]:
        changes["opening_hours"] = [weekly_hours(text) for text in options["hours"]]
    added = [closure(text) for text in options["closed"]]
    added += [special_hours(text) for text in options["special"]]
    if added:
        kept_exceptions = [item.model_dump(mode="json") for item in current.opening_exceptions]
        changes["opening_exceptions"] = kept_exceptions + added
    for option, field in (("services", "services"), ("kinds", "space_kinds")):
        if options[option]:
            changes[field] = list(options[option])
    if options["links"]:
        changes["links"] = [link(text) for text in options["links"]]
    for flag, field in (
        ("clear_hours", "opening_hours"),
        ("clear_exceptions", "opening_exceptions"),
        ("clear_services", "services"),
        ("clear_kinds", "space_kinds"),
        ("clear_links", "links"),
    ):
        if options[flag]:
            changes[field] = []
    return changes


def coordinates(text: str) -> tuple[float, float]:
    try:
        latitude, longitude = (float(part) for part in text.split(","))
    except ValueError:
        fail(ValueError(f"--at {text!r}: write it LATITUDE,LONGITUDE, e.g. 44.52,3.50"))
        raise
    return latitude, longitude


def weekly_hours(text: str) -> dict[str, Any]:
    found = HOURS.match(text.lower())
    if found is None:
        fail(ValueError(f"--hours {text!r}: write it like 'mo-fr 09:00-18:00' or 'sa 10:00-12:00'"))
        raise AssertionError  # unreachable: fail exits
    return {
        "days": days_of(found["days"], text),
        "opens": clock(found["opens"], text),
        "closes": clock(found["closes"], text),
    }


def days_of(text: str, whole: str) -> list[str]:
    days: list[str] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            fail(ValueError(f"{whole!r}: days are {', '.join(DAYS)}, as 'mo-fr' or 'mo,we'"))
        start, end = DAYS.index(first), DAYS.index(last or first)
        days += [DAY_NAMES[index] for index in range(start, end + 1)]
    return days


def clock(text: str, whole: str) -> str:
    try:
        return time.fromisoformat(text.zfill(5)).isoformat("minutes")
    except ValueError:
        fail(ValueError(f"{whole!r}: {text} is not a time of day"))
        raise


def span(text: str, option: str) -> dict[str, str]:
    found = SPAN.match(text.strip())
    if found is None:
        fail(ValueError(f"{option} {text!r}: write a date YYYY-MM-DD or a span DATE..DATE"))
        raise AssertionError  # unreachable: fail exits
    try:
        dates = {
            key: date.fromisoformat(value) for key, value in found.groupdict().items() if value
        }
    except ValueError as error:
        fail(ValueError(f"{option} {text!r}: {error}"))
        raise
    return {key: value.isoformat() for key, value in dates.items()}


def closure(text: str) -> dict[str, str]:
    return span(text, "--closed")


def special_hours(text: str) -> dict[str, str]:
    when, _, hours = text.strip().partition(" ")
    opens, dash, closes = hours.strip().partition("-")
    if not dash:
        fail(ValueError(f"--special {text!r}: write it 'DATE HH:MM-HH:MM'"))
    return span(when, "--special") | {"opens": clock(opens, text), "closes": clock(closes, text)}


def link(text: str) -> dict[str, str]:
    name, equals, url = text.partition("=")
    if not equals:
        fail(ValueError(f"--link {text!r}: write it NAME=URL"))
    return {"name": name, "url": url}


PLACE_COMMANDS: Sequence[click.Command] = (place,)
