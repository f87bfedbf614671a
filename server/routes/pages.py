"""Web pages for people: the wall (the network's live life on the screen of a space)."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

WALL = resources.files("server") / "static" / "wall.html"


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/wall", wall)


async def wall(request: web.Request) -> web.Response:
    return web.Response(
        text=WALL.read_text(encoding="utf-8"),
        content_type="text/html",
        headers={
            # The page only runs its own inline script and reads our own stream.
            "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; connect-src 'self'",
        },
    )
