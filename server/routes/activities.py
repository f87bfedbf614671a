"""Our activities at their ids (`/activities/{token}`): ActivityPub says ids should resolve.

Only public activities are served, and only while their actor is shared with the network; the
others answer 404 as if unknown, so that an id reveals nothing that was not addressed to all. An
activity whose object its actor deleted since answers 410 with a Tombstone: serving the Create
of a deleted event would bring its content back.
"""

from __future__ import annotations

from aiohttp import web

from schemas.context import emitted_context
from server.appkeys import SERVICES, URLS
from server.routes.negotiation import activity_json
from server.storage import local_actors, outbox


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/activities/{token}", activity)


async def activity(request: web.Request) -> web.Response:
    activity_id = request.app[URLS].activity(request.match_info["token"])
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await outbox.find_published(connection, activity_id)
        actor = (
            await local_actors.find_federated_actor(connection, found.actor_name)
            if found is not None and found.public
            else None
        )
    if found is None or actor is None:
        raise web.HTTPNotFound(text="no such activity on this node")
    if found.object_deleted:
        tombstone = {
            "@context": emitted_context(),
            "id": activity_id,
            "type": "Tombstone",
            "formerType": found.activity_type,
        }
        return activity_json(tombstone, status=410)
    return activity_json({"@context": emitted_context(), **found.payload})
