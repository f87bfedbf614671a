"""The details of a tiers-lieu, in our extension context, carried by its Group actor.

Opening hours and prices reuse schema.org's shapes (OpeningHoursSpecification,
PriceSpecification) so that the values read naturally to anyone who knows schema.org; the
properties that hold them are ours because schema.org puts them on a Place, not on a Group.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from schemas.base import ASModel, ManyOf

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_BY_ALIAS = {alias: day for day in _DAYS for alias in (day, day[:2], day[:3], day.lower())}


def _day_name(value: Any) -> Any:
    # schema.org days are IRIs (`https://schema.org/Monday`); opening-hours text uses `Mo`.
    if isinstance(value, str):
        local = value.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
        day = _DAY_BY_ALIAS.get(local) or _DAY_BY_ALIAS.get(local.lower())
        if day is None:
            raise ValueError(f"unknown day of the week {value[:40]!r}")
        return day
    return value


DayOfWeek = Annotated[
    Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    BeforeValidator(_day_name),
]


class OpeningHoursSpecification(ASModel):
    """Open from `opens` to `closes` on the given days; without times, closed.

    As an exception, `validFrom`/`validThrough` bound the dates it applies to (a holiday closure).
    """

    type: Literal["OpeningHoursSpecification"] = "OpeningHoursSpecification"
    day_of_week: ManyOf[DayOfWeek] = Field(default_factory=list)
    opens: time | None = None
    closes: time | None = None
    valid_from: date | None = None
    valid_through: date | None = None
    description: str | None = None


class PriceSpecification(ASModel):
    type: Literal["PriceSpecification"] = "PriceSpecification"
    name: str | None = None
    # Text, as schema.org allows: "12.50", "prix libre", "gratuit pour les membres".
    price: str | None = None
    price_currency: str | None = None
    unit_text: str | None = None


class PlaceDetails(ASModel):
    """The properties of a place beyond AS2, mixed into the Group actor."""

    opening_hours: ManyOf[OpeningHoursSpecification] = Field(default_factory=list)
    opening_hours_exception: ManyOf[OpeningHoursSpecification] = Field(default_factory=list)
    services: ManyOf[str] = Field(default_factory=list)
    space_kinds: ManyOf[str] = Field(default_factory=list)
    accessibility: ManyOf[str] = Field(default_factory=list)
    prices: ManyOf[PriceSpecification] = Field(default_factory=list)
    labels: ManyOf[str] = Field(default_factory=list)
    # IANA name, under the term Mobilizon gives an event's zone (mz:timezone).
    timezone: str | None = None
