"""The people of the network by skill (/people): the profiles shared network-wide, ours and our
neighbours', as GET /api/v1/people finds them. Public, like the API route."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from schemas.api_directory import PeopleQuery
from server.appkeys import SERVICES, URLS
from server.processing.people_search import people_seen_by
from server.storage.local_actors import PLACE, find_local_actor
from server.web.rendering import render
from server.web.sessions import current_session


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/people", people_page)


async def people_page(request: web.Request) -> web.Response:
    raw = {key: value for key, value in request.query.items() if key in ("skill", "q") and value}
    try:
        query = PeopleQuery.model_validate(raw)
    except ValidationError:
        return render(
            request, "people.html", {"shown": raw, "people": [], "invalid": True}, status=422
        )
    services = request.app[SERVICES]
    session = current_session(request)
    viewer = session.account.username if session is not None else None
    async with services.pool.acquire() as connection:
        found = await people_seen_by(connection, query, services.domain_policies.limits_url, viewer)
        own = await find_local_actor(connection, PLACE)
    people = [
        {
            "actor": shared.actor or request.app[URLS].actor(shared.username or ""),
            "profile": shared.profile,
            "place_name": shared.place_name if shared.place else (own.display_name if own else ""),
            "remote": shared.actor is not None,
        }
        for shared in found
    ]
    return render(request, "people.html", {"shown": raw, "people": people, "invalid": False})
