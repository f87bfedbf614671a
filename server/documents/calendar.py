"""Agenda events as iCalendar (RFC 5545): one VEVENT per event, times in the event's own IANA
zone with the VTIMEZONE components that zone needs, so that calendars show the organiser's
wall-clock time whatever their own zone."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.storage.agenda import AgendaItem

if TYPE_CHECKING:
    from icalendar import Event

# icalendar (with dateutil) costs several MB of every process; it is imported by the first
# calendar asked for, never at start (a node on a Raspberry Pi mostly never serves one).

PRODID = "-//Maillage//Agenda//FR"
TAG = re.compile(r"<[^>]*>")
BLOCK = re.compile(r"</(p|div|li|h\d)>|<br\s*/?>", re.IGNORECASE)


def plain(content_html: str) -> str:
    text = TAG.sub("", BLOCK.sub("\n", content_html))
    lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
    return "\n".join(line for line in lines if line)


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def where(item: AgendaItem) -> str | None:
    parts: list[str] = []
    for location in item.event.fields.location:
        name, address = location.get("name"), location.get("address")
        text = [str(name)] if name else []
        if isinstance(address, dict):
            keys = ("streetAddress", "postalCode", "addressLocality", "addressCountry")
            text += [str(address[k]) for k in keys if address.get(k)]
        elif isinstance(address, str):
            text.append(address)
        if not text and location.get("url"):
            text.append(str(location["url"]))
        if text:
            parts.append(", ".join(text))
    return "; ".join(parts) or None


def vevent(item: AgendaItem) -> Event:
    event, fields = item.event, item.event.fields
    from icalendar import Event, vGeo

    zone = zone_of(fields.timezone)
    component = Event()
    component.add("uid", event.ap_id)
    component.add("dtstamp", datetime.now(UTC))
    component.add("created", event.published.astimezone(UTC))
    component.add("last-modified", event.updated.astimezone(UTC))
    component.add("dtstart", fields.start_time.astimezone(zone))
    if fields.end_time is not None:
        component.add("dtend", fields.end_time.astimezone(zone))
    component.add("summary", fields.name)
    description = plain(fields.content)
    if item.place_name:
        description = f"{item.place_name}\n\n{description}".strip()
    if description:
        component.add("description", description)
    place = where(item)
    if place:
        component.add("location", place)
    for location in fields.location:
        latitude, longitude = location.get("latitude"), location.get("longitude")
        if isinstance(latitude, int | float) and isinstance(longitude, int | float):
            component.add("geo", vGeo((float(latitude), float(longitude))))
            break
    component.add("url", fields.url or event.ap_id)
    component.add("status", fields.status)
    categories = [fields.category] if fields.category else []
    categories += fields.tags
    if categories:
        component.add("categories", categories)
    if item.place_name:
        component.add("x-maillage-place", item.place_name)
    return component


def calendar(items: Sequence[AgendaItem], title: str) -> bytes:
    """A whole VCALENDAR; subscribable (METHOD:PUBLISH, a name, a refresh hint)."""
    from icalendar import Calendar

    document = Calendar()
    document.add("prodid", PRODID)
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    document.add("method", "PUBLISH")
    document.add("x-wr-calname", title)
    document.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    document.add("x-published-ttl", "PT1H")
    for item in items:
        document.add_component(vevent(item))
    document.add_missing_timezones()
    body: bytes = document.to_ical()
    return body
