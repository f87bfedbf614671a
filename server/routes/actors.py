"""Actor documents and their collections."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import SERVICES, URLS
from server.documents.actors import actor_document
from server.documents.profiles import person_document
from server.processing.place_profile import place_details_for
from server.processing.sanitise import clean_html
from server.routes.negotiation import activity_json, wants_activitypub
from server.storage.keys import key_pairs_of
from server.storage.local_actors import PLACE, find_federated_actor
from server.storage.profiles import find_profile
from server.web.rendering import render


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/actors/{name}", actor)


async def actor(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await find_federated_actor(connection, name)
        if found is None:
            raise web.HTTPNotFound(text=f"no actor named {name!r} on this node")
        pairs = await key_pairs_of(connection, name)
        details = await place_details_for(connection) if name == PLACE else None
        profile = await find_profile(connection, name) if found.kind == "Person" else None
    if wants_activitypub(request):
        if profile is not None:
            return activity_json(person_document(request.app[URLS], found, pairs, profile))
        return activity_json(actor_document(request.app[URLS], found, pairs, details))
    # The summary is stored as sanitised HTML; cleaning it again costs little and keeps this page
    # safe whatever wrote the row.
    values = {"name": found.display_name, "summary": clean_html(found.summary)}
    return render(request, "actor.html", values, headers={"Vary": "Accept"})
