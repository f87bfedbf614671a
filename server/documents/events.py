"""The Event document of one of our events (FEP-8a8e plus the keys Mobilizon reads)
and its Tombstone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schemas.emit import to_json
from schemas.events import Event, EventStatus
from schemas.objects import Link, Tombstone
from server.storage.events import StoredEvent

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
SCHEMA_STATUS = {
    "CONFIRMED": "EventScheduled",
    "TENTATIVE": "EventPostponed",
    "CANCELLED": "EventCancelled",
}


def participants_url(event_ap_id: str) -> str:
    return f"{event_ap_id}/participants"


def event_model(event: StoredEvent, followers: str) -> Event:
    fields = event.fields
    return Event(
        id=event.ap_id,
        name=fields.name,
        content=fields.content,
        media_type="text/html",
        start_time=local_time(fields.start_time, fields.timezone),
        end_time=None if fields.end_time is None else local_time(fields.end_time, fields.timezone),
        timezone=fields.timezone,
        location=fields.location,
        category=fields.category,
        tag=[Link(type="Hashtag", name=f"#{tag}") for tag in fields.tags],
        join_mode=fields.join_mode,
        maximum_attendee_capacity=fields.maximum_capacity,
        remaining_attendee_capacity=event.remaining,
        participant_count=fields.participant_count,
        ical_status=EventStatus(fields.status).value,
        # schema.org has no "tentative"; a postponed event is the nearest reading of it.
        event_status=SCHEMA_STATUS[fields.status],
        attachment=fields.attachments,
        url=[fields.url or event.ap_id],
        attributed_to=[event.attributed_to],
        to=[PUBLIC],
        cc=[followers],
        published=event.published,
        updated=event.updated,
    )


def local_time(moment: datetime, zone: str | None) -> datetime:
    """The time with the event's own offset: readers that ignore `timezone` (Gancio) still show
    the wall-clock time the organiser meant."""
    try:
        return moment.astimezone(ZoneInfo(zone)) if zone else moment
    except (ZoneInfoNotFoundError, ValueError):
        return moment


def event_document(event: StoredEvent, followers: str) -> dict[str, Any]:
    return to_json(event_model(event, followers))


def embedded_event(event: StoredEvent, followers: str) -> dict[str, Any]:
    return to_json(event_model(event, followers), with_context=False)


def tombstone(
    ap_id: str, deleted: datetime | None = None, *, with_context: bool = False
) -> dict[str, Any]:
    """What a deleted event leaves: in its `Delete`, and served at its id with a 410."""
    return to_json(
        Tombstone(id=ap_id, former_type="Event", deleted=deleted or datetime.now(UTC)),
        with_context=with_context,
    )
