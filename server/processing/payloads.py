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
