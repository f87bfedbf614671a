"""The consolidated agenda (/api/v1/agenda, /agenda, /agenda.ics): its filters and its items."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.api import ApiModel
from schemas.api_events import EventOut

CURSOR = re.compile(r"^(-?\d{1,18})_(\d{1,18})$")
MAX_LIMIT = 200


class AgendaQuery(BaseModel):
    """Query parameters: every filter is optional and they all apply together."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    start: datetime | None = Field(
        default=None,
        alias="from",
        description="Events not ended at this moment (ISO 8601; default: now)",
    )
    end: datetime | None = Field(
        default=None, alias="to", description="Events starting before this moment (ISO 8601)"
    )
    place: str | None = Field(
        default=None, max_length=2000, description="Only the events of this place (actor id)"
    )
    category: str | None = Field(default=None, max_length=100)
    tag: list[str] | None = Field(
        default=None, description="Comma-separated tags; an event must carry them all"
    )
    q: str | None = Field(default=None, max_length=200, description="Free text: name, content")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    km: float | None = Field(default=None, gt=0, le=2000, description="Distance from the point")
    now: bool = Field(default=False, description="Only what is happening now")
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page")

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @field_validator("tag", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            tags = [
                part.strip().lstrip("#")
                for item in value
                if isinstance(item, str)
                for part in item.split(",")
                if part.strip().lstrip("#")
            ]
            for tag in tags:
                if len(tag) > 100:
                    raise ValueError("a tag has at most 100 characters")
            return tags or None
        return value

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        if value is not None and not CURSOR.match(value):
            raise ValueError("not a cursor from a previous page")
        return value

    @model_validator(mode="after")
    def _point(self) -> AgendaQuery:
        given = [self.latitude is not None, self.longitude is not None, self.km is not None]
        if any(given) and not all(given):
            raise ValueError("latitude, longitude and km go together")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("`to` is before `from`")
        return self

    def cursor_position(self) -> tuple[int, int] | None:
        """(start in microseconds since the epoch, event id) after which the page begins."""
        if self.cursor is None:
            return None
        found = CURSOR.match(self.cursor)
        assert found is not None  # checked by the validator
        return int(found.group(1)), int(found.group(2))


def cursor_of(start_time: datetime, event_id: int) -> str:
    delta = start_time - datetime(1970, 1, 1, tzinfo=UTC)
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}_{event_id}"


class AgendaEventOut(EventOut):
    place_name: str | None = Field(description="Name of the place the event belongs to")
    origin: str = Field(description="Where the event is published: its page or its id")
    cancelled: bool
    distance_km: float | None = Field(
        default=None, description="From the point of the query, when one was given"
    )


class AgendaPage(ApiModel):
    items: list[AgendaEventOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")
