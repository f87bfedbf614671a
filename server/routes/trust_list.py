"""This node's trust list, as published: the signed ActivityPub document, and Mastodon's CSV."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from schemas.trust_lists import mastodon_csv, parse_trust_list
from server.appkeys import SERVICES
from server.storage import trust_lists

AP_TYPE = "application/activity+json"


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/trust-list", trust_list)
    router.add_get("/trust-list.csv", trust_list_csv)


async def _document(request: web.Request) -> dict[str, Any]:
    async with request.app[SERVICES].pool.acquire() as connection:
        document = await trust_lists.published_document(connection)
    if document is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": "this node publishes no trust list"}),
            content_type="application/json",
        )
    return document


async def trust_list(request: web.Request) -> web.Response:
    """The list as signed at its last change (the same bytes for every reader)."""
    document = await _document(request)
    return web.Response(
        text=json.dumps(document, ensure_ascii=False),
        content_type=AP_TYPE,
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=60"},
    )


async def trust_list_csv(request: web.Request) -> web.Response:
    """The list's blocks in Mastodon's domain-block CSV, for servers that import that."""
    document = await _document(request)
    entries = parse_trust_list(document).ordered_items
    return web.Response(
        text=mastodon_csv(entries),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="trust-list.csv"'},
    )
