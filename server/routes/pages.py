"""Web pages for people: the wall (the network's live life on the screen of a space), and our
own stylesheets and scripts (nothing of the pages is loaded from another site)."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from server.appkeys import SERVICES
from server.processing.neighbours import list_neighbours
from server.storage import stream
from server.web import i18n
from server.web.rendering import render
from server.web.wall_texts import wall_texts

# What the wall shows on opening, before anything new arrives.
RECENT_ITEMS = 24

STATIC = resources.files("server") / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
# Read once: the files ship with the package and change only with it.
STATIC_FILES = {
    item.name: item.read_bytes()
    for item in STATIC.iterdir()
    if any(item.name.endswith(suffix) for suffix in STATIC_TYPES)
}


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/wall", wall)
    router.add_get("/static/{name}", static_file)


async def wall(request: web.Request) -> web.Response:
    """The wall opens on the network's recent life (replayed from the stream), naming places."""
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        since = await stream.recent_start(connection, RECENT_ITEMS)
    names = {
        neighbour.uri: neighbour.name
        for neighbour in await list_neighbours(services.pool, services.node)
        if neighbour.name
    }
    # The language is the space's choice (?lang=, or the switch remembered), never the
    # browser's: a kiosk's browser comes with whatever locale it was installed with.
    language = i18n.asked_language(request) or request.cookies.get(i18n.LANGUAGE_COOKIE)
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT_LANGUAGE
    texts = wall_texts(i18n.TRANSLATIONS[language])
    values = {"since": since, "place_names": names, "texts": texts}
    return render(request, "wall.html", values, language=language)


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    body = STATIC_FILES.get(name)
    if body is None:
        raise web.HTTPNotFound(text="no such file")
    kind = next(kind for suffix, kind in STATIC_TYPES.items() if name.endswith(suffix))
    return web.Response(
        body=body,
        content_type=kind,
        charset=None if kind.startswith("image/") else "utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
