"""Where things happen: Place, PostalAddress and VirtualLocation.

Shapes read, as Gancio's federation tests list them (lesion/gancio tests/fixtures/AP-location):
a Place with a text `address`, with a schema.org PostalAddress, without `id`, without `address`,
with a VirtualLocation as its `address`, and several of them in one `location`. Mobilizon sends a
Place with an `id` and a PostalAddress. Coordinates arrive as numbers or numeric strings.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Tag, model_validator

from schemas.base import ASModel, Latitude, Longitude
from schemas.dispatch import by_type
from schemas.objects import ASObject


def _country_name(value: Any) -> Any:
    # schema.org allows addressCountry to be a Country object; its name is what we keep.
    if isinstance(value, dict):
        return value.get("name")
    return value


class PostalAddress(ASModel):
    type: Literal["PostalAddress"] = "PostalAddress"
    street_address: str | None = None
    postal_code: str | None = None
    address_locality: str | None = None
    address_region: str | None = None
    address_country: Annotated[str | None, BeforeValidator(_country_name)] = None

    def one_line(self) -> str:
        """The address as one line of text, for peers that only read text addresses."""
        town = " ".join(part for part in (self.postal_code, self.address_locality) if part)
        parts = (self.street_address, town, self.address_region, self.address_country)
        return ", ".join(part for part in parts if part)


class VirtualLocation(ASModel):
    type: Literal["VirtualLocation"] = "VirtualLocation"
    id: str | None = None
    name: str | None = None
    url: str | None = None


Address = (
    str
    | Annotated[
        Annotated[PostalAddress, Tag("PostalAddress")]
        | Annotated[VirtualLocation, Tag("VirtualLocation")],
        by_type(
            {"PostalAddress": "PostalAddress", "VirtualLocation": "VirtualLocation"},
            None,
            # An address object without a type is a postal address in every fixture we have.
            lambda raw, tag: tag if tag or "type" in raw else "PostalAddress",
        ),
    ]
)


class Place(ASObject):
    type: Literal["Place"] = "Place"
    address: Address | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> Place:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self

    @property
    def virtual_url(self) -> str | None:
        """The URL of an online place (Gancio puts a VirtualLocation in a Place's address)."""
        return self.address.url if isinstance(self.address, VirtualLocation) else None

    @property
    def postal_address(self) -> PostalAddress | None:
        return self.address if isinstance(self.address, PostalAddress) else None

    @property
    def address_text(self) -> str | None:
        """The address as text, whichever way the peer wrote it."""
        if isinstance(self.address, str):
            return self.address
        if isinstance(self.address, PostalAddress):
            return self.address.one_line() or None
        return None


def _location_tag(raw: dict[str, Any], tag: str | None) -> str | None:
    # Gancio sends `{"name": "Colosseo"}` as a location: an untyped location is a Place.
    return tag if tag or "type" in raw else "Place"


Location = Annotated[
    Annotated[Place, Tag("Place")] | Annotated[VirtualLocation, Tag("VirtualLocation")],
    by_type({"Place": "Place", "VirtualLocation": "VirtualLocation"}, None, _location_tag),
]
LocationValue = str | Location
