"""Event, as FEP-8a8e describes it and as Mobilizon and Gancio read and write it.

Mobilizon's event converter (framasoft/mobilizon, lib/federation/activity_stream/converter/
event.ex) writes `startTime`, `endTime` (may be null), `timezone`, `joinMode`,
`maximumAttendeeCapacity`, `remainingAttendeeCapacity`, `participantCount`, `category`,
`ical:status` in upper case (CONFIRMED, TENTATIVE, CANCELLED) and, in recent versions, schema.org's
`eventStatus` (`EventScheduled` for a confirmed event, per its converter tests).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from schemas.base import Count, OneOrMany, Timestamp
from schemas.normalise import compact_term
from schemas.objects import ASObject
from schemas.places import LocationValue, Place, VirtualLocation


class EventStatus(StrEnum):
    """iCalendar STATUS values for events (RFC 5545, 3.8.1.11), spelt as Mobilizon does."""

    CONFIRMED = "CONFIRMED"
    TENTATIVE = "TENTATIVE"
    CANCELLED = "CANCELLED"


class JoinMode(StrEnum):
    """Mobilizon's `joinMode` values (docs/contribute/activity_pub.md) plus `external`."""

    FREE = "free"
    RESTRICTED = "restricted"
    INVITE = "invite"
    EXTERNAL = "external"


_SCHEMA_STATUS: dict[str, EventStatus] = {
    "EventScheduled": EventStatus.CONFIRMED,
    "EventRescheduled": EventStatus.CONFIRMED,
    "EventMovedOnline": EventStatus.CONFIRMED,
    "EventPostponed": EventStatus.TENTATIVE,
    "EventCancelled": EventStatus.CANCELLED,
}
# schema.org has no "tentative": a tentative event gets no eventStatus rather than a wrong one.
_STATUS_SCHEMA: dict[EventStatus, str] = {
    EventStatus.CONFIRMED: "EventScheduled",
    EventStatus.CANCELLED: "EventCancelled",
}


def _ical_status(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _schema_status(value: Any) -> Any:
    # Peers write `EventCancelled`, `schema:EventCancelled` or `https://schema.org/EventCancelled`.
    return compact_term(value.strip()) if isinstance(value, str) else value


def _category(value: Any) -> Any:
    # PeerTube sends `{"identifier": "15", "name": "Science & Technology"}`; some send lists.
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        name = value.get("name") or value.get("identifier")
        return name if isinstance(name, str) else None
    return value


class Event(ASObject):
    type: Literal["Event"] = "Event"
    start_time: Timestamp
    end_time: Timestamp | None = None
    timezone: str | None = None
    location: OneOrMany[LocationValue] = Field(default_factory=list)
    category: Annotated[str | None, BeforeValidator(_category)] = None
    join_mode: str | None = None
    maximum_attendee_capacity: Count | None = Field(default=None, ge=0)
    remaining_attendee_capacity: Count | None = Field(default=None, ge=0)
    participant_count: Count | None = Field(default=None, ge=0)
    ical_status: Annotated[str | None, BeforeValidator(_ical_status)] = Field(
        default=None, alias="ical:status"
    )
    event_status: Annotated[str | None, BeforeValidator(_schema_status)] = None

    @model_validator(mode="after")
    def _status_both_ways(self) -> Event:
        # Each peer reads one of the two spellings; keep them in step so that both are emitted.
        status = self.status
        if self.ical_status is None and status is not None:
            self.ical_status = status.value
        if self.event_status is None and status is not None:
            self.event_status = _STATUS_SCHEMA.get(status)
        return self

    @model_validator(mode="after")
    def _ends_after_start(self) -> Event:
        if self.end_time is not None and self.end_time < self.start_time:
            raise ValueError("endTime is before startTime")
        return self

    @property
    def status(self) -> EventStatus | None:
        """The event's status, whichever property the peer used."""
        if self.ical_status is not None and self.ical_status in EventStatus.__members__:
            return EventStatus(self.ical_status)
        if self.event_status is not None and self.event_status in _SCHEMA_STATUS:
            return _SCHEMA_STATUS[self.event_status]
        plain = (self.model_extra or {}).get("status")  # Mobilizon 4 also writes `status`
        if isinstance(plain, str) and plain.upper() in EventStatus.__members__:
            return EventStatus(plain.upper())
        return None

    @property
    def places(self) -> list[Place]:
        return [item for item in self.location if isinstance(item, Place)]

    @property
    def online_urls(self) -> list[str]:
        """URLs where the event happens online, from a VirtualLocation or a Place wrapping one."""
        urls: list[str] = []
        for item in self.location:
            url = item.url if isinstance(item, VirtualLocation) else None
            if isinstance(item, Place):
                url = item.virtual_url
            if url:
                urls.append(url)
        return urls
