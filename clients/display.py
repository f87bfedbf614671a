"""How the command line shows and reads times and words: times in the event's (or the place's)
own zone with the zone named, typed times in the place's zone, categories as words in the user's
language (French when LANG or LC_ALL says so, English otherwise)."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from schemas.categories import Language, category_words

# The zone of a place that has not set its own, and of events received without one.
DEFAULT_ZONE = "Europe/Paris"


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local_time(moment: datetime | None, zone_name: str | None) -> str:
    """`2027-05-02 14:00 Europe/Paris`: the wall-clock time where it happens, zone named."""
    if moment is None:
        return ""
    zone = zone_of(zone_name)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


def in_zone(typed: datetime, zone_name: str) -> datetime:
    """A time typed without a zone, read in `zone_name`; one with an offset stays as it is."""
    if typed.tzinfo is not None:
        return typed
    return typed.replace(tzinfo=zone_of(zone_name))


def warn_if_past(moment: datetime | None, what: str) -> None:
    """Say so on stderr when a time someone typed has already passed (the command goes on)."""
    if moment is not None and moment.astimezone() < datetime.now().astimezone():
        click.echo(f"warning: {what} {moment:%Y-%m-%d %H:%M} is in the past", err=True)


def language() -> Language:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def category(code: str | None) -> str:
    return category_words(code, language())
