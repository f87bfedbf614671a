"""The place's home page (/): its profile, whether it is open now, its next events, its open
calls and its neighbours. Public; read from the same functions as the API and the directory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from server.appkeys import SERVICES, URLS
from server.opening_hours import is_open, next_opening
from server.processing.directory import own_place
from server.processing.neighbours import list_neighbours
from server.processing.place_profile import current_profile
from server.storage import agenda, open_calls
from server.storage.agenda import AgendaFilter
from server.storage.local_actors import PLACE
from server.web.rendering import render

NEXT_EVENTS = 6
# An OpenStreetMap link at the place's coordinates: no map script, nothing loaded from there.
OSM = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}"


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/", home)


async def home(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    urls = request.app[URLS]
    now = datetime.now(UTC)
    place_uri = urls.actor(PLACE)
    async with services.pool.acquire() as connection:
        profile = await current_profile(connection)
        events, _ = await agenda.agenda(
            connection, AgendaFilter(start=now, place=place_uri, limit=NEXT_EVENTS)
        )
        calls = [
            call
            for call in await open_calls.list_calls(connection, 50)
            if call.local and call.fields.status == "open"
        ]
    neighbours = [
        n for n in await list_neighbours(services.pool, services.node) if n.we_follow == "accepted"
    ]
    shape = own_place(urls, profile)
    values: dict[str, Any] = {
        "profile": profile,
        "place": shape,
        "open_now": is_open(
            now, shape.timezone, shape.opening_hours, shape.opening_hours_exception
        ),
        "next_opening": next_opening(
            now, shape.timezone, shape.opening_hours, shape.opening_hours_exception
        ),
        "events": events,
        "calls": calls,
        "neighbours": neighbours,
        "map": None
        if profile.latitude is None or profile.longitude is None
        else OSM.format(lat=profile.latitude, lon=profile.longitude),
        "handle": f"{PLACE}@{services.settings.domain}",
        "days": [
            (index, [h for h in profile.opening_hours if day in h.days])
            for index, day in enumerate(DAYS)
        ],
    }
    return render(request, "home.html", values)


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
