"""Strict out: the JSON we serve and send."""

from __future__ import annotations

import json
from typing import Any

from schemas.base import ASModel
from schemas.context import emitted_context


def to_json(model: ASModel, *, with_context: bool = True) -> dict[str, Any]:
    """The compacted AS2 document of `model`, with our `@context` first unless embedded."""
    body = model.model_dump(mode="json", by_alias=True)
    return {"@context": emitted_context(), **body} if with_context else body


def to_json_bytes(model: ASModel) -> bytes:
    """`to_json` encoded for an HTTP body: UTF-8, no NaN, stable key order of the models."""
    return json.dumps(to_json(model), ensure_ascii=False, allow_nan=False).encode("utf-8")
