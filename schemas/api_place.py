"""REST bodies of the place profile (`/api/v1/place`).

Services and kinds of space are a controlled list (stable slugs other nodes can filter on) plus
free entries for what the list lacks; both travel in the same AS2 property.
"""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, model_validator

from schemas.api import ApiModel
from schemas.placedetails import DayOfWeek

ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Entry = Annotated[str, Field(min_length=1, max_length=80)]


def _web_url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or len(value) > 2048 or " " in value:
        raise ValueError("must be an http or https URL of at most 2048 characters")
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Europe/Paris") from None
    return value


WebUrl = Annotated[str, AfterValidator(_web_url)]
TimeZone = Annotated[str, AfterValidator(_time_zone)]


class Service(StrEnum):
    FIBRE = "fibre"
    WIFI = "wifi"
    DESKS = "desks"
    PRIVATE_OFFICE = "private-office"
    MEETING_ROOM = "meeting-room"
    VISIO_ROOM = "visio-room"
    PHONE_BOOTH = "phone-booth"
    PRINTER = "printer"
    PRINTER_3D = "3d-printer"
    LASER_CUTTER = "laser-cutter"
    WORKSHOP = "workshop"
    KITCHEN = "kitchen"
    FOOD = "food"
    CHILDCARE_NEARBY = "childcare-nearby"
    PARKING = "parking"
    BIKE_PARKING = "bike-parking"
    PUBLIC_TRANSPORT = "public-transport"
    ACCOMMODATION_NEARBY = "accommodation-nearby"


class SpaceKind(StrEnum):
    COWORKING = "coworking"
    TELECENTRE = "telecentre"
    FABLAB = "fablab"
    MAKERSPACE = "makerspace"
    EPN = "epn"
    LIVING_LAB = "living-lab"
    CAFE_ATELIER = "cafe-atelier"
    THIRD_PLACE = "tiers-lieu"
    INCUBATOR = "incubator"
    FRANCE_SERVICES = "france-services"


class AddressIn(ApiModel):
    street_address: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    locality: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=100)


class WeeklyHours(ApiModel):
    """Open from `opens` to `closes` (local time of the place) on each of `days`."""

    days: list[DayOfWeek] = Field(min_length=1, max_length=7)
    opens: time
    closes: time

    @model_validator(mode="after")
    def _in_order(self) -> WeeklyHours:
        if self.closes <= self.opens:
            raise ValueError("closes must come after opens")
        return self


class HoursException(ApiModel):
    """From `starts` to `ends` (one day when `ends` is absent): closed, or open at other hours.

    Without `opens`/`closes` the place is closed (a holiday, a closure); with them it is a
    special opening.
    """

    starts: date
    ends: date | None = None
    opens: time | None = None
    closes: time | None = None
    reason: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> HoursException:
        if self.ends is not None and self.ends < self.starts:
            raise ValueError("ends must not come before starts")
        if (self.opens is None) != (self.closes is None):
            raise ValueError("opens and closes go together (neither means closed)")
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValueError("closes must come after opens")
        return self

    @property
    def closed(self) -> bool:
        return self.opens is None


class PriceIn(ApiModel):
    name: ShortText
    # Text: "12.50", "prix libre", "gratuit pour les membres".
    price: str = Field(min_length=1, max_length=80)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    unit: str | None = Field(default=None, max_length=80)


class ImageIn(ApiModel):
    """A photo already online; `description` is its alternative text (what a person who cannot
    see it reads). A bare URL is read as an image without one."""

    url: WebUrl
    description: str | None = Field(default=None, max_length=1500)

    @model_validator(mode="before")
    @classmethod
    def _bare_url(cls, value: Any) -> Any:
        return {"url": value} if isinstance(value, str) else value


class LinkIn(ApiModel):
    name: ShortText
    url: WebUrl


class PlaceProfileBody(ApiModel):
    """Every field of the profile but the name (PUT requires it, PATCH does not)."""

    description: str = Field(default="", max_length=10_000, description="Plain text")
    address: AddressIn | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    timezone: TimeZone | None = Field(default=None, description="IANA, e.g. Europe/Paris")
    opening_hours: list[WeeklyHours] = Field(default_factory=list, max_length=50)
    opening_exceptions: list[HoursException] = Field(default_factory=list, max_length=200)
    services: list[Service] = Field(default_factory=list)
    other_services: list[Entry] = Field(default_factory=list, max_length=50)
    space_kinds: list[SpaceKind] = Field(default_factory=list)
    other_space_kinds: list[Entry] = Field(default_factory=list, max_length=20)
    accessibility: list[ShortText] = Field(default_factory=list, max_length=30)
    prices: list[PriceIn] = Field(default_factory=list, max_length=30)
    labels: list[ShortText] = Field(default_factory=list, max_length=30)
    links: list[LinkIn] = Field(default_factory=list, max_length=20)
    images: list[ImageIn] = Field(default_factory=list, max_length=10)
    manually_approves_followers: bool = Field(
        default=False,
        description="Follows of the place wait for an animateur's answer (as a locked account)",
    )

    @model_validator(mode="after")
    def _both_coordinates(self) -> Any:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class PlaceProfile(PlaceProfileBody):
    """The whole profile: what PUT takes and GET answers."""

    name: ShortText


class PlaceProfilePatch(ApiModel):
    """PATCH: the fields given replace the stored ones; the result is checked as a whole."""

    name: ShortText | None = None
    description: str | None = Field(default=None, max_length=10_000)
    address: AddressIn | None = None
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None
    opening_hours: list[WeeklyHours] | None = None
    opening_exceptions: list[HoursException] | None = None
    services: list[Service] | None = None
    other_services: list[Entry] | None = None
    space_kinds: list[SpaceKind] | None = None
    other_space_kinds: list[Entry] | None = None
    accessibility: list[ShortText] | None = None
    prices: list[PriceIn] | None = None
    labels: list[ShortText] | None = None
    links: list[LinkIn] | None = None
    images: list[ImageIn] | None = None
    manually_approves_followers: bool | None = None
