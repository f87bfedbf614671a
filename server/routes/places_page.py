"""The directory as a web page (`/places`): the same search as GET /api/v1/places."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from schemas.api_directory import PlacesQuery
from server.appkeys import SERVICES, URLS
from server.processing.directory import search_places
from server.web.rendering import render


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/places", places_page)


async def places_page(request: web.Request) -> web.Response:
    raw = {name: value for name, value in request.query.items() if name != "lang" and value}
    values = {"shown": raw, "open_now": raw.get("open_now") == "true", "places": [], "problems": []}
    try:
        query = PlacesQuery.model_validate(raw)
    except ValidationError as error:
        values["problems"] = [
            (".".join(str(part) for part in problem["loc"]) or "query", problem["msg"])
            for problem in error.errors()
        ]
        return render(request, "places.html", values, status=422)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        values["places"] = await search_places(
            connection, request.app[URLS], query, limited=services.domain_policies.limits_url
        )
    return render(request, "places.html", values)
