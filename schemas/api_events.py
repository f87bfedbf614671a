"""REST bodies for events and RSVPs (/api/v1/events)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, HttpUrl, field_validator, model_validator

from schemas.api import ApiModel

JoinModeIn = Literal["free", "restricted", "invite"]
StatusIn = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]


class AddressIn(ApiModel):
    street_address: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=30)
    address_locality: str | None = Field(default=None, max_length=200)
    address_region: str | None = Field(default=None, max_length=200)
    address_country: str | None = Field(default=None, max_length=100)


class PlaceIn(ApiModel):
    name: str = Field(min_length=1, max_length=300)
    address: AddressIn | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates(self) -> PlaceIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class AttachmentIn(ApiModel):
    name: str = Field(min_length=1, max_length=300)
    url: HttpUrl


class EventIn(ApiModel):
    name: str = Field(min_length=1, max_length=300)
    content: str = Field(default="", max_length=100_000, description="HTML; sanitised")
    start_time: datetime = Field(description="Local time in `timezone` unless it has an offset")
    end_time: datetime | None = None
    timezone: str = Field(min_length=1, max_length=64, description="IANA name: Europe/Paris")
    place: PlaceIn | None = None
    online_url: HttpUrl | None = Field(default=None, description="Where it happens online")
    category: str | None = Field(default=None, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=30)
    join_mode: JoinModeIn = "free"
    maximum_attendee_capacity: int | None = Field(default=None, ge=1, le=1_000_000)
    status: StatusIn = "CONFIRMED"
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("tags")
    @classmethod
    def _tag_words(cls, value: list[str]) -> list[str]:
        tags = [tag.strip().lstrip("#") for tag in value]
        for tag in tags:
            if not tag or len(tag) > 100 or not tag.replace("_", "").isalnum():
                raise ValueError(f"a tag is one word of letters, digits or _: {tag!r}")
        return list(dict.fromkeys(tags))

    @model_validator(mode="after")
    def _times_in_zone(self) -> EventIn:
        zone = ZoneInfo(self.timezone)
        self.start_time = in_zone(self.start_time, zone)
        if self.end_time is not None:
            self.end_time = in_zone(self.end_time, zone)
            if self.end_time < self.start_time:
                raise ValueError("end_time is before start_time")
        return self


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time read in the event's zone; an explicit offset is kept as given."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


class EventPatch(ApiModel):
    """Any subset of EventIn's fields; the merged event is validated as a whole."""

    name: str | None = None
    content: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    timezone: str | None = None
    place: PlaceIn | None = None
    online_url: HttpUrl | None = None
    category: str | None = None
    tags: list[str] | None = None
    join_mode: JoinModeIn | None = None
    maximum_attendee_capacity: int | None = None
    status: StatusIn | None = None
    attachments: list[AttachmentIn] | None = None


class LocationOut(ApiModel):
    type: str
    name: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    url: str | None = None


class AttachmentOut(ApiModel):
    name: str | None
    url: str


class EventOut(ApiModel):
    id: int
    ap_id: str
    local: bool
    attributed_to: str
    name: str
    content: str
    start_time: datetime
    end_time: datetime | None
    timezone: str | None
    locations: list[LocationOut]
    category: str | None
    tags: list[str]
    join_mode: str
    maximum_attendee_capacity: int | None
    remaining_attendee_capacity: int | None
    participant_count: int
    status: str
    attachments: list[AttachmentOut]
    url: str | None
    published: datetime
    updated: datetime


class RsvpIn(ApiModel):
    # Kept as typed, not normalised: it must equal the organiser's id byte for byte.
    event: str = Field(pattern=r"^https?://\S+$", max_length=2048, description="The event's id")


class RsvpOut(ApiModel):
    event: str
    state: str = Field(description="pending, accepted, rejected, or left")


class ParticipantOut(ApiModel):
    participant: str = Field(description="The participant's actor id")
    state: str = Field(description="accepted, or pending until an animateur answers")
    since: datetime


class ParticipantAnswer(ApiModel):
    participant: str = Field(
        pattern=r"^https?://\S+$", max_length=2048, description="The participant's actor id"
    )


class ParticipantResult(ApiModel):
    participant: str
    state: str = Field(description="accepted or rejected")
