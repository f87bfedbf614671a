"""Our JSON-LD context document, served by every node (and bundled: nobody needs to fetch it)."""

from __future__ import annotations

import json

from aiohttp import web

from schemas.context import context_document


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/ns/v1", context)


async def context(request: web.Request) -> web.Response:
    return web.Response(
        text=json.dumps(context_document(), ensure_ascii=False),
        content_type="application/ld+json",
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=86400"},
    )
