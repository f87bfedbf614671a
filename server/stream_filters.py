"""Whether a stream event passes a subscriber's filter."""

from __future__ import annotations

import json
import math
from typing import Any

from schemas.api_stream import StreamFilter
from server.storage.stream import StreamEvent

EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def as_strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value.lower()}
    if isinstance(value, list):
        return {item.lower() for item in value if isinstance(item, str)}
    return set()


def matches(event: StreamEvent, wanted: StreamFilter) -> bool:
    data = event.data
    checks = (
        wanted.kinds is None or event.kind in wanted.kinds,
        wanted.scope == "all" or (wanted.scope == "local") == event.local,
        wanted.place is None or event.place == wanted.place,
        wanted.tag is None
        or wanted.tag.lower().lstrip("#")
        in {tag.lstrip("#") for tag in as_strings(data.get("tags"))},
        wanted.category is None or wanted.category.lower() in as_strings(data.get("category")),
        wanted.q is None or wanted.q.lower() in json.dumps(data, ensure_ascii=False).lower(),
        near(data, wanted),
    )
    return all(checks)


def near(data: dict[str, Any], wanted: StreamFilter) -> bool:
    if wanted.latitude is None or wanted.longitude is None or wanted.km is None:
        return True
    latitude, longitude = data.get("latitude"), data.get("longitude")
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return False
    return distance_km(wanted.latitude, wanted.longitude, latitude, longitude) <= wanted.km
