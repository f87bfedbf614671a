"""Our open calls at their ids: ActivityPub JSON, or a page for browsers (Mastodon links here)."""

from __future__ import annotations

from aiohttp import web

from schemas.context import emitted_context
from server.appkeys import SERVICES, URLS
from server.documents.open_calls import call_document, tombstone_document
from server.routes.negotiation import activity_json, wants_activitypub
from server.storage.open_calls import find_by_token
from server.storage.place_profile import load_profile
from server.web.rendering import render


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/calls/{token}", open_call)


async def open_call(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    async with request.app[SERVICES].pool.acquire() as connection:
        call = await find_by_token(connection, token)
        profile = await load_profile(connection)
    if call is None:
        raise web.HTTPNotFound(text="no such open call")
    if call.deleted_at is not None:
        if wants_activitypub(request):
            document = {"@context": emitted_context(), **tombstone_document(call)}
            return activity_json(document, status=410)
        raise web.HTTPGone(text="this open call was withdrawn / cet appel a été retiré")
    if wants_activitypub(request):
        return activity_json(
            {"@context": emitted_context(), **call_document(request.app[URLS], call)}
        )
    values = {"call": call, "timezone": (profile or {}).get("timezone")}
    return render(request, "call.html", values, headers={"Vary": "Accept"})
