"""Personal and shared inboxes: thin, the work is in server.processing.incoming."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import SERVICES, URLS
from server.processing.incoming import IncomingRequest, Refused, accept_incoming
from server.ratelimit import AUTHENTICATED_KEY_ID
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
    # SECURITY.md #15: refuse a declared oversize body before reading it, and answer the cap
    # (which aiohttp also applies to the decompressed size of a gzip body) as JSON.
    declared = request.content_length
    if declared is not None and declared > request.client_max_size:
        return body_too_large(request)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return body_too_large(request)
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


def body_too_large(request: web.Request) -> web.Response:
    return web.json_response(
        {"error": f"the request body exceeds {request.client_max_size} bytes"},
        status=413,
        headers={"Connection": "close"},
    )
