"""Choosing the model for an embedded JSON object from its `type`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, Discriminator


def by_type(
    tags: Mapping[str, str],
    default: str | None,
    refine: Callable[[dict[str, Any], str | None], str | None] | None = None,
) -> Discriminator:
    """A pydantic discriminator mapping a JSON `type` to a union tag.

    Union members are tagged with their class name, so an already-built model (serialisation,
    construction in our own code) is recognised by its class. `default` receives untyped or
    unknown types; None makes them a validation error.
    """

    def tag_of(value: Any) -> str | None:
        if isinstance(value, BaseModel):
            return type(value).__name__
        if not isinstance(value, dict):
            return None
        kind = value.get("type")
        tag = tags.get(kind, default) if isinstance(kind, str) else default
        return refine(value, tag) if refine is not None else tag

    return Discriminator(
        tag_of,
        custom_error_type="unknown_type",
        custom_error_message="an object of a type not accepted here, or not an object",
    )
