"""Content negotiation between ActivityPub clients and browsers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def wants_activitypub(request: web.Request) -> bool:
    """True when the client asks for ActivityPub JSON rather than a page."""
    accept = request.headers.get("Accept", "").lower()
    return (
        "application/activity+json" in accept
        or ("application/ld+json" in accept and "activitystreams" in accept)
        or accept.strip() in ("application/json", "application/ld+json")
    )


def activity_json(document: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(document, ensure_ascii=False).encode(),
        status=status,
        content_type=ACTIVITY_JSON,
        charset="utf-8",
        headers={"Vary": "Accept"},
    )
