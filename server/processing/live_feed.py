"""What goes on the live stream: our own activities, and what received ones imported.

Our own activities are mapped to stream items at publish time. A received activity never is: its
handler answers what it stored or removed (`objects.Outcome`), read back from storage, and only
that is recorded, so a stranger's payload (a Person sent to Public, `callKind` on anything, a
Delete naming someone else's id) cannot write on the stream (SECURITY.md #10). Only public
material goes on the stream; an RSVP shows the event, never who joined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.database import DbConnection
from server.processing.objects import NothingImported, Outcome, Removed
from server.processing.payloads import object_id_of
from server.processing.sanitise import plain_text, typed_text
from server.storage import stream

PUBLIC_ADDRESSES = frozenset(
    {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
)

# Our own documents carry our members' text as typed; received ones are cleaned like any import.
Text = Callable[[str | None], str]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_public(activity: dict[str, Any]) -> bool:
    audience = [*as_list(activity.get("to")), *as_list(activity.get("cc"))]
    target = activity.get("object")
    if isinstance(target, dict):
        audience += [*as_list(target.get("to")), *as_list(target.get("cc"))]
    # An address may be an object with an id, which must not fail the whole activity.
    ids = (address.get("id") if isinstance(address, dict) else address for address in audience)
    return any(isinstance(value, str) and value in PUBLIC_ADDRESSES for value in ids)


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


def tags_of(document: dict[str, Any], text: Text = plain_text) -> list[str]:
    names = []
    for tag in as_list(document.get("tag")):
        name = tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str) and (cleaned := text(name).lstrip("#")):
            names.append(cleaned)
    return names


def count(value: Any) -> int | None:
    """A seat count as Mobilizon writes it (a number or a numeric string), or None."""
    found = number(value)
    return int(found) if found is not None and found.is_integer() and found >= 0 else None


def event_item(document: dict[str, Any], verb: str, text: Text = plain_text) -> dict[str, Any]:
    location = first_location(document)
    status = str(document.get("ical:status") or "").upper()
    return {
        "id": document.get("id"),
        "action": "cancelled" if status == "CANCELLED" else verb,
        "participantCount": count(document.get("participantCount")),
        "maximumAttendeeCapacity": count(document.get("maximumAttendeeCapacity")),
        "remainingAttendeeCapacity": count(document.get("remainingAttendeeCapacity")),
        "name": text(str(document.get("name") or "")),
        "startTime": document.get("startTime"),
        "endTime": document.get("endTime"),
        "timezone": document.get("timezone"),
        "placeName": text(str(location.get("name") or "")) or None,
        "latitude": number(location.get("latitude")),
        "longitude": number(location.get("longitude")),
        "tags": tags_of(document, text),
        "category": text(str(document.get("category") or "")) or None,
        "url": document.get("url") or document.get("id"),
    }


def call_item(document: dict[str, Any], verb: str, text: Text = plain_text) -> dict[str, Any]:
    return {
        "id": document.get("id"),
        "action": verb,
        "name": text(str(document.get("name") or "")),
        "callKind": document.get("callKind"),
        "callStatus": document.get("callStatus"),
        "deadline": document.get("deadline"),
        "tags": tags_of(document, text),
        "url": document.get("url") or document.get("id"),
    }


def profile_item(document: dict[str, Any], text: Text = plain_text) -> dict[str, Any]:
    found = [
        skill if isinstance(skill, str) else skill.get("name")
        for skill in as_list(document.get("skills"))
        if isinstance(skill, str | dict)
    ]
    skills = [name for skill in found if isinstance(skill, str) and (name := text(skill))]
    return {
        "id": document.get("id"),
        "name": text(str(document.get("name") or document.get("preferredUsername") or "")),
        "skills": skills,
        "tags": list(skills),
    }


def stream_item(
    activity: dict[str, Any], *, local: bool = False, seats_only: bool = False
) -> tuple[str, dict[str, Any]] | None:
    """(kind, data) for an activity worth showing, or None; `local` for one we send,
    `seats_only` for an Update of an event that changed nothing but its counts."""
    text: Text = typed_text if local else plain_text
    kind = activity.get("type")
    target = activity.get("object")
    if not isinstance(target, dict):
        return None
    object_type = target.get("type")
    if kind == "Accept" and object_type == "Join":
        return "rsvp", rsvp_item(target.get("object"))
    if not is_public(activity):
        return None
    verb = VERBS.get(str(kind))
    if verb is None:
        return None
    # The object's type decides first: a term such as `callKind` is read only on the types
    # that can carry it.
    if object_type == "Event":
        item = event_item(target, verb, text)
        if seats_only and kind == "Update" and item["action"] == "updated":
            # A Join elsewhere is no edit: a screen refreshes the seats of the card it shows.
            item["action"] = "seats"
        return "event", item
    if object_type in CALL_TYPES and "callKind" in target:
        return "call", call_item(target, verb, text)
    if object_type == "Person" and kind in ("Announce", "Update"):
        return "profile", profile_item(target, text)
    return None


VERBS = {"Create": "created", "Update": "updated", "Announce": "shared"}
# The AS2 types an open call is published as (FEDERATION.md, "Open calls").
CALL_TYPES = frozenset({"Page", "Article"})


def rsvp_item(event: Any) -> dict[str, Any]:
    return {"event": event, "action": "accepted"}


def verb_of(activity_type: str) -> str:
    return VERBS.get(activity_type, "updated")


async def record_received(
    connection: DbConnection, outcome: Outcome, *, place: str, public: bool
) -> None:
    """Put on the stream what a received activity from `place` imported, and nothing else;
    `public` says whether the activity was addressed to Public (RSVPs are shown either way)."""
    if isinstance(outcome, NothingImported):
        return
    if isinstance(outcome, Removed):
        # Each id is the deleting actor's own (its handler checked), so every card of it goes,
        # also one its place shared (a Person's Delete of itself).
        await withdraw(connection, list(outcome.object_ids))
        return
    shown = outcome.shown
    if shown is None or (shown.kind != "rsvp" and not public):
        return
    await stream.append(connection, shown.kind, shown.data, local=False, place=place)


async def record(
    connection: DbConnection,
    activity: dict[str, Any],
    *,
    place: str,
    seats_only: bool = False,
) -> None:
    """Put one of our own activities on the stream, as we publish it."""
    if activity.get("type") == "Delete":
        # A deleted object is not in the agenda any more, so a replay must not show it either.
        target = object_id_of(activity)
        if target is not None:
            await withdraw(connection, [target], place=place)
        return
    item = stream_item(activity, local=True, seats_only=seats_only)
    if item is not None:
        kind, data = item
        await stream.append(connection, kind, data, local=True, place=place)


async def withdraw(
    connection: DbConnection, object_ids: list[str], *, place: str | None = None
) -> None:
    """Objects that left (deleted, or their sender unfollowed or gone): their history goes, and
    screens showing them hear that they did, with the kind, place and filter fields they were
    shown with, so that a filtered stream gets the removal of exactly what it showed."""
    for last_shown in await stream.forget_objects(connection, object_ids, place=place):
        data = last_shown.data | {"action": stream.REMOVED}
        await stream.append(
            connection, last_shown.kind, data, local=last_shown.local, place=last_shown.place
        )
