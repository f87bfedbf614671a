"""The directory as a web page (`/places`), in French or English, rendered on the server.

Every value shown comes from remote places and is escaped; the page runs no script.
"""

from __future__ import annotations

from html import escape

from aiohttp import web
from pydantic import ValidationError

from schemas.api_directory import PlaceOut, PlacesQuery
from server.appkeys import SERVICES, URLS
from server.processing.directory import search_places

TEXTS = {
    "fr": {
        "title": "Lieux du réseau",
        "search": "Rechercher",
        "q": "Texte",
        "services": "Services (séparés par des virgules)",
        "kinds": "Types d'espace",
        "open_now": "Ouvert maintenant",
        "near": "Près de (lat, lon, km)",
        "open": "ouvert",
        "closed": "fermé",
        "unknown": "horaires inconnus",
        "suggested": "suggestion de",
        "following": "suivi",
        "self": "notre lieu",
        "none": "Aucun lieu ne correspond.",
        "invalid": "Recherche invalide",
        "other": "English",
    },
    "en": {
        "title": "Places of the network",
        "search": "Search",
        "q": "Text",
        "services": "Services (comma-separated)",
        "kinds": "Kinds of space",
        "open_now": "Open now",
        "near": "Near (lat, lon, km)",
        "open": "open",
        "closed": "closed",
        "unknown": "hours unknown",
        "suggested": "suggested by",
        "following": "followed",
        "self": "our place",
        "none": "No place matches.",
        "invalid": "Invalid search",
        "other": "Français",
    },
}
FORM_FIELDS = ("q", "services", "kinds", "lat", "lon", "km")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/places", places_page)


def language(request: web.Request) -> str:
    asked = request.query.get("lang")
    if asked in TEXTS:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in TEXTS:
            return code
    return "fr"


def place_item(place: PlaceOut, text: dict[str, str]) -> str:
    state = {True: text["open"], False: text["closed"], None: text["unknown"]}[place.open_now]
    where = ", ".join(value for value in (place.locality, place.country) if value)
    relation = ""
    if place.suggested:
        relation = f"{text['suggested']} {', '.join(escape(uri) for uri in place.suggested_by)}"
    elif place.relation in ("self", "following"):
        relation = text[place.relation]
    distance = f" · {place.distance_km:.1f} km" if place.distance_km is not None else ""
    services = ", ".join(escape(service) for service in place.services)
    return (
        f'<li><a href="{escape(place.id)}">{escape(place.name or place.id)}</a>'
        f" <small>{escape(where)}{distance} · {escape(state)}"
        f"{' · ' + relation if relation else ''}</small>"
        f"{'<br>' + services if services else ''}</li>"
    )


async def places_page(request: web.Request) -> web.Response:
    lang = language(request)
    text = TEXTS[lang]
    raw = {name: value for name, value in request.query.items() if name != "lang" and value}
    status = 200
    try:
        query = PlacesQuery.model_validate(raw)
        async with request.app[SERVICES].pool.acquire() as connection:
            places = await search_places(connection, request.app[URLS], query)
        items = "".join(place_item(place, text) for place in places)
        body = f"<ul>{items}</ul>" if items else f"<p>{escape(text['none'])}</p>"
    except ValidationError as error:
        status = 422
        problems = "".join(
            f"<li>{escape('.'.join(str(p) for p in problem['loc']))}: {escape(problem['msg'])}</li>"
            for problem in error.errors()
        )
        body = f"<p>{escape(text['invalid'])}</p><ul>{problems}</ul>"
    inputs = "".join(
        f"<label>{escape(text['near'] if name == 'lat' else text.get(name, name))} "
        f'<input name="{name}" value="{escape(request.query.get(name, ""))}"></label> '
        for name in FORM_FIELDS
    )
    checked = " checked" if request.query.get("open_now") == "true" else ""
    other = "en" if lang == "fr" else "fr"
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(text['title'])}</title></head><body>"
        f'<p><a href="?lang={other}">{escape(text["other"])}</a></p>'
        f"<h1>{escape(text['title'])}</h1>"
        f'<form method="get"><input type="hidden" name="lang" value="{lang}">{inputs}'
        f'<label><input type="checkbox" name="open_now" value="true"{checked}> '
        f"{escape(text['open_now'])}</label> <button>{escape(text['search'])}</button></form>"
        f"{body}</body></html>"
    )
    return web.Response(
        text=page,
        status=status,
        content_type="text/html",
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )
