"""What goes on the live stream: derived from the activities the node sends and receives.

One place maps activities to stream items, for our own (at publish time) and the network's (once
a received activity is processed), so every aggregate shows up without knowing about the stream.
Only public material goes on the stream; an RSVP shows the event, never who joined.
"""

from __future__ import annotations

from typing import Any

from server.database import DbConnection
from server.processing.sanitise import plain_text
from server.storage import stream

PUBLIC_ADDRESSES = frozenset(
    {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_public(activity: dict[str, Any]) -> bool:
    audience = [*as_list(activity.get("to")), *as_list(activity.get("cc"))]
    target = activity.get("object")
    if isinstance(target, dict):
        audience += [*as_list(target.get("to")), *as_list(target.get("cc"))]
    return any(address in PUBLIC_ADDRESSES for address in audience)


def first_location(document: dict[str, Any]) -> dict[str, Any]:
    for item in as_list(document.get("location")):
        if isinstance(item, dict):
            return item
    return {}


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def tags_of(document: dict[str, Any]) -> list[str]:
    names = []
    for tag in as_list(document.get("tag")):
        name = tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str):
            names.append(name.lstrip("#"))
    return names


def event_item(document: dict[str, Any], verb: str) -> dict[str, Any]:
    location = first_location(document)
    status = str(document.get("ical:status") or "").upper()
    return {
        "id": document.get("id"),
        "action": "cancelled" if status == "CANCELLED" else verb,
        "name": plain_text(str(document.get("name") or "")),
        "startTime": document.get("startTime"),
        "endTime": document.get("endTime"),
        "timezone": document.get("timezone"),
        "placeName": plain_text(str(location.get("name") or "")) or None,
        "latitude": number(location.get("latitude")),
        "longitude": number(location.get("longitude")),
        "tags": tags_of(document),
        "category": document.get("category"),
        "url": document.get("url") or document.get("id"),
    }


def call_item(document: dict[str, Any], verb: str) -> dict[str, Any]:
    return {
        "id": document.get("id"),
        "action": verb,
        "name": plain_text(str(document.get("name") or "")),
        "callKind": document.get("callKind"),
        "callStatus": document.get("callStatus"),
        "deadline": document.get("deadline"),
        "tags": tags_of(document),
        "url": document.get("url") or document.get("id"),
    }


def profile_item(document: dict[str, Any]) -> dict[str, Any]:
    skills = [
        skill if isinstance(skill, str) else skill.get("name")
        for skill in as_list(document.get("skills"))
        if isinstance(skill, str | dict)
    ]
    return {
        "id": document.get("id"),
        "name": plain_text(str(document.get("name") or document.get("preferredUsername") or "")),
        "skills": [skill for skill in skills if isinstance(skill, str)],
        "tags": [skill for skill in skills if isinstance(skill, str)],
    }


def stream_item(activity: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(kind, data) for an activity worth showing, or None."""
    kind = activity.get("type")
    target = activity.get("object")
    if not isinstance(target, dict):
        return None
    object_type = target.get("type")
    if kind == "Accept" and object_type == "Join":
        return "rsvp", {"event": target.get("object"), "action": "accepted"}
    if not is_public(activity):
        return None
    verb = {"Create": "created", "Update": "updated", "Announce": "shared"}.get(str(kind))
    if verb is None:
        return None
    if object_type == "Event":
        return "event", event_item(target, verb)
    if "callKind" in target:
        return "call", call_item(target, verb)
    if object_type == "Person" and kind in ("Announce", "Update"):
        return "profile", profile_item(target)
    return None


async def record(
    connection: DbConnection, activity: dict[str, Any], *, local: bool, place: str | None
) -> None:
    item = stream_item(activity)
    if item is not None:
        kind, data = item
        await stream.append(connection, kind, data, local=local, place=place)
