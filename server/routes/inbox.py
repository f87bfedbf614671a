"""Personal and shared inboxes: thin, the work is in server.processing.incoming."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import SERVICES, URLS
from server.processing.incoming import IncomingRequest, Refused, accept_incoming
from server.ratelimit import AUTHENTICATED_KEY_ID
from server.routes.request_guard import BodyRefused, read_body_bytes
from server.storage.local_actors import find_federated_actor


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/inbox", shared_inbox)
    router.add_post("/actors/{name}/inbox", personal_inbox)


async def shared_inbox(request: web.Request) -> web.Response:
    return await receive(request, None)


async def personal_inbox(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    async with request.app[SERVICES].pool.acquire() as connection:
        if await find_federated_actor(connection, name) is None:
            raise web.HTTPNotFound(text=f"no actor named {name!r} on this node")
    return await receive(request, name)


async def receive(request: web.Request, recipient: str | None) -> web.Response:
    # SECURITY.md #15: a declared oversize body was refused before this (request_guard); the
    # cap also applies to the decompressed size of a gzip body, answered here as JSON.
    try:
        body = await read_body_bytes(request)
    except BodyRefused as refused:
        return web.json_response(
            {"error": refused.message}, status=refused.status, headers=refused.headers
        )
    incoming = IncomingRequest(
        method=request.method,
        url=request.app[URLS].base + request.path_qs,
        headers=list(request.headers.items()),
        body=body,
        recipient=recipient,
    )
    try:
        services = request.app[SERVICES]
        accepted = await accept_incoming(
            services.pool, services.actors, services.inbox_writer, incoming
        )
    except Refused as refusal:
        return web.json_response({"error": refusal.reason}, status=refusal.status)
    if accepted.key_id is not None:
        request[AUTHENTICATED_KEY_ID] = accepted.key_id  # for the rate limiter
    return web.Response(status=202)
