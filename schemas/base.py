"""The base model and the reusable field types: liberal readers, strict writers.

Reading follows the robustness principle because real peers disagree on shapes: a functional
property may arrive as a list of one, a reference as an IRI or as an embedded object, a number as a
string. Writing emits one shape only: compacted AS2 (a list of one becomes its element, empty and
null properties are left out), floats for coordinates and ISO-8601 datetimes with an offset.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    WrapSerializer,
    model_serializer,
)
from pydantic.alias_generators import to_camel

T = TypeVar("T")


class ASModel(BaseModel):
    """Base of every vocabulary model.

    Unknown properties are kept in `model_extra` for whoever needs them, but never serialised: what
    we send is only what we modelled (strict out), never a peer's unvetted extras.
    """

    model_config = ConfigDict(
        extra="allow",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        # Gancio sends `postalCode` as text, others as a number: both are text to us.
        coerce_numbers_to_str=True,
    )

    @model_serializer(mode="wrap")
    def _strict_out(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        extra = self.__pydantic_extra__ or {}
        return {
            key: value
            for key, value in data.items()
            if key not in extra and value is not None and value != [] and value != {}
        }


def _as_list(value: Any) -> Any:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _compact_list(value: list[Any], handler: SerializerFunctionWrapHandler) -> Any:
    serialised = handler(value)
    return serialised[0] if isinstance(serialised, list) and len(serialised) == 1 else serialised


def _id_of(value: Any) -> Any:
    """An embedded object stands for its id where we only keep references.

    SECURITY.md row 9: an embedded copy of somebody else's object is not trusted anyway; the
    receiver fetches it from its origin by id.
    """
    if isinstance(value, dict):
        identifier = value.get("id")
        if not isinstance(identifier, str):
            raise ValueError("an embedded object used as a reference has no id")
        return identifier
    return value


def _single(value: Any) -> Any:
    if isinstance(value, list):
        if len(value) != 1:
            raise ValueError(f"one value expected, got a list of {len(value)}")
        return value[0]
    return value


def _first(value: Any) -> Any:
    if isinstance(value, list):
        if not value:
            raise ValueError("one value expected, got an empty list")
        return value[0]
    return value


def _aware(value: datetime) -> datetime:
    # A timestamp without an offset is ambiguous; the fediverse means UTC by it.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, str):
        return value.strip()
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def bounded(low: float, high: float) -> Callable[[float], float]:
    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(f"must lie between {low:g} and {high:g}")
        return value

    return check


# A property that may hold one or several values; a single value is emitted bare.
OneOrMany = Annotated[
    list[T], BeforeValidator(_as_list), WrapSerializer(_compact_list, when_used="always")
]
# A property emitted as a JSON array even with one value (addressing, tags, attachments: several
# servers iterate over them without checking for a bare value).
ManyOf = Annotated[list[T], BeforeValidator(_as_list)]
# A functional property that peers sometimes wrap in a list of one.
Single = Annotated[T, BeforeValidator(_single)]
# A functional property some peers send as a list: the first value stands for it.
First = Annotated[T, BeforeValidator(_first)]
# A reference kept as the IRI alone.
IdRef = Annotated[str, BeforeValidator(_id_of)]
IdRefs = Annotated[list[IdRef], BeforeValidator(_as_list)]
Timestamp = Annotated[
    datetime,
    AfterValidator(_aware),
    PlainSerializer(_iso, return_type=str, when_used="json-unless-none"),
]
Coordinate = Annotated[float, BeforeValidator(_number), AfterValidator(_finite)]
Latitude = Annotated[Coordinate, AfterValidator(bounded(-90.0, 90.0))]
Longitude = Annotated[Coordinate, AfterValidator(bounded(-180.0, 180.0))]
Count = Annotated[int, BeforeValidator(_number)]
LanguageMap = dict[str, str]
