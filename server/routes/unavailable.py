"""503 with Retry-After while the database cannot be reached, for every route at once.

An inbox that answered 500 would make some senders give up on the activity; 503 with
`Retry-After` (growing with the outage: server.outage) makes them retry it later (our own
delivery worker does), so nothing is lost while PostgreSQL restarts. Only errors that mean
"unreachable now" are turned into 503 (server.database.database_unreachable); any other
exception stays a 500, as a bug should.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from server.appkeys import OUTAGE
from server.database import database_unreachable, describe_connect_error
from server.outage import MAX_RETRY_SECONDS
from server.ratelimit import is_inbox_post
from server.routes.negotiation import wants_activitypub

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def message(seconds: int) -> str:
    return (
        f"la base de données est momentanément indisponible, réessayez dans {seconds} s / "
        f"the database is unavailable for now, retry in {seconds} s"
    )


@web.middleware
async def database_unavailable(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Exception as error:
        if not database_unreachable(error):
            raise
        log.warning("database unreachable", path=request.path, reason=describe_connect_error(error))
        outage = request.app.get(OUTAGE)
        return unavailable(request, MAX_RETRY_SECONDS if outage is None else outage.failed())


def unavailable(request: web.Request, retry_after: int) -> web.Response:
    """The 503 in the shape the caller reads: the API's error object, the inbox's, or text."""
    headers = {"Retry-After": str(retry_after)}
    text = message(retry_after)
    if request.path.startswith("/api/"):
        return web.json_response({"error": text, "fields": {}}, status=503, headers=headers)
    if is_inbox_post(request) or wants_activitypub(request):
        return web.json_response({"error": text}, status=503, headers=headers)
    return web.Response(text=text, status=503, headers=headers)
