"""REST bodies of the network directory: places (`/api/v1/places`) and skills (`/api/v1/people`).

Both are query-string searches. List parameters (`services`, `kinds`) take comma-separated values
and may be repeated; every value given must match.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from schemas.api import ApiModel

EARTH_HALF_CIRCUMFERENCE_KM = 20_040.0


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


Entries = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=80)]],
    BeforeValidator(_comma_list),
    Field(max_length=20),
]
SearchText = Annotated[str, Field(min_length=1, max_length=200)]


class PlacesQuery(ApiModel):
    q: SearchText | None = Field(
        default=None, description="Free text: name, description, locality, services, kinds, labels"
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="Latitude of the point")
    lon: float | None = Field(default=None, ge=-180, le=180, description="Longitude of the point")
    km: float | None = Field(
        default=None,
        gt=0,
        le=EARTH_HALF_CIRCUMFERENCE_KM,
        description="Only places within this distance of lat/lon (which then sort by distance)",
    )
    open_now: bool = Field(default=False, description="Only places open now")
    open_at: datetime | None = Field(
        default=None, description="Only places open at this moment (ISO 8601 with its offset)"
    )
    services: Entries = Field(default_factory=list, description="Comma-separated; all required")
    kinds: Entries = Field(
        default_factory=list, description="Kinds of space, comma-separated; all required"
    )
    suggestions: bool = Field(
        default=True, description="Include the places our neighbours follow (suggestions)"
    )
    limit: int = Field(default=100, ge=1, le=500)

    @model_validator(mode="after")
    def _consistent(self) -> PlacesQuery:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if self.km is not None and self.lat is None:
            raise ValueError("km needs lat and lon")
        if self.open_at is not None and self.open_at.tzinfo is None:
            raise ValueError("open_at needs its UTC offset (2026-06-01T09:30:00+02:00)")
        if self.open_now and self.open_at is not None:
            raise ValueError("give open_now or open_at, not both")
        return self


class PlaceOut(ApiModel):
    id: str = Field(description="The place's Group actor")
    name: str | None
    summary: str | None
    street_address: str | None
    postal_code: str | None
    locality: str | None
    region: str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    timezone: str | None
    opening_hours: list[dict[str, Any]]
    opening_hours_exception: list[dict[str, Any]]
    services: list[str]
    space_kinds: list[str]
    accessibility: list[str]
    labels: list[str]
    relation: Literal["self", "following", "suggested"] = Field(
        description="Our own place, one we follow, or a suggestion (followed by a neighbour, "
        "not by us); no other place is listed"
    )
    suggested: bool
    suggested_by: list[str] = Field(description="The neighbours that follow a suggested place")
    distance_km: float | None
    open_now: bool | None = Field(
        description="Open at the moment asked (open_at, else now); null when the place gives "
        "no hours or no time zone"
    )


class PeopleQuery(ApiModel):
    skill: SearchText | None = Field(
        default=None, description="A skill: its name (exact, any case) or its vocabulary URI"
    )
    q: SearchText | None = Field(default=None, description="Free text: name, bio, skills")
    limit: int = Field(default=100, ge=1, le=500)


class SkillOut(ApiModel):
    name: str
    uri: str | None


class LinkOut(ApiModel):
    label: str
    url: str


class PersonOut(ApiModel):
    actor: str
    name: str
    bio: str = Field(description="Sanitised HTML")
    skills: list[SkillOut]
    links: list[LinkOut]
    avatar: str | None
    place: str = Field(description="The Group actor of the person's place")
    place_name: str | None
    local: bool
