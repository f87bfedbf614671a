"""Reading the few fields processing needs from a stored activity's JSON."""

from __future__ import annotations

from typing import Any


def object_id_of(payload: dict[str, Any]) -> str | None:
    """The id of the activity's object, whether given as an IRI or embedded."""
    target = payload.get("object")
    if isinstance(target, str):
        return target
    if isinstance(target, dict) and isinstance(target.get("id"), str):
        return str(target["id"])
    return None


def object_type_of(payload: dict[str, Any]) -> str | None:
    target = payload.get("object")
    if isinstance(target, dict) and isinstance(target.get("type"), str):
        return str(target["type"])
    return None


def embedded_actors(payload: dict[str, Any]) -> list[str]:
    """The actors an embedded object stands for: its `attributedTo` (an id, an embedded actor,
    or a list of either) and its own id, which is an actor's when the object is one (a Person
    a place announces). Empty when the object is given only by id."""
    target = payload.get("object")
    if not isinstance(target, dict):
        return []
    attributed = target.get("attributedTo")
    found = [target.get("id")]
    for owner in attributed if isinstance(attributed, list) else [attributed]:
        found.append(owner.get("id") if isinstance(owner, dict) else owner)
    return [uri for uri in found if isinstance(uri, str)]
